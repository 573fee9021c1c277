#!/usr/bin/env bash
# Recovery: a task's container dies → its replacement started, under `ecsctl watch`, by the
# Docker daemon's own event times (the `die` of the killed container, then the `start` of the
# next container of the same service). KILLS kills, one at a time, each after the service is
# whole again; prints the median and p95 for each size. A benchmark, not a test: it asserts
# nothing.
#
#   benches/recovery.sh [SIZES] [KILLS]        tasks on the local daemon (default "10 100", 20)
#   benches/recovery.sh --rig [PER_HOST] [KILLS]  PER_HOST tasks on each of the 5 rig hosts over
#                                              SSH (default 60); the rig must be up (5 hosts)
#
# Builds ecsctl in release mode first, or uses $ECSCTL when set.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

mode=local
if [ "${1:-}" = --rig ]; then
  mode=rig
  shift
  SIZES=${1:-60}
else
  SIZES=${1:-10 100}
fi
KILLS=${2:-20}
RIG_DIR=${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}
RIG_HOSTS=5

ensure_docker
export_docker_api_version
ensure_busybox_image ecsctl-test/busybox:1

bench_ecsctl

# The daemons to watch and kill on: the local one, or each rig host's socket.
sockets=()
if [ "$mode" = rig ]; then
  [ -f "$RIG_DIR/env" ] || { echo "the rig is not up: bash tests/rig/rig.sh up $RIG_HOSTS" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$RIG_DIR/env"
  for i in $(seq 1 $RIG_HOSTS); do
    socket=RIG_HOST_${i}_SOCKET
    [ -n "${!socket:-}" ] || { echo "the rig has fewer than $RIG_HOSTS hosts: bash tests/rig/rig.sh up $RIG_HOSTS" >&2; exit 1; }
    sockets+=("unix://${!socket}")
  done
else
  sockets+=("${DOCKER_HOST:-unix:///var/run/docker.sock}")
fi

work=$(mktemp -d /tmp/ecsctl-recovery.XXXXXX)
cluster=bench-recovery-$$
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  for s in "${sockets[@]}"; do
    docker -H "$s" ps -aq --filter "label=ecsctl.cluster=$cluster" | xargs -r docker -H "$s" rm -f >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export ECSCTL_STATE_DIR=$work/state

manifest() { # tasks
  echo "apiVersion: ecsctl/v1"
  echo "kind: Cluster"
  echo "metadata: { name: $cluster }"
  echo "spec:"
  echo "  hosts:"
  if [ "$mode" = rig ]; then
    rig_host_entries "$RIG_HOSTS"
  else
    echo "    - { name: local, endpoint: local }"
  fi
  cat <<EOF
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: idle }
spec:
  containerDefinitions:
    - name: idle
      image: ${RIG_IMAGE:-ecsctl-test/busybox:1}
      command: [sh, -c, "trap 'exit 0' TERM; sleep 86400 & wait"]
      cpu: 1
      memory: 8
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: idle, cluster: $cluster }
spec:
  desiredCount: $1
  placementStrategy: [{ type: spread, field: instanceId }]
EOF
}

# kills TASKS: KILLS kills under a running watch; prints one die→start figure per line (s).
kills() {
  python3 - "$1" "$KILLS" "$cluster" "${sockets[@]}" <<'EOF'
import random, subprocess, sys, threading, time

tasks, kills, cluster, sockets = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
label = f"label=ecsctl.cluster={cluster}"
lock = threading.Condition()
starts = []  # (time_nano, container id)
dies = []
followers = []

def follow(socket):
    # Docker's own timestamps: what the daemon saw, not when this script read it.
    proc = subprocess.Popen(
        ["docker", "-H", socket, "events", "--filter", label, "--filter", "event=start",
         "--filter", "event=die", "--format", "{{.Action}} {{.TimeNano}} {{.Actor.ID}}"],
        stdout=subprocess.PIPE, text=True)
    followers.append(proc)
    for line in proc.stdout:
        action, nano, cid = line.split()
        with lock:
            (starts if action == "start" else dies).append((int(nano), cid))
            lock.notify_all()

def running():
    out = []
    for s in sockets:
        ids = subprocess.run(
            ["docker", "-H", s, "ps", "-q", "--no-trunc", "--filter", label],
            capture_output=True, text=True, check=True).stdout.split()
        out += [(s, i) for i in ids]
    return out

for s in sockets:
    threading.Thread(target=follow, args=(s,), daemon=True).start()
time.sleep(1)
rng = random.Random(7)
for _ in range(kills):
    deadline = time.time() + 60
    while len(live := running()) < tasks and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # let the watch settle after the last replacement
    socket, victim = rng.choice(live)
    subprocess.run(["docker", "-H", socket, "kill", victim], capture_output=True, check=True)
    with lock:
        if not lock.wait_for(lambda: any(c == victim for _, c in dies), timeout=30):
            print("timeout", flush=True)
            continue
        die = max(n for n, c in dies if c == victim)
    with lock:
        ok = lock.wait_for(lambda: any(n > die and c != victim for n, c in starts), timeout=60)
        if not ok:
            print("timeout", flush=True)
            continue
        first = min(n for n, c in starts if n > die and c != victim)
    print(f"{(first - die) / 1e9:.4f}", flush=True)
for proc in followers:
    proc.terminate()
EOF
}

stats() { # label
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { printf "%-28s no figures\n", label; exit }
    p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
    printf "%-28s median %.3f s   p95 %.3f s   (%d kills)\n", label, v[int((NR + 1) / 2)], v[p95], NR }'
}

echo "recovery: die → replacement start ($ECSCTL)"
for size in $SIZES; do
  tasks=$size
  [ "$mode" = rig ] && tasks=$((size * RIG_HOSTS))
  manifest "$tasks" > "$work/m.yaml"
  log "applying $tasks tasks"
  "$ECSCTL" apply -f "$work/m.yaml" --auto-approve --wait 15m >/dev/null 2>"$work/apply.log" ||
    { cat "$work/apply.log" >&2; echo "apply failed" >&2; exit 1; }
  "$ECSCTL" watch --cluster "$cluster" 2>"$work/watch.log" &
  watch_pid=$!
  sleep 3
  label="$tasks tasks, local"
  [ "$mode" = rig ] && label="$size tasks × $RIG_HOSTS rig hosts"
  kills "$tasks" | tee "$work/figures" >/dev/null
  grep -v timeout "$work/figures" | stats "$label"
  grep -c timeout "$work/figures" | awk '$1 > 0 { print "  (" $1 " kills not replaced within 60 s)" }'
  kill "$watch_pid"
  wait "$watch_pid" 2>/dev/null || true
  watch_pid=
done
