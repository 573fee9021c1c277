#!/usr/bin/env bash
# Auto scaling under a load step: a busybox httpd service of 1 task behind an ecsctl listener
# (the managed HAProxy), scaled by ALBRequestCountPerTarget with 5 s periods, 1 to 6 tasks,
# under `ecsctl watch`. A benchmark, not a test: it asserts nothing.
#
#   benches/autoscale.sh          (builds ecsctl in release mode; ECSCTL_BIN=path uses that one)
#
# At t=0 wrk starts (60 s); the script polls the service's desired count and the target
# group's healthy targets every 0.2 s and prints: when the desired count first rose, when the
# new tasks were healthy targets taking traffic, the highest desired count beside the count
# the measured load needs (ceil(requests per period / target value)), and, after the load
# ends, when the count was back at 1 — beside Application Auto Scaling's documented timing.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

PERIOD=5
TARGET_VALUE=${TARGET_VALUE:-1500} # requests per target per period
MAX=6
LOAD_SECONDS=60
IMAGE=ecsctl-test/busybox:1
HAPROXY_IMAGE=ecsctl-test/haproxy:2.6

ensure_packages wrk:wrk ss:iproute2 python3:python3
ensure_docker
export_docker_api_version
if [ -n "${ECSCTL_BIN:-}" ]; then
  ECSCTL=$ECSCTL_BIN
else
  log "building ecsctl (release)"
  nice -n 10 cargo build --release --locked --quiet
  ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
fi
ensure_haproxy_image "$HAPROXY_IMAGE"
ensure_busybox_image "$IMAGE"

suffix=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
CLUSTER=autoscale-bench-$suffix
work=$(mktemp -d)
export ECSCTL_STATE_DIR=$work/state
mkdir -p "$work/m"
watch_pid='' wrk_pid=''
cleanup() {
  local pid ids
  for pid in $wrk_pid $watch_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # The cluster's name is this run's own: its tasks and its proxy carry it as a label.
  ids=$(docker ps -aq --filter "label=ecsctl.cluster=$CLUSTER" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker rm -f $ids >/dev/null 2>&1 || true
  fi
  [ -d "/var/lib/ecsctl/haproxy/$CLUSTER" ] && { as_root rm -rf "/var/lib/ecsctl/haproxy/$CLUSTER" || true; }
  rm -rf "$work"
}
trap cleanup EXIT

PORT=$((20000 + RANDOM % 20000))
while [ -n "$(ss -Htln "sport = :$PORT")" ]; do PORT=$((20000 + RANDOM % 20000)); done

cat > "$work/m/web.yaml" <<EOF
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: $CLUSTER }
spec:
  hosts: [{ name: local, endpoint: local }]
---
apiVersion: ecsctl/v1
kind: TargetGroup
metadata: { name: web, cluster: $CLUSTER }
spec: { protocol: HTTP, healthCheckPath: /, healthCheckIntervalSeconds: 5, healthCheckTimeoutSeconds: 2, healthyThresholdCount: 2, deregistrationDelaySeconds: 2 }
---
apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: { name: edge, cluster: $CLUSTER }
spec:
  image: $HAPROXY_IMAGE
  listeners: [{ port: $PORT, protocol: HTTP, defaultActions: [{ type: forward, targetGroupName: web }] }]
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: autoscale-bench }
spec:
  containerDefinitions:
    - name: web
      image: $IMAGE
      memory: 32
      command: [sh, -c, "mkdir /w; echo ok > /w/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait"]
      portMappings: [{ containerPort: 8080 }]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: web, cluster: $CLUSTER }
spec:
  taskDefinition: autoscale-bench
  desiredCount: 1
  loadBalancers: [{ targetGroupName: web, containerName: web, containerPort: 8080 }]
---
apiVersion: ecsctl/v1
kind: ScalableTarget
metadata: { name: web, cluster: $CLUSTER }
spec: { service: web, minCapacity: 1, maxCapacity: $MAX }
---
apiVersion: ecsctl/v1
kind: ScalingPolicy
metadata: { name: requests, cluster: $CLUSTER }
spec:
  service: web
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: $TARGET_VALUE
    predefinedMetricSpecification: { predefinedMetricType: ALBRequestCountPerTarget, resourceLabel: web }
    period: $PERIOD
    scaleOutCooldown: 10
    scaleInCooldown: 10
EOF

log "applying (1 task behind 127.0.0.1:$PORT)"
"$ECSCTL" apply -f "$work/m" --auto-approve --wait 120s >/dev/null 2>&1
"$ECSCTL" watch --cluster "$CLUSTER" >"$work/watch.log" 2>&1 &
watch_pid=$!
sleep $((PERIOD * 2))

# One poll: "desired healthy".
poll() {
  python3 - "$ECSCTL" "$CLUSTER" <<'PY'
import json, subprocess, sys
ecsctl, cluster = sys.argv[1], sys.argv[2]
def get(kind):
    out = subprocess.run([ecsctl, "get", kind, "--cluster", cluster, "-o", "json"], capture_output=True, text=True).stdout
    try:
        return json.loads(out)
    except ValueError:
        return []
services = get("services")
groups = get("targetgroups")
desired = services[0]["desiredCount"] if services else -1
healthy = groups[0]["healthy"] if groups else -1
print(desired, healthy)
PY
}

log "load step: wrk -t2 -c8 for ${LOAD_SECONDS}s"
start=$(date +%s.%N)
wrk -t2 -c8 -d${LOAD_SECONDS}s "http://127.0.0.1:$PORT/" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
first_rise='' all_healthy='' highest=1
while kill -0 "$wrk_pid" 2>/dev/null; do
  read -r desired healthy < <(poll)
  now=$(date +%s.%N)
  t=$(python3 -c "print(round($now - $start, 2))")
  if [ "$desired" -gt 1 ] && [ -z "$first_rise" ]; then first_rise=$t; fi
  if [ "$desired" -gt "$highest" ]; then highest=$desired; fi
  if [ -n "$first_rise" ] && [ -z "$all_healthy" ] && [ "$healthy" -ge "$desired" ] && [ "$desired" -gt 1 ]; then
    all_healthy=$t
  fi
  sleep 0.2
done
wait "$wrk_pid" || true
wrk_pid=''
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
needed=$(python3 -c "import math; print(min($MAX, max(1, math.ceil(float('${rps:-0}') * $PERIOD / $TARGET_VALUE))))")

ended=$(date +%s.%N)
back=''
for _ in $(seq 1 600); do
  read -r desired _ < <(poll)
  if [ "$desired" = 1 ]; then
    back=$(python3 -c "print(round($(date +%s.%N) - $ended, 1))")
    break
  fi
  sleep 0.5
done

cat <<EOF

auto scaling under a load step (ALBRequestCountPerTarget, target $TARGET_VALUE requests per target per ${PERIOD}s, 1..$MAX tasks)
  load                                  ${rps:-?} requests/s (wrk -t2 -c8, ${LOAD_SECONDS}s)
  desired count first rose              ${first_rise:-never} s after the step
  new tasks healthy and taking traffic  ${all_healthy:-never} s after the step
  highest desired count                 $highest (the load needs $needed: overshoot $((highest - needed)))
  back to 1 task after the load ended   ${back:-not within 5 min} s (the metric stayed under 90 % of the target for 15 periods of ${PERIOD}s, maybe since before the load ended, and the cooldown passed)
Application Auto Scaling, as documented: metrics every 60 s; scale-out after 3 datapoints above the
target (≥ 3 min before the new tasks are even placed); scale-in after 15 datapoints under 90 % (≥ 15 min).
Target here: react within one configured period (${PERIOD}s).
EOF
