#!/usr/bin/env bash
# Installs what is missing, builds the quickstart example and runs it: against the embedded
# emulator on loopback by default, against the real Gemini API when GEMINI_API_KEY is set.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=quickstart scripts/build.sh >&2
exec "${BUILD_DIR:-build}/examples/quickstart" "$@"
