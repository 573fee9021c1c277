#!/usr/bin/env bash
# Requests under load while a service rolls: a 6-task busybox httpd service behind an ecsctl
# listener (the managed HAProxy), against the same service behind Docker Swarm's routing mesh
# on the same daemon. A benchmark, not a test: it asserts nothing.
#
#   benches/traffic.sh            (builds ecsctl in release mode first; installs wrk if missing)
#
# (1) wrk through the listener during 5 rolling deployments, one after another; half-way
# through the 3rd, a second listener is applied, which makes ecsctl rewrite the proxy's config
# and reload HAProxy; (2) at rest, 10 s each: through the listener, straight to one task's host
# port, and through the mesh; (3) wrk through the mesh during 5 `docker service update`s, one
# task at a time. Prints requests, non-2xx responses, socket errors and p50/p99 of each, then
# both side by side. Traffic goes to 127.0.0.1 only. Swarm's mesh needs IPVS in the kernel:
# without it the swarm side is timed without traffic, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

TASKS=6
DEPLOYS=5
RELOAD_AT=3 # the deployment during which the proxy reloads
AT_REST=10s
WRK=(-t2 -c16 --latency)
IMAGE=ecsctl-test/busybox:1
HAPROXY_IMAGE=ecsctl-test/haproxy:2.6
# The same container in both: its body names its version and its container.
CMD="mkdir /w; echo \$V-\$(hostname) > /w/index.html; echo ok > /w/health; trap 'exit 0' TERM; httpd -f -p 8080 -h /w & wait"

ensure_packages wrk:wrk ss:iproute2 curl:curl
ensure_docker
export_docker_api_version

log "building ecsctl (release)"
nice -n 10 cargo build --release --locked --quiet
ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl

ensure_haproxy_image "$HAPROXY_IMAGE"
ensure_busybox_image "$IMAGE"

suffix=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
CLUSTER=traffic-bench-$suffix
SWARM_SERVICE=traffic-bench-$suffix
work=$(mktemp -d)
export ECSCTL_STATE_DIR=$work/state
mkdir -p "$work/m"

wrk_pid='' deploy_pid=''
cleanup() {
  local pid ids
  for pid in $wrk_pid $deploy_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ "${swarm_service_created:-}" = yes ] && { docker service rm "$SWARM_SERVICE" >/dev/null 2>&1 || true; }
  [ "${swarm_started:-}" = yes ] && { docker swarm leave --force >/dev/null 2>&1 || true; }
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

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    case " ${taken:-} " in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htln "sport = :$p")" ]; then
      taken="${taken:-} $p"
      echo "$p"
      return
    fi
  done
}
PORT=$(free_port)
PORT2=$(free_port)
SWARM_PORT=$(free_port)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Counts every non-2xx response (by code) and wrk's socket errors; done() prints one line.
cat >"$work/count.lua" <<'EOF'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  codes = {}
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    codes[status] = (codes[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local n, by_code = 0, {}
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
    for code, count in pairs(t:get("codes")) do
      by_code[code] = (by_code[code] or 0) + count
    end
  end
  local listed = {}
  for code, count in pairs(by_code) do
    table.insert(listed, code .. "x" .. count)
  end
  table.sort(listed)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d codes=%s connect=%d read=%d write=%d timeout=%d errors=%d p50=%.2f p99=%.2f max=%.2f seconds=%.1f\n",
    summary.requests, n, #listed > 0 and table.concat(listed, ",") or "-",
    e.connect, e.read, e.write, e.timeout, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.duration / 1e6))
end
EOF

# field FILE NAME: a value of wrk's RESULT line (n/a: no such run).
field() {
  if [ -f "$1" ]; then sed -n "s/^RESULT.* $2=\([^ ]*\).*/\1/p" "$1"; else echo n/a; fi
}

