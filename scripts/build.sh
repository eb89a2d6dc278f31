#!/usr/bin/env bash
# Configures and builds gemini-cxx into ./build (BUILD_DIR overrides), warnings as errors.
# TARGET=<name> builds one target instead of everything; extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DGEMINI_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" ${TARGET:+--target "$TARGET"}
