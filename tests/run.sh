#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (Docker engine, static
# busybox for the test image), starts dockerd when none answers, then runs every test.
#   tests/run.sh [cargo test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

ensure_packages busybox:busybox-static
ensure_docker
export_docker_api_version

cargo test --locked "$@"
