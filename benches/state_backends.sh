#!/usr/bin/env bash
# The state backends side by side, and the failover of a shared state's reconciler:
#   plan:     `ecsctl plan` (no changes) of 1,000 services against the state directory and
#             against PostgreSQL (on loopback), median of RUNS runs each; the apply that
#             recorded them, once each
#   failover: two `watch --state postgres://…` of one cluster on the local Docker daemon;
#             the holder is killed (-9) and one task removed; the time until the standby
#             took over the lease, and until the task was replaced
# A benchmark, not a test: it asserts nothing. Target: failover <= 15 s.
#
#   benches/state_backends.sh [RUNS]   (default 5; builds ecsctl in release mode first,
#                                      or uses $ECSCTL when set)
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

RUNS=${1:-5}
SERVICES=1000

ensure_docker
export_docker_api_version
ensure_postgres
ensure_busybox_image ecsctl-test/busybox:1

if [ -z "${ECSCTL:-}" ]; then
  log "building ecsctl (release)"
  cargo build --release --locked --quiet
  ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
fi

work=$(mktemp -d /tmp/ecsctl-backends.XXXXXX)
db=ecsctl_bench_$$
url=${ECSCTL_TEST_POSTGRES_URL%/*}/$db
pids=()
cluster=bench-failover-$$
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  docker ps -aq --filter "label=ecsctl.cluster=$cluster" | xargs -r docker rm -f >/dev/null 2>&1 || true
  psql "$ECSCTL_TEST_POSTGRES_URL" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$ECSCTL_TEST_POSTGRES_URL" -qAt -c "CREATE DATABASE $db" >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }

{
  cat <<YAML
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: app }
spec:
  containerDefinitions:
    - { name: app, image: ecsctl-test/busybox:1, memory: 16 }
YAML
  for i in $(seq 1 "$SERVICES"); do
    printf -- '---\napiVersion: ecsctl/v1\nkind: Service\nmetadata: { name: svc-%04d }\nspec: { taskDefinition: app, desiredCount: 0 }\n' "$i"
  done
} >"$work/services.yaml"

echo "plan of $SERVICES services (median of $RUNS; seconds)"
for backend in dir postgres; do
  if [ "$backend" = dir ]; then state=$work/state; else state=$url; fi
  t0=$(now)
  "$ECSCTL" --state "$state" apply --no-converge --auto-approve -f "$work/services.yaml" >/dev/null 2>&1
  apply_time=$(elapsed "$t0" "$(now)")
  times=()
  for _ in $(seq 1 "$RUNS"); do
    t0=$(now)
    "$ECSCTL" --state "$state" plan -f "$work/services.yaml" >/dev/null
    times+=("$(elapsed "$t0" "$(now)")")
  done
  plan_time=$(printf '%s\n' "${times[@]}" | median)
  printf '  %-9s plan %ss   (apply of them: %ss)\n' "$backend" "$plan_time" "$apply_time"
done

# Failover: a fresh database for the cluster.
psql "$ECSCTL_TEST_POSTGRES_URL" -qAt -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
psql "$ECSCTL_TEST_POSTGRES_URL" -qAt -c "CREATE DATABASE $db" >/dev/null
cat >"$work/failover.yaml" <<YAML
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: $cluster }
spec:
  hosts:
    - { name: local, endpoint: local }
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: sleeper }
spec:
  containerDefinitions:
    - { name: main, image: ecsctl-test/busybox:1, command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"], memory: 16, stopTimeout: 2 }
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: web, cluster: $cluster }
spec: { taskDefinition: sleeper, desiredCount: 2 }
YAML
"$ECSCTL" --state "$url" apply --auto-approve --wait 90s -f "$work/failover.yaml" >/dev/null 2>&1
running() { docker ps -q --filter "label=ecsctl.cluster=$cluster" --filter "label=ecsctl.service=web" --filter status=running; }
"$ECSCTL" --state "$url" watch --cluster "$cluster" >"$work/a.log" 2>&1 &
pids+=($!)
disown
sleep 2
"$ECSCTL" --state "$url" watch --cluster "$cluster" >"$work/b.log" 2>&1 &
pids+=($!)
disown
for _ in $(seq 1 100); do
  grep -q "standing by" "$work/a.log" "$work/b.log" && break
  sleep 0.2
done
if grep -q "standing by" "$work/b.log"; then holder=${pids[0]}; survivor=$work/b.log; else holder=${pids[1]}; survivor=$work/a.log; fi
kill -9 "$holder"
killed=$(now)
victim=$(running | head -n 1)
docker rm -f "$victim" >/dev/null
took="" replaced=""
while [ -z "$replaced" ] || [ -z "$took" ]; do
  [ "$(elapsed "$killed" "$(now)" | cut -d. -f1)" -ge 60 ] && break
  if [ -z "$took" ] && grep -q "took over the reconciler lease" "$survivor"; then took=$(elapsed "$killed" "$(now)"); fi
  if [ -z "$replaced" ] && [ "$(running | wc -l)" -eq 2 ]; then replaced=$(elapsed "$killed" "$(now)"); fi
  sleep 0.1
done
echo "failover (holder killed -9, lease 10 s; seconds)"
echo "  lease taken over after ${took:-never}s; the removed task replaced after ${replaced:-never}s"
