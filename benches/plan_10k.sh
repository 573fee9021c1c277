#!/usr/bin/env bash
# The real command at scale: COUNT task definitions + COUNT services (the manifests of
# benches/plan.rs, 500 of each per file, one Cluster with a local host), recorded with
# `apply --no-converge` (no Docker), then
#   plan, no changes          `ecsctl plan -f DIR`
#   plan, one change          the same with one service's desiredCount changed
#   apply, one change         `ecsctl apply --no-converge --auto-approve` of that change
# Wall time and peak RSS (/usr/bin/time) of each, median of RUNS runs, and the bytes the
# apply wrote. A benchmark, not a test: it asserts nothing.
# Target: plan <= 0.5 s and <= 100 MB at 10,000.
#
#   benches/plan_10k.sh [COUNT] [RUNS]   (defaults 10000 and 5; builds ecsctl in release
#                                        mode first, or uses $ECSCTL when set)
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${1:-10000}
RUNS=${2:-5}

if [ -z "${ECSCTL:-}" ]; then
  cargo build --release --locked --quiet --bin ecsctl
  ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifests=$work/manifests
mkdir -p "$manifests"

cat >"$manifests/cluster.yaml" <<'EOF'
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: default }
spec:
  hosts: [{ name: local, endpoint: local }]
EOF

for ((start = 0; start < COUNT; start += 500)); do
  file=$(printf '%s/apps-%05d.yaml' "$manifests" "$start")
  for ((i = start; i < start + 500 && i < COUNT; i++)); do
    cat <<EOF
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata:
  name: app$i
spec:
  networkMode: bridge
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: registry.example/app:1
      essential: true
      portMappings:
        - containerPort: 8080
          hostPort: 0
      environment:
        - { name: INDEX, value: "$i" }
        - { name: MODE, value: production }
      secrets:
        - { name: TOKEN, valueFrom: env:TOKEN }
      healthCheck:
        command: [CMD-SHELL, wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1]
        interval: 10
        retries: 3
    - name: sidecar
      image: busybox
      essential: false
      memory: 64
      dependsOn: [{ containerName: app, condition: START }]
---
apiVersion: ecsctl/v1
kind: Service
metadata:
  name: app$i
spec:
  taskDefinition: app$i
  desiredCount: 3
  deploymentConfiguration:
    minimumHealthyPercent: 100
    maximumPercent: 200
    deploymentCircuitBreaker: { enable: true, rollback: true }
  placementStrategy:
    - { type: spread, field: "attribute:zone" }
    - { type: binpack, field: memory }
---
EOF
  done >"$file"
done

export ECSCTL_STATE_DIR=$work/state
"$ECSCTL" apply --no-converge --auto-approve -f "$manifests" >/dev/null 2>&1
state_bytes() { find "$ECSCTL_STATE_DIR" -type f -name '*.json' -printf '%s\n' | awk '{s += $1} END {print s}'; }

# Prints "SECONDS KB" of one run of the command.
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1 || true
  cat "$work/time"
}

# Prints "median seconds, median peak MB" of RUNS runs of the command.
median() {
  for ((r = 0; r < RUNS; r++)); do timed "$@"; done |
    sort -n | awk -v n="$RUNS" '{t[NR] = $1; m[NR] = $2} END {
      i = int((n + 1) / 2); printf "%6.2f s  %6.1f MB\n", t[i], m[i] / 1024 }'
}

changed=$(printf '%s/apps-%05d.yaml' "$manifests" 0)
one_change() { sed -i "0,/desiredCount: [0-9]*/s//desiredCount: $1/" "$changed"; }

echo "$COUNT task definitions + $COUNT services, state $(($(state_bytes) / 1024)) KiB, median of $RUNS runs"
printf '  %-26s %s\n' "plan, no changes" "$(median "$ECSCTL" plan -f "$manifests")"
one_change 4
printf '  %-26s %s\n' "plan, one change" "$(median "$ECSCTL" plan -f "$manifests")"
before=$(state_bytes)
printf '  %-26s %s\n' "apply, one change" "$(timed "$ECSCTL" apply --no-converge --auto-approve -f "$manifests" | awk '{printf "%6.2f s  %6.1f MB", $1, $2 / 1024}')"
echo "  the apply rewrote a state of $((before / 1024)) KiB into $(($(state_bytes) / 1024)) KiB"
echo "target: plan <= 0.5 s and <= 100 MB"