# report TITLE FILE: the figures of one wrk run.
report() {
  local f=$2
  if [ ! -f "$f" ]; then
    printf '%s: not measured\n' "$1"
    return
  fi
  printf '%s: %s requests in %ss, %s non-2xx (%s), %s socket errors (connect %s, read %s, write %s, timeout %s), p50 %s ms, p99 %s ms, max %s ms\n' \
    "$1" "$(field "$f" requests)" "$(field "$f" seconds)" "$(field "$f" non2xx)" "$(field "$f" codes)" \
    "$(field "$f" errors)" "$(field "$f" connect)" "$(field "$f" read)" "$(field "$f" write)" \
    "$(field "$f" timeout)" "$(field "$f" p50)" "$(field "$f" p99)" "$(field "$f" max)"
}

# wrk_for FILE URL DURATION: a run of fixed length.
wrk_for() { wrk "${WRK[@]}" -d"$3" -s "$work/count.lua" "$2" >"$1" 2>&1; }

# wrk_start FILE URL / wrk_stop: a run as long as the work between them (SIGINT ends wrk
# with its summary).
wrk_start() {
  wrk "${WRK[@]}" -d3600s -s "$work/count.lua" "$2" >"$1" 2>&1 &
  wrk_pid=$!
  sleep 1
}
wrk_stop() {
  kill -INT "$wrk_pid"
  wait "$wrk_pid" || true
  wrk_pid=
}

# until_body URL PREFIX [TRIES]: until every one of 20 requests answers PREFIX-... (TRIES
# rounds, 120 unless told: a minute or more).
until_body() {
  local n
  for _ in $(seq "${3:-120}"); do
    n=0
    for _ in $(seq 20); do
      case "$(curl -s --max-time 2 "$1" || true)" in "$2"-*) n=$((n + 1)) ;; esac
    done
    [ "$n" -eq 20 ] && return 0
    sleep 0.5
  done
  log "$1 does not answer $2-* on every request"
  return 1
}

manifest() { # version second-listener(yes|no)
  cat <<EOF
apiVersion: ecsctl/v1
kind: Cluster
metadata: { name: $CLUSTER }
spec:
  hosts:
    - { name: h1, endpoint: local, attributes: { zone: a } }
    - { name: h2, endpoint: local, attributes: { zone: b } }
    - { name: h3, endpoint: local, attributes: { zone: c } }
---
apiVersion: ecsctl/v1
kind: TargetGroup
metadata: { name: web, cluster: $CLUSTER }
spec:
  protocol: HTTP
  healthCheckPath: /health
  healthCheckIntervalSeconds: 5
  healthCheckTimeoutSeconds: 2
  healthyThresholdCount: 2
  deregistrationDelaySeconds: 5
---
apiVersion: ecsctl/v1
kind: LoadBalancer
metadata: { name: edge, cluster: $CLUSTER }
spec:
  hosts: [h1]
  image: $HAPROXY_IMAGE
  listeners:
    - port: $PORT
      protocol: HTTP
      defaultActions: [{ type: forward, targetGroupName: web }]
EOF
  if [ "$2" = yes ]; then
    cat <<EOF
    - port: $PORT2
      protocol: HTTP
      defaultActions: [{ type: forward, targetGroupName: web }]
EOF
  fi
  cat <<EOF
---
apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: { name: web }
spec:
  containerDefinitions:
    - name: web
      image: $IMAGE
      command: [sh, -c, "$CMD"]
      environment: [{ name: V, value: "$1" }]
      portMappings: [{ containerPort: 8080 }]
      stopTimeout: 3
---
apiVersion: ecsctl/v1
kind: Service
metadata: { name: web, cluster: $CLUSTER }
spec:
  taskDefinition: web
  desiredCount: $TASKS
  placementStrategy: [{ type: spread, field: "attribute:zone" }]
  loadBalancers: [{ targetGroupName: web, containerName: web, containerPort: 8080 }]
EOF
}

apply() { # log
  "$ECSCTL" apply -f "$work/m" --auto-approve --wait 180s >>"$1" 2>&1 || {
    log "ecsctl apply failed; its output:"
    tail -n 40 "$1" >&2
    return 1
  }
}

