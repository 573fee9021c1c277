#!/usr/bin/env bash
# What a `watch` keeps in memory: the resident size (VmRSS) of one watch of TASKS tasks
#   idle:    after it settled on converged tasks
#   during:  the highest figure while a rollout of every task runs (an env var of the task
#            definition changed, then `ecsctl apply`, which hands the rollout to the watch)
#   after:   10 s and 60 s after the rollout finished (ROLLOUTS of them, default 2, one after
#            the other: memory that a rollout keeps shows as growth from one to the next)
# then the same at BIG tasks (skipped with BIG=0). A benchmark, not a test: it asserts nothing.
#
#   benches/watch_memory.sh [--rig] [TASKS] [BIG]
#       default 300 and 1000 tasks on the local Docker daemon (`endpoint: local`); with --rig,
#       on the hosts of a running rig (tests/rig/rig.sh up 5; never started or changed here),
#       reached over SSH, spread over them. Builds ecsctl in release mode first, or uses
#       $ECSCTL when set. SETTLE (default 20 s): how long a watch runs before its idle figure.
#       MAX_PERCENT (default 200): the deployments' maximumPercent (fewer containers at once).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

RIG=no
if [ "${1:-}" = --rig ]; then
  RIG=yes
  shift
fi
TASKS=${1:-300}
BIG=${2:-1000}
SETTLE=${SETTLE:-20}
MAX_PERCENT=${MAX_PERCENT:-200}
ROLLOUTS=${ROLLOUTS:-2}
RIG_DIR=${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}

ensure_docker
export_docker_api_version
ensure_busybox_image ecsctl-test/busybox:1

bench_ecsctl

# The Docker sockets holding this bench's containers: the local daemon's, or each rig host's.
sockets=()
if [ "$RIG" = yes ]; then
  if [ ! -f "$RIG_DIR/env" ]; then
    echo "no rig at $RIG_DIR: bring one up first (tests/rig/rig.sh up 5)" >&2
    exit 1
  fi
  # shellcheck disable=SC1091
  . "$RIG_DIR/env"
  export ECSCTL_SSH=$RIG_SSH
  for i in $(seq 1 "$RIG_HOSTS"); do
    socket=RIG_HOST_${i}_SOCKET
    sockets+=("unix://${!socket}")
  done
else
  sockets+=("${DOCKER_HOST:-unix:///var/run/docker.sock}")
fi

work=$(mktemp -d /tmp/ecsctl-memory.XXXXXX)
cluster=mem-bench-$$
watch_pid=
apply_pid=
remove_containers() {
  local socket
  for socket in "${sockets[@]}"; do
    docker -H "$socket" ps -aq --filter "label=ecsctl.cluster=$cluster" 2>/dev/null |
      xargs -r docker -H "$socket" rm -f >/dev/null 2>&1 || true
  done
}
cleanup() {
  [ -n "$apply_pid" ] && kill "$apply_pid" 2>/dev/null && wait "$apply_pid" 2>/dev/null || true
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  remove_containers
  rm -rf "$work"
}
trap cleanup EXIT
export ECSCTL_STATE_DIR=$work/state

hosts() {
  if [ "$RIG" = yes ]; then
    rig_host_entries "$RIG_HOSTS"
  else
    echo "    - { name: local, endpoint: local }"
  fi
}

manifest() { # COUNT VERSION
  cat <<EOF
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: $cluster }
spec:
  hosts:
$(hosts)
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: idle }
spec:
  containerDefinitions:
    - name: idle
      image: ecsctl-test/busybox:1
      command: [sh, -c, "trap 'exit 0' TERM; sleep 86400 & wait"]
      environment: [{ name: VERSION, value: "$2" }]
      cpu: 1
      memoryReservation: 8
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: idle, cluster: $cluster }
spec:
  desiredCount: $1
  placementStrategy: [{ type: spread, field: instanceId }]
  deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: $MAX_PERCENT }
EOF
}

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
version=1

apply() { # COUNT [apply options]
  local count=$1
  shift
  manifest "$count" "$version" >"$work/m.yaml"
  "$ECSCTL" apply -f "$work/m.yaml" --auto-approve "$@" >>"$work/apply.log" 2>&1
}

start_watch() {
  "$ECSCTL" watch --cluster "$cluster" 2>"$work/watch.log" &
  watch_pid=$!
  sleep "$SETTLE"
}

stop_watch() {
  kill "$watch_pid"
  wait "$watch_pid" 2>/dev/null || true
  watch_pid=
}

# rollout COUNT LABEL: a new revision of every task, rolled out by the running watch; prints
# the peak RSS during it, its time, and the RSS 10 s and 60 s after it.
rollout() {
  local count=$1 label=$2 peak=0 rss t0 took after10 after60
  version=$((version + 1))
  t0=$SECONDS
  apply "$count" --wait 20m &
  apply_pid=$!
  while kill -0 "$apply_pid" 2>/dev/null; do
    rss=$(rss_mib "$watch_pid")
    peak=$(awk -v a="$peak" -v b="$rss" 'BEGIN {print (b > a) ? b : a}')
    sleep 0.5
  done
  wait "$apply_pid" || {
    echo "rollout of $count tasks failed; apply said:" >&2
    tail -n 20 "$work/apply.log" >&2
    apply_pid=
    return 1
  }
  apply_pid=
  took=$((SECONDS - t0))
  sleep 10
  after10=$(rss_mib "$watch_pid")
  sleep 50
  after60=$(rss_mib "$watch_pid")
  printf '  %-9s during %6s MiB (peak; rollout %4d s)   after +10 s %6s MiB   +60 s %6s MiB\n' \
    "$label" "$peak" "$took" "$after10" "$after60"
}

# measure COUNT: COUNT converged tasks, then a watch: idle, then the rollouts.
measure() {
  local count=$1
  log "applying $count tasks"
  apply "$count" --wait 30m || {
    echo "apply of $count tasks failed:" >&2
    tail -n 20 "$work/apply.log" >&2
    return 1
  }
  start_watch
  echo "$count tasks:"
  printf '  %-9s %6s MiB\n' idle "$(rss_mib "$watch_pid")"
  local r
  for r in $(seq 1 "$ROLLOUTS"); do rollout "$count" "rollout $r"; done
  stop_watch
}

where=local
[ "$RIG" = yes ] && where="$RIG_HOSTS rig hosts over SSH"
echo "watch RSS, $where ($ECSCTL; settle ${SETTLE}s, maximumPercent $MAX_PERCENT${MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX $MALLOC_ARENA_MAX})"
measure "$TASKS"
if [ "$BIG" -gt 0 ]; then measure "$BIG"; fi
