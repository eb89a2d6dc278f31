#!/usr/bin/env bash
# Installs what is missing, builds everything (warnings are errors) and runs the whole test suite,
# again built with clang++ 14 (CLANG=0 skips), then under AddressSanitizer +
# UndefinedBehaviorSanitizer (SANITIZE=0 skips), and the multi-threaded tests under
# ThreadSanitizer (TSAN=0 skips).
# Tests build unoptimized with assertions on (-O0, no debug info): about 2.7x faster to
# compile than -O2 -g on the Beast-heavy test files. BUILD_TYPE / BUILD_DIR override;
# SANITIZE=0 skips the sanitizer run (SAN_BUILD_DIR: its build directory).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-test}
export BUILD_TYPE=${BUILD_TYPE:-Debug}
scripts/build.sh -DCMAKE_CXX_FLAGS_DEBUG="${DEBUG_FLAGS:--O0}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 300

if [ "${CLANG:-1}" != 0 ]; then
  # The same suite built with clang++ 14 (bookworm's `clang`): the library must compile
  # with both compilers. Benchmarks and the syntax-only tests (run above) are left out.
  BUILD_DIR=${CLANG_BUILD_DIR:-build-clang} scripts/build.sh -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DGEMINI_BUILD_BENCHMARKS=OFF
  ctest --test-dir "${CLANG_BUILD_DIR:-build-clang}" --output-on-failure -j "${JOBS:-$(nproc)}" \
    --timeout 300 -E "^(consume|compile_fail|compile_fail_clang|header):"
fi

if [ "${SANITIZE:-1}" != 0 ]; then
  # The same suite under ASan + UBSan, at -O0 (an -O1 sanitizer build of the suite took
  # 61 min on 2 cores; -O0 keeps it to minutes). Benchmarks and examples (run by the two
  # builds above) are not built here.
  san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  BUILD_DIR=${SAN_BUILD_DIR:-build-asan} scripts/build.sh -DCMAKE_CXX_FLAGS_DEBUG="-O0 $san" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" -DGEMINI_BUILD_BENCHMARKS=OFF -DGEMINI_BUILD_EXAMPLES=OFF
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "${SAN_BUILD_DIR:-build-asan}" --output-on-failure -j "${JOBS:-$(nproc)}" \
    --timeout 600 -E "^(consume|compile_fail|compile_fail_clang|header):"
fi

if [ "${TSAN:-1}" != 0 ]; then
  # The tests where several threads share policy objects (tests/shared), under
  # ThreadSanitizer. Only that executable (and the emulator library it links) is built.
  tsan="-fsanitize=thread -fno-omit-frame-pointer"
  # g++ 12 warns that Asio's atomic_thread_fence is not instrumented (-Wtsan).
  tsan_cxx="$tsan -Wno-tsan"
  TARGET=test_shared BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan} scripts/build.sh \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 $tsan_cxx" -DCMAKE_EXE_LINKER_FLAGS="$tsan" \
    -DGEMINI_BUILD_BENCHMARKS=OFF -DGEMINI_BUILD_EXAMPLES=OFF
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
    "${TSAN_BUILD_DIR:-build-tsan}/tests/shared/test_shared"
fi
