#!/usr/bin/env bash
# `ecsctl serve` under load, at 1,000 services: requests per second and latency (p50, p99)
# of DescribeServices (10 services per call) and of RegisterTaskDefinition (a new revision
# per call: a real write, lock and all), measured with wrk over loopback. A benchmark, not a
# test: it asserts nothing. Targets: reads p99 <= 5 ms, >= 5,000 reads/s on 2 cores.
#
#   benches/api.sh [SERVICES]     (default 1000; builds ecsctl in release mode first)
#
# Environment: DURATION (wrk's -d, default 10s), CONNECTIONS (-c, default 16),
# THREADS (-t, default 2), ECSCTL_BIN (measure that binary instead of building one). The services are applied from manifests in one `apply
# --no-converge` to a throwaway state directory, and `serve --no-reconcile` answers from it:
# nothing runs, no Docker daemon is needed, only the API is measured.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=${1:-1000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}

log() { printf '%s\n' "$*" >&2; }

command -v wrk >/dev/null || {
    log "wrk is missing (Debian: apt-get install wrk)"
    exit 1
}

if [ -n "${ECSCTL_BIN:-}" ]; then
    ECSCTL=$ECSCTL_BIN # a build to compare with, as it is
else
    log "building ecsctl (release)"
    nice -n 10 cargo build --release --locked --quiet --bin ecsctl
    ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
fi

work=$(mktemp -d)
serve_pid=
cleanup() {
    if [ -n "$serve_pid" ]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# One cluster whose only host is never contacted, one task definition, N services.
mkdir -p "$work/m"
{
    cat <<'YAML'
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: bench }
spec:
  hosts:
    - { name: node-a, endpoint: "unix:///nonexistent/docker.sock" }
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: web }
spec:
  containerDefinitions:
    - name: web
      image: nginx:1.27
      memory: 64
      portMappings: [{ containerPort: 80 }]
      environment: [{ name: MODE, value: bench }]
YAML
    for i in $(seq 0 $((SERVICES - 1))); do
        printf -- '---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: { name: svc-%04d, cluster: bench }\nspec: { taskDefinition: web, desiredCount: 2 }\n' "$i"
    done
} >"$work/m/all.yaml"

start=$(date +%s.%N)
"$ECSCTL" --state-dir "$work/state" apply -f "$work/m" --auto-approve --no-converge >/dev/null
log "applied $SERVICES services in $(echo "$(date +%s.%N) - $start" | bc) s ($(wc -c <"$work/state/state.json") bytes of state)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ECSCTL" --state-dir "$work/state" serve --listen "127.0.0.1:$port" --no-reconcile 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

cat >"$work/describe.lua" <<'LUA'
-- DescribeServices of 10 services per call, walking through all of them.
local services = tonumber(os.getenv("SERVICES"))
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113.DescribeServices"
request = function()
  local names = {}
  for i = 1, 10 do
    names[i] = string.format('"svc-%04d"', (n * 10 + i - 1) % services)
  end
  n = n + 1
  return wrk.format(nil, "/", nil, '{"cluster":"bench","services":[' .. table.concat(names, ",") .. ']}')
end
LUA

cat >"$work/register.lua" <<'LUA'
-- RegisterTaskDefinition with new content each call (a new revision: a real write).
local n = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition"
request = function()
  n = n + 1
  return wrk.format(nil, "/", nil, string.format(
    '{"family":"bench-writes","containerDefinitions":[{"name":"web","image":"nginx:1.27","memory":64,"environment":[{"name":"N","value":"%s-%d"}]}]}',
    tostring(tid), n))
end
-- The body of every answer that is not a 200, so a failure says what it was.
response = function(status, headers, body)
  if status ~= 200 then
    local f = io.open(os.getenv("FAILURES"), "a")
    if f then
      f:write(status .. " " .. body .. "\n")
      f:close()
    end
  end
end
LUA

# One request of each, to show they are answered (not errors).
check() {
    local target=$1 body=$2
    curl -sS -o "$work/check.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
        -H "X-Amz-Target: AmazonEC2ContainerServiceV20141113.$target" \
        -H 'Content-Type: application/x-amz-json-1.1' -d "$body"
}
code=$(check DescribeServices '{"cluster":"bench","services":["svc-0000","svc-0001"]}')
[ "$code" = 200 ] || { log "DescribeServices answered $code: $(cat "$work/check.json")"; exit 1; }

report() {
    local what=$1 out=$2
    local rps p50 p99 errors timeouts
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$out")
    timeouts=$(awk '/Socket errors:/ {print $NF}' "$out")
    # The machine may be shared: the load average says how quiet it was.
    printf '%-40s %10s req/s   p50 %8s   p99 %8s   non-2xx %s   timeouts %s   load %s\n' "$what" "$rps" \
        "$p50" "$p99" "${errors:-0}" "${timeouts:-0}" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# The server's CPU time (ticks) and context switches: per request, they hardly depend on
# what else the machine runs, unlike latencies.
server_cpu() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }
server_switches() { cat "/proc/$serve_pid"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

log "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION each"
cpu0=$(server_cpu) switches0=$(server_switches)
SERVICES=$SERVICES wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s "$work/describe.lua" "http://127.0.0.1:$port/" >"$work/describe.out"
cpu1=$(server_cpu) switches1=$(server_switches)
report "DescribeServices (10 of $SERVICES)" "$work/describe.out"
requests=$(awk '/requests in/ {print $1}' "$work/describe.out")
if [ "${requests:-0}" -gt 0 ]; then
    log "  server per DescribeServices: $(((cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / requests)) us of CPU, $(echo "scale=2; ($switches1 - $switches0) / $requests" | bc) context switches"
fi
# Writes wait in line for each other (and the lock, 10 s at most): wrk's own timeout (2 s)
# would leave the slowest out of the latencies, so it is longer than that.
FAILURES=$work/failures.txt wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency --timeout 15s \
    -s "$work/register.lua" "http://127.0.0.1:$port/" >"$work/register.out"
report "RegisterTaskDefinition (new revision)" "$work/register.out"
if [ -s "$work/failures.txt" ]; then
    log "non-2xx answers of RegisterTaskDefinition (count, status, body):"
    cut -c1-300 "$work/failures.txt" | sort | uniq -c >&2
fi
revisions=$(curl -sS -X POST "http://127.0.0.1:$port/" \
    -H 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition' \
    -d '{"taskDefinition":"bench-writes"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["taskDefinition"]["revision"])')
log "bench-writes reached revision $revisions"
if [ -n "${VERBOSE:-}" ]; then
    cat "$work/describe.out" "$work/register.out" >&2
fi
