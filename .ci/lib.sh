# Shared by install.sh, tests/run.sh and .ci/run: make sure the tools the project needs exist.
# Sourced, not run.

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing (by the command they provide).
ensure_packages() {
  local missing=()
  local pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Starts dockerd when no daemon answers, and waits until one does.
ensure_docker() {
  ensure_packages dockerd:docker.io
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  log "starting dockerd (log: /tmp/ecsctl-dockerd.log)"
  as_root sh -c 'setsid dockerd >/tmp/ecsctl-dockerd.log 2>&1 < /dev/null &'
  local i
  for i in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then
      log "dockerd answers after ${i}s/2"
      return 0
    fi
    sleep 0.5
  done
  log "dockerd did not start; see /tmp/ecsctl-dockerd.log"
  tail -n 20 /tmp/ecsctl-dockerd.log >&2 || true
  return 1
}

# The Debian docker CLI may be newer than the engine: speak the engine's API version.
export_docker_api_version() {
  local version
  version=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null || true)
  if [ -n "$version" ]; then export DOCKER_API_VERSION="$version"; fi
}

# Builds IMAGE from Debian's static busybox (a shell, httpd, nc, sleep; about 1 MB) through
# `docker import`: no registry and no builder needed. Does nothing when IMAGE exists.
ensure_busybox_image() {
  local image=$1 rootfs applet busybox_bin
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  ensure_packages busybox:busybox-static
  busybox_bin=$(command -v busybox)
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/root/bin" "$rootfs/root/tmp" "$rootfs/root/etc"
  cp "$busybox_bin" "$rootfs/root/bin/busybox"
  for applet in $("$busybox_bin" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/root/bin/$applet"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/root/etc/passwd"
  tar -C "$rootfs/root" -cf "$rootfs/rootfs.tar" .
  docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' "$rootfs/rootfs.tar" "$image" >/dev/null
  rm -rf "$rootfs"
}

# The aws CLI and boto3 (from PyPI) for tests/e2e_api.rs, in a virtual environment at
# ${ECSCTL_PYENV:-/tmp/ecsctl-pyenv}; exports ECSCTL_PYENV for the tests.
ensure_aws_pyenv() {
  export ECSCTL_PYENV="${ECSCTL_PYENV:-/tmp/ecsctl-pyenv}"
  if [ -x "$ECSCTL_PYENV/bin/aws" ] && "$ECSCTL_PYENV/bin/python" -c 'import boto3, jsonschema, yaml' 2>/dev/null; then
    return 0
  fi
  ensure_packages python3:python3
  if ! python3 -m venv "$ECSCTL_PYENV" >/dev/null 2>&1; then
    log "installing python3-venv"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$ECSCTL_PYENV"
  fi
  # jsonschema and pyyaml: tests/schema.rs validates manifests against `ecsctl schema`.
  log "installing awscli, boto3, jsonschema and pyyaml in $ECSCTL_PYENV"
  "$ECSCTL_PYENV/bin/pip" install -q awscli boto3 jsonschema pyyaml
}

# Builds IMAGE (HAProxy for the traffic tests) from Debian's `haproxy` package: the binary and
# the closure of its shared libraries (`ldd`), about 20 files, brought in with `docker import`.
# Libraries the machine lacks come from their Debian packages too (`apt-get download`, never
# installed). No registry and no builder needed. Does nothing when IMAGE exists.
ensure_haproxy_image() {
  local image=$1 work deb pkg lib path libdirs pass
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  ensure_packages apt-get:apt dpkg-deb:dpkg ldd:libc-bin
  work=$(mktemp -d)
  mkdir -p "$work/debs" "$work/stage" "$work/root"
  log "building $image from Debian's haproxy package"
  (cd "$work/debs" && apt-get download haproxy >/dev/null 2>&1) || {
    as_root apt-get update -qq
    (cd "$work/debs" && apt-get download haproxy >/dev/null)
  }
  dpkg -x "$work"/debs/haproxy_*.deb "$work/stage"
  # Libraries the binary needs that this machine does not have: fetch their packages (and
  # theirs), unpack them next to the binary, until ldd resolves everything.
  for pass in 1 2 3; do
    for deb in "$work"/debs/*.deb; do
      for pkg in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//;s/[ (|].*//' | grep '^lib' || true); do
        dpkg -s "$pkg" >/dev/null 2>&1 && continue
        ls "$work/debs/${pkg}"_*.deb >/dev/null 2>&1 && continue
        (cd "$work/debs" && apt-get download "$pkg" >/dev/null 2>&1) || true
        for lib in "$work/debs/${pkg}"_*.deb; do [ -f "$lib" ] && dpkg -x "$lib" "$work/stage"; done
      done
    done
  done
  libdirs=$(find "$work/stage" -name '*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
  if LD_LIBRARY_PATH="$libdirs" ldd "$work/stage/usr/sbin/haproxy" | grep -q 'not found'; then
    log "haproxy's libraries could not all be found:"
    LD_LIBRARY_PATH="$libdirs" ldd "$work/stage/usr/sbin/haproxy" | grep 'not found' >&2
    rm -rf "$work"
    return 1
  fi
  mkdir -p "$work/root/usr/sbin" "$work/root/lib64" "$work/root/lib" "$work/root/tmp" \
    "$work/root/etc" "$work/root/run" "$work/root/var/lib/haproxy"
  cp "$work/stage/usr/sbin/haproxy" "$work/root/usr/sbin/haproxy"
  for path in $(LD_LIBRARY_PATH="$libdirs" ldd "$work/stage/usr/sbin/haproxy" | grep -o '/[^ ]*'); do
    case "$path" in
      */ld-linux*) cp -L "$path" "$work/root/lib64/$(basename "$path")" ;;
      *) cp -L "$path" "$work/root/lib/$(basename "$path")" ;;
    esac
  done
  printf 'root:x:0:0:root:/:/usr/sbin/haproxy\nhaproxy:x:99:99:haproxy:/var/lib/haproxy:/usr/sbin/haproxy\n' >"$work/root/etc/passwd"
  printf 'root:x:0:\nhaproxy:x:99:\n' >"$work/root/etc/group"
  tar -C "$work/root" -cf "$work/rootfs.tar" .
  docker import -c 'ENV PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LD_LIBRARY_PATH=/lib' -c 'ENTRYPOINT ["/usr/sbin/haproxy"]' \
    -c 'CMD ["-v"]' "$work/rootfs.tar" "$image" >/dev/null
  rm -rf "$work"
}

