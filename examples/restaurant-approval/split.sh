#!/usr/bin/env bash
# restaurant-approval split in two processes: a coordinator that runs no segment itself and a
# worker that hosts the pipeline and registers with it, over REST or over gRPC (TPF's
# TransitionWorkerService). Starts both, checks the worker is registered with that protocol,
# submits an order, accepts it through the interaction inbox, prints the result, then stops both.
# Only the chosen protocol's secret is configured, so nothing can go over the other one.
#
#   split.sh rest | grpc        (split-rest.sh and split-grpc.sh call it)
#
# Environment (all optional):
#   COORDINATOR_PORT  the coordinator's port (default 8080)
#   WORKER_PORT       the worker's REST port (default 8181), with rest
#   GRPC_PORT         the worker's gRPC port (default 9090), with grpc
#   DATA_DIR          the coordinator's data directory (default: a temporary one, removed at the end)
set -euo pipefail
TRANSPORT=${1:-}
case "$TRANSPORT" in
  rest | grpc) ;;
  *) echo "usage: $0 rest|grpc" >&2 && exit 2 ;;
esac
cd "$(dirname "$0")/../.."

COORDINATOR_PORT=${COORDINATOR_PORT:-8080}
WORKER_PORT=${WORKER_PORT:-8181}
GRPC_PORT=${GRPC_PORT:-9090}
COORDINATOR=http://127.0.0.1:$COORDINATOR_PORT
B=$COORDINATOR/tpf/control-plane/tenants/default
if [ -z "${DATA_DIR:-}" ]; then
  DATA_DIR=$(mktemp -d)
  REMOVE_DATA_DIR=1
fi
mkdir -p "$DATA_DIR"

# The protocol's own secret signs every call between coordinator and worker; the worker
# registers itself with the worker-role token. Fresh ones for this run, passed by reference
# (env:NAME).
random() { node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))"; }
export CAPSTAN_WORKER_SECRET=${CAPSTAN_WORKER_SECRET:-$(random)}
export CAPSTAN_WORKER_TOKEN=${CAPSTAN_WORKER_TOKEN:-$(random)}
export CAPSTAN_TOKEN=${CAPSTAN_TOKEN:-$(random)}
export CAPSTAN_ADMIN_TOKEN=${CAPSTAN_ADMIN_TOKEN:-$(random)}
unset PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF PIPELINE_ORCHESTRATOR_WORKER_REST_SECRET_REFS
unset PIPELINE_ORCHESTRATOR_WORKER_GRPC_SHARED_SECRET_REF PIPELINE_ORCHESTRATOR_WORKER_GRPC_SECRET_REFS
if [ "$TRANSPORT" = rest ]; then
  export PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF=env:CAPSTAN_WORKER_SECRET
  # The REST port.
  worker_args=(--port "$WORKER_PORT")
  worker_address=http://127.0.0.1:$WORKER_PORT
else
  export PIPELINE_ORCHESTRATOR_WORKER_GRPC_SHARED_SECRET_REF=env:CAPSTAN_WORKER_SECRET
  # With no REST secret, `npm run worker`'s REST port stays closed: it serves gRPC only.
  worker_args=(--grpc-port "$GRPC_PORT")
  worker_address="grpc 127.0.0.1:$GRPC_PORT"
fi
export PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF=env:CAPSTAN_WORKER_TOKEN
export PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF=env:CAPSTAN_TOKEN
export PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF=env:CAPSTAN_ADMIN_TOKEN

# Each background job in its own process group, so stopping it stops what npm started too.
set -m
COORDINATOR_PID=
WORKER_PID=
stop() {
  for pid in $WORKER_PID $COORDINATOR_PID; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in $WORKER_PID $COORDINATOR_PID; do wait "$pid" 2>/dev/null || true; done
  # npm may exit before the node process it started: wait (at most 20 s) until each group is gone.
  for pid in $WORKER_PID $COORDINATOR_PID; do
    for _ in $(seq 1 200); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -n "${REMOVE_DATA_DIR:-}" ]; then rm -rf "$DATA_DIR"; fi
}
trap stop EXIT
fail() {
  echo "split-$TRANSPORT: $1" >&2
  echo "--- coordinator log (tail)" >&2 && tail -n 20 "$DATA_DIR/coordinator.log" >&2 || true
  echo "--- worker log (tail)" >&2 && tail -n 20 "$DATA_DIR/worker.log" >&2 || true
  exit 1
}
# Reads a field of the JSON on stdin: `field v.executionId` (node is there anyway; jq may not be).
field() { node -e "const v = JSON.parse(require('node:fs').readFileSync(0, 'utf8')); const r = $1; process.stdout.write(typeof r === 'string' ? r : JSON.stringify(r ?? null))"; }
auth=(-H "Authorization: Bearer $CAPSTAN_TOKEN")
json=(-H 'Content-Type: application/json')

