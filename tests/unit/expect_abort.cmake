# Runs PROGRAM; passes when it fails (aborts) and its stderr contains EXPECT.
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited 0; it must abort")
endif()
string(FIND "${err}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${PROGRAM}: stderr lacks `${EXPECT}`:\n${err}")
endif()