# A PostgreSQL server for tests/e2e_postgres.rs, from Debian's `postgresql`: a data directory
# under ${ECSCTL_PG_DIR:-/tmp/ecsctl-pg} (initdb as the `postgres` user: it refuses root),
# listening on 127.0.0.1 only, on a free port. Roles: `ecsctl` (owns the database `ecsctl`,
# may create databases: each test makes its own) and `ecsctl_ro` (reads only). Reuses a server
# that answers. Exports ECSCTL_TEST_POSTGRES_URL and ECSCTL_TEST_POSTGRES_RO_URL.
ensure_postgres() {
  local dir="${ECSCTL_PG_DIR:-/tmp/ecsctl-pg}" bin port
  if [ -f "$dir/env" ]; then
    . "$dir/env"
    if [ -n "${ECSCTL_PG_PORT:-}" ] && "$ECSCTL_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$ECSCTL_PG_PORT"; then
      export ECSCTL_TEST_POSTGRES_URL ECSCTL_TEST_POSTGRES_RO_URL
      return 0
    fi
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    log "installing postgresql"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  port=55432
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  rm -rf "$dir"
  mkdir -p "$dir/sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  log "starting postgresql on 127.0.0.1:$port (log: $dir/log)"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c max_connections=300" start >/dev/null
  local i
  for i in $(seq 1 60); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  as_pg "$bin/psql" -q -h "$dir/sock" -p "$port" -U postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE ROLE ecsctl LOGIN CREATEDB PASSWORD 'ecsctl-test';
CREATE ROLE ecsctl_ro LOGIN PASSWORD 'ecsctl-ro';
CREATE DATABASE ecsctl OWNER ecsctl;
\c ecsctl
SET ROLE ecsctl;
ALTER DEFAULT PRIVILEGES FOR ROLE ecsctl GRANT SELECT ON TABLES TO ecsctl_ro;
SQL
  cat >"$dir/env" <<ENV
ECSCTL_PG_BIN=$bin
ECSCTL_PG_PORT=$port
ECSCTL_TEST_POSTGRES_URL=postgres://ecsctl:ecsctl-test@127.0.0.1:$port/ecsctl
ECSCTL_TEST_POSTGRES_RO_URL=postgres://ecsctl_ro:ecsctl-ro@127.0.0.1:$port/ecsctl
ENV
  . "$dir/env"
  export ECSCTL_TEST_POSTGRES_URL ECSCTL_TEST_POSTGRES_RO_URL
}

# Benches: ECSCTL is the binary to measure, as given, or ecsctl built in release mode.
bench_ecsctl() {
  if [ -z "${ECSCTL:-}" ]; then
    log "building ecsctl (release)"
    cargo build --release --locked --quiet --bin ecsctl
    ECSCTL=${CARGO_TARGET_DIR:-$PWD/target}/release/ecsctl
  fi
}

# rig_host_entries N: a Cluster's `hosts:` entries for rig hosts 1..N (the rig's env sourced).
rig_host_entries() {
  local i endpoint socket
  for i in $(seq 1 "$1"); do
    endpoint=RIG_HOST_${i}_ENDPOINT
    socket=RIG_HOST_${i}_SOCKET
    echo "    - { name: h$i, endpoint: '${!endpoint}', dockerSocket: '${!socket}' }"
  done
}