# Terminal 1: the coordinator registers and activates the example's release, and runs nothing itself.
npm start --silent -- --host 127.0.0.1 --port "$COORDINATOR_PORT" --data-dir "$DATA_DIR" \
  --set pipeline.orchestrator.control-plane.require-remote-worker=true >"$DATA_DIR/coordinator.log" 2>&1 &
COORDINATOR_PID=$!
# Terminal 2: the worker hosts the same pipeline module and registers with the coordinator.
npm run --silent worker -- --host 127.0.0.1 "${worker_args[@]}" \
  --coordinator-url "$COORDINATOR" >"$DATA_DIR/worker.log" 2>&1 &
WORKER_PID=$!
echo "coordinator $COORDINATOR (log $DATA_DIR/coordinator.log)"
echo "worker      $worker_address (log $DATA_DIR/worker.log)"

# Submit once the worker is registered: until then the coordinator answers 503 no_healthy_worker.
order='{"pipelineId":"restaurant-approval","idempotencyKey":"split-'"$TRANSPORT"'-order-1","input":{"requestId":"6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b","customerName":"Ada Lovelace","restaurantName":"Cafe Capstan","items":"2x pasta","totalAmount":"27.50","currency":"EUR"}}'
for _ in $(seq 1 120); do
  code=$(curl -s -o "$DATA_DIR/submit.json" -w '%{http_code}' -X POST "$B/executions" "${auth[@]}" "${json[@]}" -d "$order" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || fail "submit did not succeed (last status $code)"
EXECUTION=$(field v.executionId <"$DATA_DIR/submit.json")
echo "submitted   $EXECUTION"

workers=$(curl -sf "$COORDINATOR/tpf/admin/tenants/default/pipelines/restaurant-approval/workers" \
  -H "Authorization: Bearer $CAPSTAN_ADMIN_TOKEN")
echo "registered  $(echo "$workers" | field "v.map((w) => w.protocol + ' ' + w.endpoint + ' ' + w.state).join(', ')")"
[ "$(echo "$workers" | field "v.length > 0 && v.every((w) => w.protocol === '$TRANSPORT')")" = true ] ||
  fail "expected a $TRANSPORT worker"

# It runs two steps on the worker and parks at the restaurant's decision.
status=$(curl -sf "$B/executions/$EXECUTION/result?waitMs=10000" "${auth[@]}" | field v.status.status)
[ "$status" = WAITING_EXTERNAL ] || fail "expected WAITING_EXTERNAL, got $status"
pending=$(curl -sf "$B/interactions/pending" "${auth[@]}")
INTERACTION=$(echo "$pending" | field "v.find((i) => i.executionId === '$EXECUTION').interactionId")
ORDER=$(echo "$pending" | field "v.find((i) => i.executionId === '$EXECUTION').requestPayload.orderId")
echo "interaction $INTERACTION (order $ORDER)"

curl -sf -X POST "$B/interactions/complete" "${auth[@]}" "${json[@]}" \
  -d "{\"interactionId\":\"$INTERACTION\",\"response\":{\"accepted\":{\"orderId\":\"$ORDER\",\"decidedAt\":\"2026-01-01T12:00:00Z\",\"note\":\"on it\"}}}" >/dev/null ||
  fail "the completion was refused"
result=$(curl -sf "$B/executions/$EXECUTION/result?waitMs=10000" "${auth[@]}")
echo "result      $(echo "$result" | field v.result)"
[ "$(echo "$result" | field v.result.outcome)" = APPROVED ] || fail "expected outcome APPROVED"
