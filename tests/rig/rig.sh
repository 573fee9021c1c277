#!/usr/bin/env bash
# A rig of real Docker hosts on this machine, for ecsctl's multi-host tests: host I is a network
# namespace `ecshI` (10.250.I.2, reached from the root namespace through veth `ve-ecshI`, root
# side 10.250.I.1) with its own dockerd and sshd. See tests/rig/README.md.
#
#   tests/rig/rig.sh up [N]          bring up (or repair) hosts 1..N (default 3); idempotent
#   tests/rig/rig.sh down            tear everything down; fine when nothing is up
#   tests/rig/rig.sh status          one line per host
#   tests/rig/rig.sh kill-docker I   kill -9 host I's dockerd (its containers keep running)
#   tests/rig/rig.sh start-docker I  start host I's dockerd again and wait until it answers
#   tests/rig/rig.sh link-down I | link-up I    take host I's link down / up
#   tests/rig/rig.sh drop I | undrop I          silently drop / accept host I's inbound traffic
#
# Environment: ECSCTL_RIG_DIR (state, default /tmp/ecsctl-rig; keep it short),
# ECSCTL_RIG_IMAGE (test image, default ecsctl-test/busybox:1), ECSCTL_RIG_LIVE_RESTORE=1 (dockerd
# --live-restore, read whenever a dockerd starts: containers then survive kill-docker/start-docker).
# Processes are stopped by the PIDs in their pid files (checked against their command line),
# never by name. Traffic only goes to loopback and the rig's own namespaces.
set -euo pipefail

export PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RIG_DIR=${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}
IMAGE=${ECSCTL_RIG_IMAGE:-ecsctl-test/busybox:1}
DATA_BASE=/var/lib/ecsctl-rig     # data roots: $DATA_BASE/ecshI
NET=10.250                         # host I: $NET.I.2, root side $NET.I.1
DOCKER_WAIT=60                     # seconds to wait for a dockerd to answer