web_tasks() { docker ps -q --filter "label=ecsctl.cluster=$CLUSTER" --filter label=ecsctl.service=web --filter label=ecsctl.container=web --filter status=running; }
proxy_id() { docker ps -q --filter "label=ecsctl.cluster=$CLUSTER" --filter label=ecsctl.proxy=haproxy; }
# HAProxy's workers so far, from its own log (the master notes each one it forks).
reloads() { docker logs "$(proxy_id)" 2>&1 | grep -c 'New worker' || true; }

# ---------------------------------------------------------------------------------------
log "ecsctl: $TASKS tasks on hosts h1 h2 h3 (one daemon), listener 127.0.0.1:$PORT on h1 (cluster $CLUSTER)"
manifest v1 no >"$work/m/all.yaml"
apply "$work/apply-1.log"
until_body "http://127.0.0.1:$PORT/" v1
log "ecsctl: tasks per host: $(web_tasks | xargs docker inspect --format '{{index .Config.Labels "ecsctl.host"}}' | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')"

log "ecsctl: at rest, $AT_REST through the listener"
wrk_for "$work/e-rest.txt" "http://127.0.0.1:$PORT/" "$AT_REST"
task=$(web_tasks | head -n1)
task_port=$(docker port "$task" 8080/tcp | head -n1 | sed 's/.*://')
log "ecsctl: at rest, $AT_REST straight to one task (127.0.0.1:$task_port)"
wrk_for "$work/e-direct.txt" "http://127.0.0.1:$task_port/" "$AT_REST"

log "ecsctl: wrk through the listener during $DEPLOYS rolling deployments"
reloads_before=$(reloads)
e_deploy_times=()
wrk_start "$work/e-roll.txt" "http://127.0.0.1:$PORT/"
t_all=$(now)
second=no
for n in $(seq 2 $((DEPLOYS + 1))); do
  d=$((n - 1))
  t0=$(now)
  if [ "$d" -eq "$RELOAD_AT" ]; then
    # The deployment in the background; half-way (half its new tasks running), the second
    # listener in another apply: the proxy's listeners change, so its config is rewritten
    # and HAProxy reloads while targets are being registered and drained.
    old=$(web_tasks | sort)
    manifest "v$n" no >"$work/m/all.yaml"
    apply "$work/apply-$n.log" &
    deploy_pid=$!
    until [ "$(comm -13 <(echo "$old") <(web_tasks | sort) | wc -l)" -ge $((TASKS / 2)) ]; do
      kill -0 "$deploy_pid" 2>/dev/null || break
      sleep 0.2
    done
    second=yes
    t_reload=$(now)
    manifest "v$n" yes >"$work/m/all.yaml"
    apply "$work/apply-$n-listener.log"
    log "ecsctl: second listener applied $(elapsed "$t0" "$t_reload")s into deployment $d (apply took $(elapsed "$t_reload" "$(now)")s)"
    wait "$deploy_pid"
    deploy_pid=
  else
    manifest "v$n" "$second" >"$work/m/all.yaml"
    apply "$work/apply-$n.log"
  fi
  e_deploy_times+=("$(elapsed "$t0" "$(now)")")
  log "ecsctl: deployment $d (v$n) steady after ${e_deploy_times[-1]}s"
done
e_total=$(elapsed "$t_all" "$(now)")
wrk_stop
e_reloads=$(($(reloads) - reloads_before))
until_body "http://127.0.0.1:$PORT/" "v$((DEPLOYS + 1))"
until_body "http://127.0.0.1:$PORT2/" "v$((DEPLOYS + 1))"
log "ecsctl: $e_reloads proxy reload(s) during the run; both listeners answer v$((DEPLOYS + 1))"

log "ecsctl: removing the cluster's containers"
ids=$(docker ps -aq --filter "label=ecsctl.cluster=$CLUSTER")
# shellcheck disable=SC2086
[ -z "$ids" ] || docker rm -f $ids >/dev/null

