#!/usr/bin/env bash
# The same service converged from zero on 1 rig host and on 3 rig hosts (real dockerd each,
# reached over real SSH): wall time of `ecsctl apply --wait`, median of 5 runs each, and the
# ratio. A benchmark, not a test: it asserts nothing. Target: 3 hosts <= 1.3x 1 host.
#
#   benches/rig_converge.sh [TASKS]     (default 12; builds ecsctl in release mode first)
#
# Brings the rig up (tests/rig/rig.sh up 3) and takes it down again unless it was up before.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

TASKS=${1:-12}
RUNS=5
RIG_DIR=${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}

ensure_docker
export_docker_api_version

log "building ecsctl (release)"
cargo build --release --locked --quiet
ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl

# The rig's hosts load the test image from the local daemon.
ensure_busybox_image ecsctl-test/busybox:1

rig_was_up=no
[ -f "$RIG_DIR/env" ] && rig_was_up=yes
bash tests/rig/rig.sh up 3 >&2
# shellcheck disable=SC1091
. "$RIG_DIR/env"

work=$(mktemp -d)
cleanup() {
  for i in 1 2 3; do
    sock="$RIG_DIR/h$i/docker.sock"
    ids=$(docker -H "unix://$sock" ps -aq --filter label=ecsctl.cluster=rigbench 2>/dev/null || true)
    [ -n "$ids" ] && docker -H "unix://$sock" rm -f $ids >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  [ "$rig_was_up" = yes ] || bash tests/rig/rig.sh down >&2 || true
}
trap cleanup EXIT

manifest() { # hosts
  echo "apiVersion: ecsctl/v1"
  echo "kind: Cluster"
  echo "metadata: { name: rigbench }"
  echo "spec:"
  echo "  hosts:"
  local i endpoint socket
  for i in $(seq 1 "$1"); do
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
metadata: { name: app, cluster: rigbench }
spec:
  desiredCount: $TASKS
  placementStrategy: [{ type: spread, field: instanceId }]
EOF
}

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

converge() { # hosts -> seconds
  local hosts=$1 dir="$work/run" start end
  rm -rf "$dir"
  mkdir -p "$dir/m"
  manifest "$hosts" >"$dir/m/app.yaml"
  start=$(now)
  ECSCTL_STATE_DIR="$dir/state" ECSCTL_SSH="$RIG_SSH" "$ECSCTL" apply -f "$dir/m" --auto-approve --wait 2m >/dev/null 2>"$dir/log" || {
    cat "$dir/log" >&2
    return 1
  }
  end=$(now)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
  # Gone again before the next run (the state directory goes with it).
  for i in 1 2 3; do
    local ids
    ids=$(docker -H "unix://$RIG_DIR/h$i/docker.sock" ps -aq --filter label=ecsctl.cluster=rigbench)
    if [ -n "$ids" ]; then docker -H "unix://$RIG_DIR/h$i/docker.sock" rm -f $ids >/dev/null; fi
  done
}

declare -A result
for hosts in 1 3; do
  samples=()
  for _ in $(seq 1 "$RUNS"); do samples+=("$(converge "$hosts")"); done
  result[$hosts]=$(printf '%s\n' "${samples[@]}" | median)
  echo "converge $TASKS tasks on $hosts host(s) over SSH: median ${result[$hosts]} s (runs: ${samples[*]})"
done
awk -v one="${result[1]}" -v three="${result[3]}" \
  'BEGIN { printf "3 hosts / 1 host: %.2fx (target <= 1.3x)\n", three / one }'
