#!/usr/bin/env bash
# Instructions per request of bm_client's concurrency-1 loops, counted by callgrind per
# thread (deterministic: the VM's timing noise does not reach it): the client's thread and
# the emulator's, for gemini::client and for the hand-written Beast loop that parses the
# JSON (BM_raw_beast_parse). The difference between the 102- and the 2-iteration runs is
# 5000 requests without the set-up. Needs valgrind and a built build/benchmarks/bm_client.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/benchmarks/bm_client}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() { awk '/^totals:/ {print $2}' "$1"; }
for b in BM_raw_beast_parse BM_client; do
  for n in 2 102; do
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/$b.$n" "$bin" \
      --benchmark_filter="^$b/1/iterations:$n\$" >/dev/null 2>&1
  done
  # Thread 1 runs the benchmark's io_context, thread 2 the emulator.
  own=$(( ($(total "$tmp/$b.102-01") - $(total "$tmp/$b.2-01")) / 5000 ))
  emu=$(( ($(total "$tmp/$b.102-02") - $(total "$tmp/$b.2-02")) / 5000 ))
  printf '%-20s client thread %6d  emulator thread %6d  instructions/request\n' "$b" "$own" "$emu"
done
