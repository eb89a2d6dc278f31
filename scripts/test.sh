#!/usr/bin/env bash
# Installs what is missing, builds everything (warnings are errors) and runs the whole test suite.
# Tests build unoptimized with assertions on (-O0, no debug info): about 2.7x faster to
# compile than -O2 -g on the Beast-heavy test files. BUILD_TYPE / BUILD_DIR override.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-test}
export BUILD_TYPE=${BUILD_TYPE:-Debug}
scripts/build.sh -DCMAKE_CXX_FLAGS_DEBUG="${DEBUG_FLAGS:--O0}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 300
