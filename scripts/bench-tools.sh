#!/usr/bin/env bash
# Install what the benchmarks in bench/ drive the server with: wrk, Debian's HTTP load
# generator (bench/api.py). Does nothing when it is there already; never fails the caller.
set -uo pipefail

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing Debian's wrk for bench/api.py"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
    || echo "could not install wrk"
fi
exit 0
