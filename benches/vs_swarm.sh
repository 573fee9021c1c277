#!/usr/bin/env bash
# ecsctl and Docker Swarm side by side on the same local dockerd, the same image and the same
# work; prints both figures and their ratio. A benchmark, not a test: it asserts nothing.
#
#   benches/vs_swarm.sh            (builds ecsctl in release mode first)
#
# (1) converge 20 replicas from zero; (2) recovery: a task's container killed → its
# replacement running, median of 10 kills (Docker's own die/start event times); (3) a rolling
# update of 20 replicas, two new tasks at a time. The container exits on SIGTERM in both.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

ensure_docker
export_docker_api_version

REPLICAS=20
KILLS=10
IMAGE=ecsctl-bench/busybox:1
CMD='trap "exit 0" TERM; sleep 1d & wait'

log "building ecsctl (release)"
cargo build --release --locked --quiet
ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl

work=$(mktemp -d)
cleanup() {
  [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  docker service rm bench >/dev/null 2>&1 || true
  [ "${swarm_started:-}" = yes ] && docker swarm leave --force >/dev/null 2>&1 || true
  ids=$(docker ps -aq --filter label=ecsctl.cluster=bench)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ensure_busybox_image "$IMAGE"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Seconds from each `die` to the next `start`, from Docker's own event times.
recovery_times() {
  local since=$1 until=$2 filter=$3
  docker events --since "$since" --until "$until" --filter type=container --filter "$filter" \
    --filter event=die --filter event=start --format '{{.TimeNano}} {{.Action}}' |
    awk '{ if ($2 == "die") d = $1; else if (d) { printf "%.3f\n", ($1 - d) / 1e9; d = 0 } }'
}

running() { docker ps -q --filter "$1" --filter status=running | wc -l; }

manifest() { # version maxPercent
  cat <<EOF
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: bench }
spec: { hosts: [{ name: local, endpoint: local }] }
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: bench }
spec:
  containerDefinitions:
    - name: app
      image: $IMAGE
      command: [sh, -c, '$CMD']
      environment: [{ name: VERSION, value: "$1" }]
      stopTimeout: 10
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: bench, cluster: bench }
spec:
  desiredCount: $REPLICAS
  deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: $2 }
EOF
}

export ECSCTL_STATE_DIR=$work/state
mkdir -p "$work/m"

log "ecsctl: converge $REPLICAS replicas"
manifest v1 110 > "$work/m/bench.yaml"
t0=$(now)
"$ECSCTL" apply -f "$work/m" --auto-approve --wait 5m >/dev/null 2>"$work/apply1.log"
e_converge=$(elapsed "$t0" "$(now)")

log "ecsctl: recovery, median of $KILLS kills"
"$ECSCTL" watch --cluster bench >"$work/watch.log" 2>&1 &
watch_pid=$!
sleep 2
since=$(date +%s)
for _ in $(seq "$KILLS"); do
  victim=$(docker ps -q --filter label=ecsctl.cluster=bench --filter status=running | head -n1)
  docker kill "$victim" >/dev/null
  until [ "$(running label=ecsctl.cluster=bench)" -ge "$REPLICAS" ]; do sleep 0.05; done
  sleep 1
done
e_recovery=$(recovery_times "$since" "$(date +%s)" label=ecsctl.cluster=bench | median)
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true; watch_pid=

log "ecsctl: rolling update, two new tasks at a time (maximumPercent 110)"
manifest v2 110 > "$work/m/bench.yaml"
t0=$(now)
"$ECSCTL" apply -f "$work/m" --auto-approve --wait 5m >/dev/null 2>"$work/apply2.log"
e_rolling=$(elapsed "$t0" "$(now)")
ids=$(docker ps -aq --filter label=ecsctl.cluster=bench)
[ -n "$ids" ] && docker rm -f $ids >/dev/null

log "swarm: converge $REPLICAS replicas"
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  swarm_started=yes
fi
t0=$(now)
docker service create --quiet --detach=false --no-resolve-image --name bench --replicas "$REPLICAS" \
  --stop-grace-period 10s --env VERSION=v1 "$IMAGE" sh -c "$CMD" >/dev/null
s_converge=$(elapsed "$t0" "$(now)")

log "swarm: recovery, median of $KILLS kills"
since=$(date +%s)
for _ in $(seq "$KILLS"); do
  victim=$(docker ps -q --filter label=com.docker.swarm.service.name=bench --filter status=running | head -n1)
  docker kill "$victim" >/dev/null
  until [ "$(running label=com.docker.swarm.service.name=bench)" -ge "$REPLICAS" ]; do sleep 0.05; done
  sleep 1
done
s_recovery=$(recovery_times "$since" "$(date +%s)" label=com.docker.swarm.service.name=bench | median)

log "swarm: rolling update, two new tasks at a time (--update-parallelism 2)"
t0=$(now)
docker service update --quiet --detach=false --no-resolve-image --update-parallelism 2 --update-delay 0s \
  --env-add VERSION=v2 bench >/dev/null
s_rolling=$(elapsed "$t0" "$(now)")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
printf '%-34s %10s %10s %10s\n' "" ecsctl swarm "ratio"
printf '%-34s %9ss %9ss %10s\n' "converge $REPLICAS replicas from zero" "$e_converge" "$s_converge" "$(ratio "$e_converge" "$s_converge")"
printf '%-34s %9ss %9ss %10s\n' "recovery (median of $KILLS kills)" "$e_recovery" "$s_recovery" "$(ratio "$e_recovery" "$s_recovery")"
printf '%-34s %9ss %9ss %10s\n' "rolling update, 2 at a time" "$e_rolling" "$s_rolling" "$(ratio "$e_rolling" "$s_rolling")"
echo "targets: converge <= 0.4x swarm, recovery <= 0.4 s median, rolling <= 0.5x swarm"