log() { printf 'rig: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"

mkdir -p "$RIG_DIR"
chmod 700 "$RIG_DIR"
RIG_DIR=$(cd "$RIG_DIR" && pwd)
# Unix socket paths (sockets forwarded here, ssh ControlPaths tests put here) must stay < ~100
# bytes.
[ ${#RIG_DIR} -le 40 ] || log "warning: ECSCTL_RIG_DIR ($RIG_DIR) is long; socket paths may not fit"

ns() { echo "ecsh$1"; }
veth() { echo "ve-ecsh$1"; }
addr() { echo "$NET.$1.2"; }
hdir() { echo "$RIG_DIR/h$1"; }
sock() { echo "$RIG_DIR/h$1/docker.sock"; }
droot() { echo "$DATA_BASE/ecsh$1"; }
cgparent() { echo "ecsctl-rig-ecsh$1"; }
in_ns() { local i=$1; shift; nsenter --net="/run/netns/$(ns "$i")" -- "$@"; }
dk() { local i=$1; shift; docker -H "unix://$(sock "$i")" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Processes, by PID only

# alive PID: the process exists and is not a zombie.
alive() {
  local st
  st=$(sed -n 's/^.*) \([A-Z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# ours PID PATTERN: alive, and its command line contains PATTERN (guards against reused PIDs).
ours() {
  local pid=$1 pat=$2
  [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] && [ "$pid" -ne $$ ] || return 1
  alive "$pid" || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$pat"
}

# pid_of FILE PATTERN: the PID in FILE if that process is ours and running.
pid_of() {
  local f=$1 pat=$2 pid
  [ -s "$f" ] || return 1
  read -r pid <"$f" || true
  ours "$pid" "$pat" || return 1
  echo "$pid"
}

# stop_pid PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace time; waits until gone.
stop_pid() {
  local pid=$1 grace=${2:-5} n
  [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] && [ "$pid" -ne $$ ] || return 0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((n = 0; n < grace * 10; n++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((n = 0; n < 50; n++)); do alive "$pid" || return 0; sleep 0.1; done
  log "warning: pid $pid survives SIGKILL"
}

# pids_with PATTERN: every process whose command line contains PATTERN.
pids_with() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" -ne $$ ] || continue
    tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$1" && echo "$p"
  done
  return 0
}

dockerd_pid() { pid_of "$(hdir "$1")/docker.pid" "unix://$(sock "$1")"; }
containerd_pid() { pid_of "$(hdir "$1")/exec/containerd/containerd.pid" "$(hdir "$1")/exec/containerd"; }
sshd_pid() { pid_of "$(hdir "$1")/sshd.pid" "$(hdir "$1")/sshd_config"; }
docker_answers() { timeout 10 docker -H "unix://$(sock "$1")" info --format '{{.ID}}' >/dev/null 2>&1; }
sshd_answers() {
  local banner
  banner=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/22" && head -c 4 <&3' _ "$(addr "$1")" 2>/dev/null) || return 1
  [ "$banner" = SSH- ]
}

# ---------------------------------------------------------------------------------------------
# Setup pieces

guard_route() {
  # Without it, packets for a host whose link is down would leave through the default route.
  ip route replace unreachable "$NET.0.0/16"
}

ensure_packages() {
  local missing=() pair
  for pair in dockerd:docker.io docker:docker.io sshd:openssh-server ssh:openssh-client \
    ssh-keygen:openssh-client ip:iproute2 busybox:busybox-static iptables:iptables \
    nsenter:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

client_key() {
  [ -s "$RIG_DIR/id_ed25519" ] && [ -s "$RIG_DIR/id_ed25519.pub" ] && return 0
  rm -f "$RIG_DIR/id_ed25519" "$RIG_DIR/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C ecsctl-rig -f "$RIG_DIR/id_ed25519"
}

net_up() {
  local i=$1 n v
  n=$(ns "$i")
  v=$(veth "$i")
  [ -e "/run/netns/$n" ] || ip netns add "$n"
  if ! ip link show "$v" >/dev/null 2>&1; then
    in_ns "$i" ip link del eth0 >/dev/null 2>&1 || true
    ip link add "$v" type veth peer name eth0 netns "$n"
  fi
  ip addr replace "$NET.$i.1/24" dev "$v"
  ip link set "$v" up
  in_ns "$i" ip link set lo up
  in_ns "$i" ip addr replace "$(addr "$i")/24" dev eth0
  in_ns "$i" ip link set eth0 up
  # No default route inside: a host reaches the root side of its own link and, through it,
  # the other rig hosts (the rig's subnet only; see mesh_up).
  in_ns "$i" ip route replace "$NET.0.0/16" via "$NET.$i.1" dev eth0
  # Packets that come in on this link may be forwarded (to another rig link only: mesh_up).
  sysctl -qw "net.ipv4.conf.$v.forwarding=1"
}

# The rig hosts reach each other (a proxy on one host, targets on another) and nothing else:
# forwarding is allowed only from a rig link to a rig link within the rig's subnet; anything
# else that comes in on a rig link is dropped. The guard route stays first.
MESH_ACCEPT=(-i ve-ecsh+ -o ve-ecsh+ -s "$NET.0.0/16" -d "$NET.0.0/16" -j ACCEPT)
MESH_DROP=(-i ve-ecsh+ -j DROP)
mesh_up() {
  iptables -C FORWARD "${MESH_DROP[@]}" 2>/dev/null || iptables -I FORWARD 1 "${MESH_DROP[@]}"
  iptables -C FORWARD "${MESH_ACCEPT[@]}" 2>/dev/null || iptables -I FORWARD 1 "${MESH_ACCEPT[@]}"
}
mesh_down() {
  while iptables -C FORWARD "${MESH_ACCEPT[@]}" 2>/dev/null; do iptables -D FORWARD "${MESH_ACCEPT[@]}"; done
  while iptables -C FORWARD "${MESH_DROP[@]}" 2>/dev/null; do iptables -D FORWARD "${MESH_DROP[@]}"; done
}

# Stale pid files of a killed daemon make dockerd / containerd refuse to start.
clean_stale_pidfiles() {
  local i=$1 d
  d=$(hdir "$i")
  if [ -e "$d/docker.pid" ] && ! dockerd_pid "$i" >/dev/null; then rm -f "$d/docker.pid"; fi
  if [ -e "$d/exec/containerd/containerd.pid" ] && ! containerd_pid "$i" >/dev/null; then
    rm -f "$d/exec/containerd/containerd.pid"
  fi
}

# start_dockerd I: starts host I's dockerd unless it runs; prints the PID it started (or nothing).
start_dockerd() {
  local i=$1 d
  d=$(hdir "$i")
  dockerd_pid "$i" >/dev/null && return 0
  clean_stale_pidfiles "$i"
  mkdir -p "$d/exec" "$(droot "$i")"
  # --config-file: do not read /etc/docker/daemon.json of the main daemon. deprecated-key-path:
  # its own identity (docker info's ID); by default all daemons share /etc/docker/key.json.
  # live-restore (ECSCTL_RIG_LIVE_RESTORE=1): containers survive a dockerd restart; without it
  # (Docker's default) a restarted dockerd stops the containers it finds still running.
  # insecure-registries: the test registry (tests/e2e_registry.rs) serves plain HTTP on the
  # root side of a rig link; only the rig's daemons trust it.
  printf '{ "deprecated-key-path": "%s/key.json", "live-restore": %s, "insecure-registries": ["%s.0.0/16"] }\n' "$d" \
    "$([ "${ECSCTL_RIG_LIVE_RESTORE:-0}" = 1 ] && echo true || echo false)" "$NET" >"$d/daemon.json"
  # iptables rules land in the host's own namespace, apart from the main daemon's.
  printf '\n==== %s start\n' "$(date -Is)" >>"$d/dockerd.log"
  setsid nsenter --net="/run/netns/$(ns "$i")" -- dockerd \
    --config-file "$d/daemon.json" \
    --data-root "$(droot "$i")" \
    --exec-root "$d/exec" \
    --pidfile "$d/docker.pid" \
    -H "unix://$(sock "$i")" \
    --bip "172.30.$i.1/24" \
    --cgroup-parent "/$(cgparent "$i")" \
    --shutdown-timeout 2 \
    >>"$d/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $!
}

# wait_dockerd I [PID]: waits until host I's dockerd answers; fails early if PID died.
wait_dockerd() {
  local i=$1 pid=${2:-} n
  for ((n = 0; n < DOCKER_WAIT * 10; n++)); do
    docker_answers "$i" && return 0
    if [ -n "$pid" ] && ! alive "$pid"; then
      wait "$pid" 2>/dev/null || true
      log "dockerd of host $i exited; tail of $(hdir "$i")/dockerd.log:"
      tail -n 15 "$(hdir "$i")/dockerd.log" >&2
      return 1
    fi
    sleep 0.1
  done
  log "dockerd of host $i does not answer after ${DOCKER_WAIT}s; see $(hdir "$i")/dockerd.log"
  return 1
}

sshd_up() {
  local i=$1 d n
  d=$(hdir "$i")
  mkdir -p /run/sshd "$d"
  chmod 755 /run/sshd
  [ -s "$d/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "ecsh$i" -f "$d/ssh_host_ed25519_key"
  cat >"$d/sshd_config.new" <<EOF
ListenAddress $(addr "$i"):22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $RIG_DIR/authorized_keys
# The rig lives under /tmp (mode 1777), which StrictModes would reject.
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxSessions 100
MaxStartups 100:30:200
SetEnv DOCKER_HOST=unix://$(sock "$i")
EOF
  /usr/sbin/sshd -t -f "$d/sshd_config.new"
  if cmp -s "$d/sshd_config.new" "$d/sshd_config"; then
    rm -f "$d/sshd_config.new"
  else
    mv "$d/sshd_config.new" "$d/sshd_config"
    # Running with an older config: SIGHUP makes sshd re-read it (same PID).
    if sshd_pid "$i" >/dev/null; then kill -HUP "$(sshd_pid "$i")"; fi
  fi
  if ! sshd_pid "$i" >/dev/null; then
    rm -f "$d/sshd.pid"
    setsid nsenter --net="/run/netns/$(ns "$i")" -- /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" \
      </dev/null >/dev/null 2>>"$d/sshd.log" 9>&-
  fi
  for ((n = 0; n < 50; n++)); do sshd_answers "$i" && return 0; sleep 0.1; done
  log "sshd of host $i does not answer; see $d/sshd.log"
  return 1
}

client_files() {
  local n=$1 i
  cp "$RIG_DIR/id_ed25519.pub" "$RIG_DIR/authorized_keys"
  chmod 600 "$RIG_DIR/authorized_keys"
  : >"$RIG_DIR/known_hosts.tmp"
  for ((i = 1; i <= n; i++)); do
    printf '%s %s\n' "$(addr "$i")" "$(cut -d' ' -f1,2 "$(hdir "$i")/ssh_host_ed25519_key.pub")" >>"$RIG_DIR/known_hosts.tmp"
  done
  mv "$RIG_DIR/known_hosts.tmp" "$RIG_DIR/known_hosts"
  cat >"$RIG_DIR/ssh_config" <<EOF
Host *
  User root
  IdentityFile $RIG_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $RIG_DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 2
  ServerAliveCountMax 3
EOF
  mkdir -p "$RIG_DIR/bin"
  cat >"$RIG_DIR/bin/ssh.tmp" <<EOF
#!/bin/sh
exec /usr/bin/ssh -F $RIG_DIR/ssh_config "\$@"
EOF
  chmod 755 "$RIG_DIR/bin/ssh.tmp"
  mv "$RIG_DIR/bin/ssh.tmp" "$RIG_DIR/bin/ssh"
}

# build_image_tar DIR: the test image's rootfs (static busybox), as tests/common/docker.rs does.
build_image_tar() {
  local dir=$1 bb a
  bb=$(command -v busybox) || die "no busybox (busybox-static)"
  rm -rf "$dir/root"
  mkdir -p "$dir/root/bin" "$dir/root/tmp" "$dir/root/etc"
  cp "$bb" "$dir/root/bin/busybox"
  for a in $("$bb" --list); do
    [ "$a" = busybox ] || ln -s busybox "$dir/root/bin/$a"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$dir/root/etc/passwd"
  tar -C "$dir/root" -cf "$dir/rootfs.tar" bin tmp etc
  rm -rf "$dir/root"
}

import_image() { # import_image DOCKER_ARGS... : imports $RIG_DIR/img/rootfs.tar as $IMAGE
  docker "$@" import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' "$RIG_DIR/img/rootfs.tar" "$IMAGE" >/dev/null
}

images_up() {
  local n=$1 i main=yes pids=() rc=0
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "building $IMAGE (static busybox rootfs)"
    mkdir -p "$RIG_DIR/img"
    build_image_tar "$RIG_DIR/img"
    if docker info >/dev/null 2>&1; then import_image; else main=no; fi
  fi
  for ((i = 1; i <= n; i++)); do
    dk "$i" image inspect "$IMAGE" >/dev/null 2>&1 && continue
    if [ $main = yes ]; then
      (docker save "$IMAGE" | dk "$i" load >/dev/null) &
    else
      import_image -H "unix://$(sock "$i")" &
    fi
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  rm -rf "$RIG_DIR/img"
  [ $rc -eq 0 ] || die "loading $IMAGE into the hosts failed"
}

# verify_host I: ssh login, and a forward of the host's Docker socket over ssh.
verify_host() {
  local i=$1 fwd pid n ok=no
  "$RIG_DIR/bin/ssh" "root@$(addr "$i")" true </dev/null || { log "host $i: ssh login fails"; return 1; }
  fwd="$RIG_DIR/f$i.sock"
  rm -f "$fwd"
  /usr/bin/ssh -F "$RIG_DIR/ssh_config" -N -o ExitOnForwardFailure=yes \
    -L "$fwd:$(sock "$i")" "root@$(addr "$i")" </dev/null 9>&- &
  pid=$!
  for ((n = 0; n < 100; n++)); do
    if [ -S "$fwd" ] && timeout 10 docker -H "unix://$fwd" info --format '{{.ID}}' >/dev/null 2>&1; then
      ok=yes
      break
    fi
    alive "$pid" || break
    sleep 0.1
  done
  stop_pid "$pid" 2
  wait "$pid" 2>/dev/null || true
  rm -f "$fwd"
  [ $ok = yes ] || { log "host $i: docker over an ssh socket forward fails"; return 1; }
}

write_env() {
  local n=$1 i f="$RIG_DIR/env"
  {
    echo "RIG_DIR=$RIG_DIR"
    echo "RIG_HOSTS=$n"
    echo "RIG_SSH=$RIG_DIR/bin/ssh"
    echo "RIG_SSH_CONFIG=$RIG_DIR/ssh_config"
    echo "RIG_SSH_KEY=$RIG_DIR/id_ed25519"
    echo "RIG_KNOWN_HOSTS=$RIG_DIR/known_hosts"
    echo "RIG_IMAGE=$IMAGE"
    for ((i = 1; i <= n; i++)); do
      echo "RIG_HOST_${i}_NS=$(ns "$i")"
      echo "RIG_HOST_${i}_ADDR=$(addr "$i")"
      echo "RIG_HOST_${i}_SOCKET=$(sock "$i")"
      echo "RIG_HOST_${i}_ENDPOINT=ssh://root@$(addr "$i"):22"
    done
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# ---------------------------------------------------------------------------------------------
# Tear-down of one host

umount_under() { # umount_under PATH: every mount at or below PATH, deepest first
  local p=$1 m
  for m in $(awk -v p="$p" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | uniq); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: cannot umount $m"
  done
}

host_down() {
  local i=$1 d n pid ids f cg
  d=$(hdir "$i")
  n=$(ns "$i")
  # Containers first: otherwise dockerd waits for each of them on shutdown.
  if [ -S "$(sock "$i")" ] && docker_answers "$i"; then
    ids=$(dk "$i" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || dk "$i" rm -f $ids >/dev/null 2>&1 || true
  fi
  if pid=$(dockerd_pid "$i"); then stop_pid "$pid" 15; fi
  if pid=$(containerd_pid "$i"); then stop_pid "$pid" 5; fi
  # Shims left by a killed daemon, and the container processes they ran (by cgroup).
  if [ -d "$d/exec" ] || [ -e "/run/netns/$n" ]; then
    for pid in $(pids_with "$d/exec/containerd/containerd.sock"); do stop_pid "$pid" 1; done
  fi
  for cg in /sys/fs/cgroup/*/"$(cgparent "$i")" /sys/fs/cgroup/"$(cgparent "$i")"; do
    [ -d "$cg" ] || continue
    while read -r f; do
      for pid in $(cat "$f" 2>/dev/null); do stop_pid "$pid" 1; done
    done < <(find "$cg" -name cgroup.procs 2>/dev/null)
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  if pid=$(sshd_pid "$i"); then stop_pid "$pid" 3; fi
  # Anything else still in the namespace (ssh sessions, docker-proxy, ...).
  if [ -e "/run/netns/$n" ]; then
    for pid in $(ip netns pids "$n" 2>/dev/null); do stop_pid "$pid" 2; done
  fi
  umount_under "$d/exec"
  umount_under "$(droot "$i")"
  rm -rf "$(droot "$i")" "$d/exec"
  rm -f "$d/docker.pid" "$d/docker.sock" "$d/sshd.pid" "$RIG_DIR/f$i.sock"
  if [ -e "/run/netns/$n" ]; then ip netns del "$n" 2>/dev/null || log "warning: cannot delete netns $n"; fi
  if ip link show "$(veth "$i")" >/dev/null 2>&1; then ip link del "$(veth "$i")"; fi
  return 0
}

# Every host index with a trace: namespace, veth or data root (and, with `all`, a state dir,
# which `down` keeps for its logs and keys).
known_hosts_idx() {
  local p dirs=()
  [ "${1:-}" != all ] || dirs=("$RIG_DIR"/h[0-9]*)
  {
    for p in /run/netns/ecsh[0-9]* "$DATA_BASE"/ecsh[0-9]* "${dirs[@]}"; do
      [ -e "$p" ] || continue
      p=${p##*/}
      p=${p#ecsh}
      p=${p#h}
      if [[ $p =~ ^[0-9]+$ ]]; then echo "$p"; fi
    done
    for p in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: ve-ecsh\([0-9]*\)@.*/\1/p'); do echo "$p"; done
  } | sort -n | uniq
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_up() {
  local n=${1:-3} i t0 pids=() p
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up: N must be 1..200"
  t0=$(now)
  if command -v ip >/dev/null; then guard_route; fi
  ensure_packages
  guard_route # ip may just have been installed
  mesh_up
  client_key
  rm -f "$RIG_DIR/env"
  for i in $(known_hosts_idx all); do
    if [ "$i" -gt "$n" ]; then log "removing host $i (> $n)"; host_down "$i"; fi
  done
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$(hdir "$i")"
    net_up "$i"
    # `up` repairs: a link taken down or traffic dropped by a fault is restored.
    while in_ns "$i" iptables -C INPUT -i eth0 -j DROP 2>/dev/null; do in_ns "$i" iptables -D INPUT -i eth0 -j DROP; done
  done
  for ((i = 1; i <= n; i++)); do pids[i]=$(start_dockerd "$i"); done
  for ((i = 1; i <= n; i++)); do sshd_up "$i"; done
  client_files "$n"
  for ((i = 1; i <= n; i++)); do wait_dockerd "$i" "${pids[i]}" || die "host $i: dockerd"; done
  log "daemons answer after $(since "$t0")s"
  images_up "$n"
  pids=()
  for ((i = 1; i <= n; i++)); do verify_host "$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || die "verification failed"; done
  write_env "$n"
  log "up: $n hosts in $(since "$t0")s; env: $RIG_DIR/env"
}

cmd_down() {
  local i t0
  t0=$(now)
  rm -f "$RIG_DIR/env"
  for i in $(known_hosts_idx all); do host_down "$i" & done
  wait
  mesh_down
  rmdir "$DATA_BASE" 2>/dev/null || true
  # The guard route (unreachable 10.250.0.0/16) is kept on purpose: it is harmless and keeps
  # any later traffic to the rig's addresses from leaving the machine.
  log "down in $(since "$t0")s"
}

cmd_status() {
  local i any=no nsok link docker sshd ctr drop
  for i in $(known_hosts_idx); do
    any=yes
    nsok=no link=absent docker=no sshd=no ctr=- drop=no
    [ -e "/run/netns/$(ns "$i")" ] && nsok=yes
    if ip link show "$(veth "$i")" >/dev/null 2>&1; then
      if ip link show "$(veth "$i")" | head -1 | grep -q '[<,]UP[,>]'; then link=up; else link=down; fi
    fi
    if [ -S "$(sock "$i")" ] && docker_answers "$i"; then
      docker=yes
      ctr="$(dk "$i" ps -aq | wc -l) (running $(dk "$i" ps -q | wc -l))"
    fi
    if [ $nsok = yes ]; then
      in_ns "$i" iptables -C INPUT -i eth0 -j DROP 2>/dev/null && drop=yes
      if sshd_answers "$i"; then sshd=yes; fi
    fi
    printf 'host %s %s ns=%s link=%s drop=%s dockerd=%s sshd=%s containers=%s\n' \
      "$i" "$(addr "$i")" "$nsok" "$link" "$drop" "$docker" "$sshd" "$ctr"
  done
  [ $any = yes ] || echo "rig is down (no hosts)"
  if [ -s "$RIG_DIR/env" ]; then echo "env: $RIG_DIR/env"; fi
}

need_host() {
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "a host number is needed"
  [ -e "/run/netns/$(ns "$1")" ] || die "host $1 is not up"
}

cmd_kill_docker() {
  local i=$1 pid
  need_host "$i"
  pid=$(dockerd_pid "$i") || die "host $i: dockerd is not running"
  kill -KILL "$pid"
  while alive "$pid"; do sleep 0.05; done
  log "host $i: dockerd (pid $pid) killed"
}

cmd_start_docker() {
  local i=$1 t0 pid
  need_host "$i"
  t0=$(now)
  pid=$(start_dockerd "$i")
  wait_dockerd "$i" "$pid" || die "host $i: dockerd"
  log "host $i: dockerd answers after $(since "$t0")s"
}

cmd_link() {
  need_host "$1"
  ip link set "$(veth "$1")" "$2"
}

cmd_drop() {
  need_host "$1"
  if [ "$2" = drop ]; then
    in_ns "$1" iptables -C INPUT -i eth0 -j DROP 2>/dev/null || in_ns "$1" iptables -I INPUT -i eth0 -j DROP
  else
    while in_ns "$1" iptables -C INPUT -i eth0 -j DROP 2>/dev/null; do in_ns "$1" iptables -D INPUT -i eth0 -j DROP; done
  fi
}

# One command at a time per rig (up/down/faults change shared state).
exec 9>"$RIG_DIR/lock"
flock 9

case ${1:-} in
  up) cmd_up "${2:-3}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill-docker) cmd_kill_docker "${2:-}" ;;
  start-docker) cmd_start_docker "${2:-}" ;;
  link-down) cmd_link "${2:-}" down ;;
  link-up) cmd_link "${2:-}" up ;;
  drop) cmd_drop "${2:-}" drop ;;
  undrop) cmd_drop "${2:-}" undrop ;;
  *)
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
    [ $# -eq 0 ] || exit 2
    ;;
esac
