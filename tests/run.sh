#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (Docker engine, static
# busybox for the test image, Debian's haproxy for the proxy image, wrk for the load tests, sshd/iproute2/iptables for the multi-host rig), starts dockerd
# when none answers (and PostgreSQL on loopback), then runs every test. The rig (tests/rig/rig.sh) is brought up by the
# first test that needs it; it is taken down at the end unless it was up before.
#   tests/run.sh [cargo test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

ensure_packages busybox:busybox-static sshd:openssh-server ssh:openssh-client \
  docker-registry:docker-registry htpasswd:apache2-utils \
  ip:iproute2 iptables:iptables nsenter:util-linux wrk:wrk git:git
ensure_docker
export_docker_api_version
# The proxy image of the traffic tests (tests/e2e_traffic.rs), from Debian's haproxy package.
ensure_haproxy_image "${ECSCTL_TEST_HAPROXY_IMAGE:-ecsctl-test/haproxy:2.6}"

rig_env="${ECSCTL_RIG_DIR:-/tmp/ecsctl-rig}/env"
if [ ! -f "$rig_env" ]; then
  trap 'as_root bash tests/rig/rig.sh down >/dev/null 2>&1 || true' EXIT
fi

ensure_aws_pyenv
# The shared-state tests (tests/e2e_postgres.rs) run against a PostgreSQL server on loopback.
ensure_postgres

cargo test --locked "$@"
