#!/usr/bin/env bash
# What `watch --metrics` costs: one watch of TASKS tasks on the local Docker daemon, measured
# over WINDOW seconds without metrics and then with metrics scraped every second:
#   rss:    the watch's resident memory at the end of the window (VmRSS)
#   cpu:    the watch's CPU time over the window, as a share of one core
#   scrape: the median time of one GET /metrics
# A benchmark, not a test: it asserts nothing.
#
#   benches/watch_metrics.sh [TASKS] [WINDOW]   (default 50 tasks, 30 s; builds ecsctl in
#                                               release mode first, or uses $ECSCTL when set)
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

TASKS=${1:-50}
WINDOW=${2:-30}

ensure_docker
export_docker_api_version
ensure_busybox_image ecsctl-test/busybox:1

bench_ecsctl

work=$(mktemp -d /tmp/ecsctl-metrics.XXXXXX)
cluster=bench-metrics-$$
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  docker ps -aq --filter "label=ecsctl.cluster=$cluster" | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export ECSCTL_STATE_DIR=$work/state

cat > "$work/m.yaml" <<EOF
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: $cluster }
spec: { hosts: [{ name: local, endpoint: local }] }
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: idle }
spec:
  containerDefinitions:
    - name: idle
      image: ecsctl-test/busybox:1
      command: [sh, -c, "trap 'exit 0' TERM; sleep 86400 & wait"]
      cpu: 1
      memory: 8
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: idle, cluster: $cluster }
spec: { desiredCount: $TASKS }
EOF
log "applying $TASKS tasks"
"$ECSCTL" apply -f "$work/m.yaml" --auto-approve --wait 5m >/dev/null 2>&1

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# measure LABEL [--metrics ADDR]: starts a watch, settles, measures over the window.
measure() {
  local label=$1; shift
  "$ECSCTL" watch --cluster "$cluster" "$@" 2>"$work/watch.log" &
  watch_pid=$!
  sleep 5
  local port=${METRICS_PORT:-}
  local start end times=()
  start=$(cpu_ticks "$watch_pid")
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$WINDOW" ]; do
    if [ -n "$port" ]; then
      local took
      took=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/metrics")
      times+=("$took")
    fi
    sleep 1
  done
  end=$(cpu_ticks "$watch_pid")
  local rss
  rss=$(rss_kib "$watch_pid")
  local cpu
  cpu=$(awk -v d=$((end - start)) -v t="$ticks" -v w="$WINDOW" 'BEGIN {printf "%.2f%%", 100 * d / t / w}')
  local scrape=-
  if [ ${#times[@]} -gt 0 ]; then
    scrape=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", 1000 * a[int((NR + 1) / 2)]}')
  fi
  printf '%-16s rss %6.1f MiB   cpu %7s of a core   scrape %s\n' "$label" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$cpu" "$scrape"
  kill "$watch_pid"
  wait "$watch_pid" 2>/dev/null || true
  watch_pid=
}

echo "watch of $TASKS tasks over ${WINDOW}s ($ECSCTL)"
measure "without metrics"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
METRICS_PORT=$port measure "with metrics" --metrics "127.0.0.1:$port"
