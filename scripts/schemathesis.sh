#!/usr/bin/env bash
# Schema fuzzing: Schemathesis against a live tienda's /openapi.json, as an
# anonymous client, a customer and an admin, with a fixed seed and a bounded
# number of examples. Called by scripts/test.sh with VENV set; usable alone:
#   VENV=target/test-venv scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-target/test-venv}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"

cargo build --quiet
TIENDA_SERVER__PORT=$PORT \
TIENDA_STORE__URL="\"sqlite://$WORK/tienda.db\"" \
TIENDA_MAIL__OUTBOX_DIR="\"$WORK/outbox\"" \
TIENDA_RATE_LIMIT__ENABLED=false \
TIENDA_ADMIN__EMAILS='["fuzz-admin@tienda.test"]' \
TIENDA_LOG__LEVEL='"warn"' \
  "${CARGO_TARGET_DIR:-target}/debug/tienda" --config config/tienda.toml >"$WORK/tienda.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
  curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
if ! curl -sf "$BASE/healthz" >/dev/null 2>&1; then
  echo "tienda did not start for schema fuzzing; its log:" >&2
  cat "$WORK/tienda.log" >&2
  exit 1
fi

token() { # email
  curl -s -o /dev/null -X POST "$BASE/auth/register" -H 'content-type: application/json' \
    -d "{\"name\":\"Fuzz\",\"phone\":\"600000000\",\"email\":\"$1\",\"password\":\"fuzz-password-1\"}"
  curl -s -X POST "$BASE/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"fuzz-password-1\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
CUSTOMER=$(token fuzz-customer@tienda.test)
ADMIN=$(token fuzz-admin@tienda.test)

# The WebSocket upgrade and the logout (which would end the fuzzing session)
# are left out; every other operation is fuzzed.
run() { # label, extra args...
  local label=$1
  shift
  echo "== schemathesis as $label"
  "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method \
    --phases examples,fuzzing,stateful \
    --max-examples "$EXAMPLES" \
    --seed 20261126 \
    --generation-deterministic \
    --exclude-path /chat/ws \
    --exclude-path /auth/logout \
    --exclude-path /auth/sessions/{id} \
    --exclude-path /admin/users/{email} \
    --max-response-time 5 \
    --workers 2 \
    "$@"
}
status=0
run anonymous || status=1
run customer -H "Authorization: Bearer $CUSTOMER" || status=1
run admin -H "Authorization: Bearer $ADMIN" || status=1
if ! kill -0 $PID 2>/dev/null; then
  echo "tienda died during schema fuzzing:" >&2
  cat "$WORK/tienda.log" >&2
  status=1
fi
exit $status
