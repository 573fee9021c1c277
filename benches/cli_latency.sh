#!/usr/bin/env bash
# Wall time of read commands across 5 rig hosts (real dockerd each, reached over real SSH):
# `ecsctl get tasks`, `get hosts`, `describe service app`, each
#   off:  connection sharing off (ECSCTL_SSH_PERSIST=0): one SSH login per host per command
#   cold: sharing on, no master yet: the command logs in and leaves the masters behind
#   warm: sharing on, masters alive: no login
# beside `docker -H ssh://root@10.250.I.2 ps` of the same 5 hosts (in parallel, as ecsctl
# reaches them). Median of RUNS runs each. A benchmark, not a test: it asserts nothing.
# Target: warm <= 0.3 s; cold no slower than off.
#
#   benches/cli_latency.sh [RUNS]     (default 7; builds ecsctl in release mode first,
#                                     or uses $ECSCTL when set)
#
# Brings the rig up (tests/rig/rig.sh up 5) and takes it down again unless it was up before.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

RUNS=${1:-7}
HOSTS=5
TASKS=5
RIG_DIR=${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}

ensure_docker
export_docker_api_version

if [ -z "${ECSCTL:-}" ]; then
  log "building ecsctl (release)"
  cargo build --release --locked --quiet
  ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
fi

# The rig's hosts load the test image from the local daemon.
ensure_busybox_image ecsctl-test/busybox:1

rig_was_up=no
if [ -f "$RIG_DIR/env" ] && bash tests/rig/rig.sh status >/dev/null 2>&1; then
  rig_was_up=yes
fi
bash tests/rig/rig.sh up "$HOSTS" >&2
# shellcheck disable=SC1091
. "$RIG_DIR/env"

# Short: the control sockets live under it (unix socket paths stay under ~100 bytes).
work=$(mktemp -d /tmp/ecsctl-lat.XXXXXX)
export ECSCTL_STATE_DIR=$work/state ECSCTL_SSH=$RIG_SSH
cluster=latbench

# Ends the masters the benchmark left (by their control sockets, never by process name).
stop_masters() {
  local control
  for control in "$ECSCTL_STATE_DIR"/ssh/*.sock; do
    [ -S "$control" ] || continue
    "$RIG_SSH" -o ControlPath="$control" -O exit bench >/dev/null 2>&1 || true
  done
}

cleanup() {
  stop_masters
  for i in $(seq 1 "$HOSTS"); do
    sock="$RIG_DIR/h$i/docker.sock"
    ids=$(docker -H "unix://$sock" ps -aq --filter label=ecsctl.cluster=$cluster 2>/dev/null || true)
    [ -n "$ids" ] && docker -H "unix://$sock" rm -f $ids >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  [ "$rig_was_up" = yes ] || bash tests/rig/rig.sh down >&2 || true
}
trap cleanup EXIT

manifest() {
  echo "apiVersion: ecsctl/v1"
  echo "kind: Cluster"
  echo "metadata: { name: $cluster }"
  echo "spec:"
  echo "  hosts:"
  local i endpoint socket
  for i in $(seq 1 "$HOSTS"); do
    endpoint=RIG_HOST_${i}_ENDPOINT
    socket=RIG_HOST_${i}_SOCKET
    echo "    - { name: h$i, endpoint: '${!endpoint}', dockerSocket: '${!socket}' }"
  done
  cat <<EOF
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: app }
spec:
  containerDefinitions:
    - name: app
      image: $RIG_IMAGE
      memory: 32
      stopTimeout: 2
      command: [sh, -c, 'trap "exit 0" TERM; sleep 1d & wait']
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: app, cluster: $cluster }
spec:
  desiredCount: $TASKS
  placementStrategy: [{ type: spread, field: instanceId }]
EOF
}

mkdir -p "$work/m"
manifest >"$work/m/app.yaml"
log "applying $TASKS tasks over $HOSTS hosts"
ECSCTL_SSH_PERSIST=0 "$ECSCTL" apply -f "$work/m" --auto-approve --wait 2m >/dev/null

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# timed CMD...: seconds CMD took; its output is dropped, a failure stops the benchmark.
timed() {
  local start end
  start=$(now)
  "$@" >/dev/null 2>"$work/err" || {
    cat "$work/err" >&2
    return 1
  }
  end=$(now)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

# sample MODE CMD...: one run of CMD in MODE (off, cold, warm).
sample() {
  local mode=$1
  shift
  case $mode in
  off) stop_masters && ECSCTL_SSH_PERSIST=0 timed "$@" ;;
  cold) stop_masters && timed "$@" ;;
  warm) "$@" >/dev/null 2>&1 && timed "$@" ;;
  esac
}

# docker ps of every host at once, each over a fresh ssh (the rig's ssh first on PATH).
docker_ps_all() {
  local i pids=()
  for i in $(seq 1 "$HOSTS"); do
    docker -H "ssh://root@10.250.$i.2" ps >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
}

measure() { # label MODE CMD...
  local label=$1 mode=$2 samples=() _
  shift 2
  for _ in $(seq 1 "$RUNS"); do samples+=("$(sample "$mode" "$@")"); done
  printf '%-28s %-5s median %s s   (runs: %s)\n' "$label" "$mode" \
    "$(printf '%s\n' "${samples[@]}" | median)" "${samples[*]}"
}

echo "$HOSTS hosts, $TASKS tasks, median of $RUNS runs"
for mode in off cold warm; do
  measure "get tasks" "$mode" "$ECSCTL" get tasks --cluster $cluster
  measure "get hosts" "$mode" "$ECSCTL" get hosts --cluster $cluster
  measure "describe service app" "$mode" "$ECSCTL" describe service app --cluster $cluster
done
export PATH="$RIG_DIR/bin:$PATH"
measure "docker -H ssh:// ps (x$HOSTS)" off docker_ps_all
