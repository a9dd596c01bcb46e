#!/usr/bin/env bash
# Runs tienda's whole test suite on a fresh machine: checks formatting and
# lints, installs what the tests
# need (Chromium + ChromeDriver and systemd-analyze from Debian; SecantusDB, aiosmtpd,
# Schemathesis and localstripe from PyPI in a virtual environment; axe-core from npm),
# starts the MongoDB-wire server, the Stripe emulator and ChromeDriver on free
# loopback ports, runs every test on SQLite and the HTTP suite again on MongoDB,
# checks the systemd unit, fuzzes the live API with Schemathesis, runs the
# benchmark smoke mode, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    # SecantusDB may ignore SIGTERM: SIGINT first, then make sure.
    kill -INT "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '== %s %s\n' "$(date +%T)" "$*"; }

# 0. Formatting and lints first: a submission that breaks them fails at once.
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port, name, log file
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $1)))"; then
      return 0
    fi
    sleep 0.2
  done
  echo "$2 did not start; its log:" >&2
  cat "$3" >&2
  exit 1
}

# 1. Debian packages for the browser tests.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 2. Python test servers.
VENV=${TIENDA_TEST_VENV:-$ROOT/target/test-venv}
if ! "$VENV/bin/python" -c 'import secantus, aiosmtpd, schemathesis, localstripe' >/dev/null 2>&1; then
  log "installing secantusdb, aiosmtpd, schemathesis and localstripe into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check secantusdb aiosmtpd schemathesis localstripe
fi

# 2b. axe-core (npm) for the accessibility checks the browser tests inject.
AXE="$ROOT/target/npm/node_modules/axe-core/axe.min.js"
if [ ! -f "$AXE" ]; then
  log "installing axe-core into target/npm"
  npm install --silent --no-audit --no-fund --prefix "$ROOT/target/npm" axe-core@4 >/dev/null
fi

# 3. The MongoDB-wire server.
MONGO_PORT=$(free_port)
"$VENV/bin/python" -m secantus --host 127.0.0.1 --port "$MONGO_PORT" --storage-path ':memory:' \
  >"$WORK/secantus.log" 2>&1 &
PIDS+=($!)
wait_port "$MONGO_PORT" SecantusDB "$WORK/secantus.log"

# 3b. The Stripe emulator (localstripe). Its own `localstripe` command binds every
# interface and saves its state to /tmp/localstripe.pickle on each write (shared by
# every run on the machine): serve its app on loopback instead, state in memory only.
STRIPE_PORT=$(free_port)
"$VENV/bin/python" -c '
import sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.Store.dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
' "$STRIPE_PORT" >"$WORK/localstripe.log" 2>&1 &
PIDS+=($!)
wait_port "$STRIPE_PORT" localstripe "$WORK/localstripe.log"

# 4. ChromeDriver.
DRIVER_PORT=$(free_port)
chromedriver --port="$DRIVER_PORT" >"$WORK/chromedriver.log" 2>&1 &
PIDS+=($!)
wait_port "$DRIVER_PORT" ChromeDriver "$WORK/chromedriver.log"

export TIENDA_TEST_MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true"
export TIENDA_TEST_CHROMEDRIVER="http://127.0.0.1:$DRIVER_PORT"
export TIENDA_TEST_STRIPE_URL="http://127.0.0.1:$STRIPE_PORT"
export TIENDA_TEST_PYTHON="$VENV/bin/python"
export TIENDA_TEST_AXE="$AXE"
export RUST_BACKTRACE=1

# 5. Everything on SQLite (unit, contract on both stores, HTTP, browser)...
log "cargo test (SQLite store; contract suite on both stores)"
cargo test --all-targets --no-fail-fast 2>&1 | tee "$WORK/sqlite.log"
# 6. ...and the HTTP suite again on MongoDB.
log "cargo test --test it (MongoDB store)"
TIENDA_TEST_STORE=mongo cargo test --test it --no-fail-fast 2>&1 | tee "$WORK/mongo.log"
# 6b. The systemd unit, checked by systemd's own tools (Debian's systemd
# package). `verify` also checks that ExecStart's binary exists: a copy of the
# unit names the binary the tests just built instead of /usr/local/bin/tienda.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  log "installing systemd (for systemd-analyze)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
log "systemd-analyze verify / security deploy/*.service deploy/*.timer"
mkdir -p "$WORK/unit"
for unit in deploy/*.service deploy/*.timer; do
  sed "s#/usr/local/bin/tienda#${CARGO_TARGET_DIR:-$ROOT/target}/debug/tienda#g" \
    "$unit" >"$WORK/unit/$(basename "$unit")"
done
systemd-analyze verify "$WORK"/unit/*
# Exposure 1.6 ("OK") and 0.9 when written; fails if the hardening slips past 2.0.
for unit in "$WORK"/unit/*.service; do
  systemd-analyze security --offline=true --threshold=20 "$unit" | tail -1
done
# 7. Schema fuzzing of the live API as anonymous, customer and admin.
log "schemathesis against /openapi.json"
VENV="$VENV" scripts/schemathesis.sh
# 8. The benchmark instrument in smoke mode (a few seconds a path), so it cannot rot.
log "bench/run.sh --smoke"
bench/run.sh --smoke
# 9. One closing line over every cargo test run.
cat "$WORK/sqlite.log" "$WORK/mongo.log" | python3 -c '
import re, sys
passed = failed = 0
for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed", sys.stdin.read()):
    passed += int(m.group(1)); failed += int(m.group(2))
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
'
