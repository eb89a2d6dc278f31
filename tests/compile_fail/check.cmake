# Compiles SRC with -DGEMINI_CASE_${CASE} (syntax only). Case `ok` must compile; every other
# case must fail with a diagnostic containing the text after `// expect ${CASE}:` in SRC.
# Arguments: CXX, SRC, CASE, INCLUDES (a `|`-separated list), FLAGS (`|`-separated).
string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" flags "${FLAGS}")
set(args)
foreach(dir IN LISTS includes)
  list(APPEND args "-I${dir}")
endforeach()
execute_process(
  COMMAND ${CXX} ${flags} ${args} -fsyntax-only -DGEMINI_CASE_${CASE} ${SRC}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(diag "${out}${err}")

file(STRINGS ${SRC} line REGEX "^// expect ${CASE}:")
if(NOT line)
  message(FATAL_ERROR "no `// expect ${CASE}:` line in ${SRC}")
endif()
string(REGEX REPLACE "^// expect ${CASE}: ?" "" expected "${line}")
string(REPLACE "\\;" ";" expected "${expected}")  # file(STRINGS) escapes `;`

if(CASE STREQUAL "ok")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "case ok must compile:\n${diag}")
  endif()
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "case ${CASE} compiled; it must not")
endif()
# Compilers wrap long lines and quote differently; compare with whitespace squeezed.
string(REGEX REPLACE "[ \t\r\n]+" " " diag_flat "${diag}")
string(FIND "${diag_flat}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "case ${CASE}: the diagnostic does not contain\n  ${expected}\n--- diagnostic:\n${diag}")
endif()
message(STATUS "case ${CASE}: refused with `${expected}`")
