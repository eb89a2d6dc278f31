#!/usr/bin/env bash
# Instructions per call of bm_policy's fixed-iteration benchmarks, counted by callgrind
# (deterministic: the VM's timing noise does not reach it). Prints each benchmark's count
# and its ratio to BM_direct. Needs valgrind and a built build/benchmarks/bm_policy.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/benchmarks/bm_policy}
calls=20000  # 20 iterations x 1000 calls
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() {  # total instructions of one run of bm_policy with filter $1
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" --benchmark_filter="$1" \
    >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$tmp/out"
}
base=$(count '^NONE$')
direct=""
for b in BM_direct BM_direct_fn BM_noop_client BM_full_stack; do
  n=$(count "^$b/iterations:20\$")
  per=$(( (n - base) / calls ))
  [ -z "$direct" ] && direct=$per
  awk -v b="$b" -v p="$per" -v d="$direct" 'BEGIN { printf "%-16s %7d instructions/call  %.3f\n", b, p, p / d }'
done
