#!/usr/bin/env bash
# Installs the Debian bookworm packages gemini-cxx builds, tests and benchmarks with.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
pkgs=(g++ clang cmake ninja-build pkg-config libboost1.81-dev libboost-json1.81-dev
      libboost-url1.81-dev libboost-system1.81-dev libssl-dev libhiredis-dev redis-server
      catch2 libbenchmark-dev prometheus prometheus-cpp-dev libspdlog-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