# ---------------------------------------------------------------------------------------
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  log "swarm: docker swarm init --advertise-addr 127.0.0.1"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  swarm_started=yes
fi
log "swarm: $TASKS replicas published on :$SWARM_PORT (routing mesh), service $SWARM_SERVICE"
swarm_service_created=yes
docker service create --quiet --detach=false --no-resolve-image --name "$SWARM_SERVICE" \
  --replicas "$TASKS" --publish "published=$SWARM_PORT,target=8080" --stop-grace-period 3s \
  --env V=v1 "$IMAGE" sh -c "$CMD" >/dev/null
for _ in $(seq 240); do
  [ "$(docker service ls --filter "name=$SWARM_SERVICE" --format '{{.Replicas}}')" = "$TASKS/$TASKS" ] && break
  sleep 0.5
done
# The mesh is IPVS: a kernel without it runs the tasks but answers nothing on the port.
mesh=yes
mesh_note=
if ! until_body "http://127.0.0.1:$SWARM_PORT/" v1 40; then
  mesh=no
  mesh_note="the routing mesh did not answer on 127.0.0.1:$SWARM_PORT"
  [ -e /proc/net/ip_vs ] || mesh_note="$mesh_note (this kernel has no IPVS, which the mesh needs)"
  log "swarm: $mesh_note; the updates are timed without traffic"
fi

if [ "$mesh" = yes ]; then
  log "swarm: at rest, $AT_REST through the mesh"
  wrk_for "$work/s-rest.txt" "http://127.0.0.1:$SWARM_PORT/" "$AT_REST"
  log "swarm: wrk through the mesh during $DEPLOYS rolling updates (--update-parallelism 1)"
  wrk_start "$work/s-roll.txt" "http://127.0.0.1:$SWARM_PORT/"
else
  log "swarm: $DEPLOYS rolling updates (--update-parallelism 1)"
fi
s_deploy_times=()
t_all=$(now)
for n in $(seq 2 $((DEPLOYS + 1))); do
  t0=$(now)
  docker service update --quiet --detach=false --no-resolve-image --update-parallelism 1 \
    --update-delay 0s --env-add "V=v$n" "$SWARM_SERVICE" >/dev/null
  s_deploy_times+=("$(elapsed "$t0" "$(now)")")
  log "swarm: update $((n - 1)) (v$n) converged after ${s_deploy_times[-1]}s"
done
s_total=$(elapsed "$t_all" "$(now)")
if [ "$mesh" = yes ]; then
  wrk_stop
  until_body "http://127.0.0.1:$SWARM_PORT/" "v$((DEPLOYS + 1))"
fi

# ---------------------------------------------------------------------------------------
echo
echo "wrk ${WRK[*]}, $TASKS busybox httpd tasks, one local dockerd ($(nproc) CPUs)"
report "ecsctl, $DEPLOYS deployments ($e_reloads proxy reload)" "$work/e-roll.txt"
report "ecsctl, at rest, through the listener" "$work/e-rest.txt"
report "ecsctl, at rest, straight to one task" "$work/e-direct.txt"
report "swarm,  $DEPLOYS updates" "$work/s-roll.txt"
report "swarm,  at rest, through the mesh" "$work/s-rest.txt"
echo "ecsctl deployments (s): ${e_deploy_times[*]}"
echo "swarm updates (s):      ${s_deploy_times[*]}"
[ -z "$mesh_note" ] || echo "swarm: $mesh_note"
echo
row() { printf '%-36s %18s %18s\n' "$@"; }
both() { row "$1" "$(field "$work/e-$2.txt" "$3")" "$(field "$work/s-$2.txt" "$3")"; }
row "" "ecsctl listener" "swarm mesh"
row "rolling: total wall time (s)" "$e_total" "$s_total"
both "rolling: requests" roll requests
both "rolling: non-2xx" roll non2xx
both "rolling: socket errors" roll errors
both "rolling: p50 (ms)" roll p50
both "rolling: p99 (ms)" roll p99
both "at rest: p99 (ms)" rest p99
row "at rest: p99 straight to a task (ms)" "$(field "$work/e-direct.txt" p99)" "-"
