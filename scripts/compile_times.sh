#!/usr/bin/env bash
# Compile time and peak memory of the TUs a user pays for, with g++ and clang++ at -O0 and
# -O2 (docs/performance.md, "Compile time"). One compiler at a time; run on an idle machine.
#   scripts/compile_times.sh            # prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/one_call.cpp" <<'CPP'
#include <gemini/gemini.hpp>
int main() {
  gemini::sync_client c;
  auto r = c.generate("hi");
  return r ? 0 : 1;
}
CPP
echo '#include <gemini/testing/emulator_impl.hpp>' >"$tmp/emulator_lib.cpp"
tus=("$tmp/one_call.cpp:umbrella header + one sync_client::generate"
     "$root/examples/quickstart.cpp:examples/quickstart.cpp (production bundle, sync client)"
     "$tmp/emulator_lib.cpp:gemini::testing (the emulator, compiled once)")
compilers=(g++ clang++-14)
measure() {  # compiler flags file -> "12.3 s, 845 MB"
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$1" -std=c++20 -DBOOST_ASIO_NO_DEPRECATED \
    -I"$root/include" $2 -c "$3" -o "$tmp/out.o"
  awk '{printf "%.1f s, %d MB", $1, $2 / 1024}' "$tmp/t"
}
echo "| TU | compiler | -O0 | -O2 |"
echo "|---|---|---|---|"
for tu in "${tus[@]}"; do
  file=${tu%%:*} name=${tu#*:}
  for cxx in "${compilers[@]}"; do
    command -v "$cxx" >/dev/null || continue
    echo "| $name | $($cxx --version | head -1 | sed 's/ (.*)//') | $(measure "$cxx" -O0 "$file") | $(measure "$cxx" -O2 "$file") |"
  done
done
