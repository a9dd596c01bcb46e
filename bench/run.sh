#!/usr/bin/env bash
# tienda's load benchmark: release build, loopback only, every run bounded.
#
#   bench/run.sh            full run (~10-15 min): writes bench/RESULTS.md, bench/results.svg
#   bench/run.sh --smoke    ~2 s per path on small data with the debug build (it checks
#                           the instrument, not the speed), results in a temp dir, then
#                           bench/payments.py --smoke; exits non-zero only if a path
#                           answered errors, a check failed or a server died
#
# Extra arguments go to bench/bench.py (--out DIR, --keep).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else sudo apt-get install -y wrk >/dev/null; fi
fi
command -v python3 >/dev/null || { echo "python3 is needed to drive the benchmark" >&2; exit 2; }

# 10,000 chat sockets need as many descriptors in the server and in the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10600 ]; then
    echo "warning: open-file limit $(ulimit -n): the chat run will hold fewer sockets" >&2
fi

# The server, the chat load client (chatload) and the data-set seeder (benchseed):
# release binaries to measure; smoke mode only checks that every path still
# runs, so it takes the debug ones the test suite has just built.
for arg in "$@"; do
    if [ "$arg" = --smoke ]; then export TIENDA_BENCH_PROFILE=debug; fi
done
if [ "${TIENDA_BENCH_PROFILE:-release}" = debug ]; then
    cargo build --workspace --bins
else
    cargo build --release --workspace --bins
fi

# Smoke mode also runs the payments benchmark briefly (checkout with shipping,
# tax and payment; Stripe webhooks against localstripe), when a Python with
# localstripe is at hand (scripts/test.sh installs one); the full one is run
# on its own: python3 bench/payments.py (it writes its section of RESULTS.md).
for arg in "$@"; do
    if [ "$arg" = --smoke ]; then
        rc=0
        python3 bench/bench.py "$@" || rc=$?
        python3 bench/payments.py --smoke --if-stripe || rc=$?
        python3 bench/dashboard.py --smoke || rc=$?
        exit "$rc"
    fi
done
exec python3 bench/bench.py "$@"
