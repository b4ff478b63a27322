#!/usr/bin/env bash
# `make demo`: validate → plan → apply (with progress) → plan ("No changes") against the bundled
# simulator, seeded from examples/tenant.json with a fresh state every run.
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
CLI=("$PY" -m reconciler)
DEMO=.demo
SEED="${DEMO_SEED:-examples/tenant.json}"
CONFIG="${DEMO_CONFIG:-examples/config}"
TOKEN=demo-token
RATE=5 # requests per second, for a quick demo; the real platform allows 1 request/second

rm -rf "$DEMO"
mkdir -p "$DEMO"

SIM_PID=""
cleanup() {
    if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

if [[ -t 1 ]]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD="" RESET=""; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }

step "Starting the simulator (rate limit ${RATE}/s; the real platform allows 1 request/second)"
mkfifo "$DEMO/sim.out"
"${CLI[@]}" simulator --seed "$SEED" --state "$DEMO/tenant-state.json" --token "$TOKEN" \
    --port 0 --rate-limit "$RATE" --validation-delay 1 --row-delay 0.2 \
    >"$DEMO/sim.out" 2>"$DEMO/sim.err" &
SIM_PID=$!

# Wait for the ready line (it carries the URL), not for a fixed time: `read` blocks until the
# simulator prints it, and returns early if the simulator dies (end of file).
URL=""
SUBDOMAIN=""
exec 3<"$DEMO/sim.out"
while IFS= read -r line <&3; do
    printf '%s\n' "$line" >>"$DEMO/sim.log"
    if [[ "$line" =~ ^serving\ tenant\ ([^[:space:]]+)\ at\ (https?://[^[:space:]]+) ]]; then
        SUBDOMAIN="${BASH_REMATCH[1]}"
        URL="${BASH_REMATCH[2]}"
        break
    fi
done
if [[ -z "$URL" ]]; then
    echo "the simulator did not start:" >&2
    cat "$DEMO/sim.err" >&2
    exit 1
fi
# Keep draining the simulator's output so it never blocks on a full pipe.
cat <&3 >>"$DEMO/sim.log" &
exec 3<&-
echo "simulator ready: tenant $SUBDOMAIN at $URL"

export CCAI_BASE_URL="$URL"
export CCAI_SUBDOMAIN="$SUBDOMAIN"
export CCAI_API_TOKEN="$TOKEN"
unset CCAI_BASE_REF

step "validate $CONFIG (offline)"
"${CLI[@]}" validate "$CONFIG"

step "plan: what would change"
"${CLI[@]}" plan -c "$CONFIG" --rate "$RATE"

step "apply --auto-approve (job progress on stderr)"
"${CLI[@]}" apply -c "$CONFIG" --auto-approve --rate "$RATE" --report "$DEMO/apply-report.json"

step "plan again: the tenant now matches the config"
"${CLI[@]}" plan -c "$CONFIG" --rate "$RATE"

step "Done. The audit report is in $DEMO/apply-report.json"
"$PY" - "$DEMO/apply-report.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
calls = ", ".join(f"{k} {v}" for k, v in r["api_calls"].items())
total = sum(r["api_calls"].values())
print(f"job {r['job_id']} ({r['job_filename']}), outcome {r['outcome']}")
print(f"apply made {total} API calls ({calls}): about {total} s at the real platform's 1/s")
PYEOF
