#!/usr/bin/env bash
# Installs ecsctl from this checkout and says what it did.
#
#   ./install.sh [--with-docker] [--demo-image] [--prefix DIR]
#
#   (default)        cargo install --path . --locked; shell completions; man page
#   --with-docker    also install (Debian's docker.io) and start a Docker engine when none answers
#   --demo-image     build `ecsctl-demo/busybox:1`, the image of the example manifests, from
#                    Debian's static busybox, with no registry (docker import of a tiny rootfs)
#   --prefix DIR     install everything under DIR: the binary in DIR/bin, completions and
#                    man pages in DIR/share (default: cargo's bin directory; completions and
#                    man pages system-wide as root, else in your home directory)
set -euo pipefail
cd "$(dirname "$0")"
. .ci/lib.sh

with_docker=false
demo_image=false
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --with-docker) with_docker=true ;;
    --demo-image) demo_image=true ;;
    --prefix) prefix="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done

done_list=()

if [ -n "$prefix" ]; then
  log "building ecsctl (release: 5 to 10 minutes on 2 cores)…"
  cargo build --release --locked
  mkdir -p "$prefix/bin"
  install -m 0755 "${CARGO_TARGET_DIR:-target}/release/ecsctl" "$prefix/bin/ecsctl"
  bin="$prefix/bin/ecsctl"
else
  log "building and installing ecsctl (cargo install --locked, release: 5 to 10 minutes on 2 cores)…"
  cargo install --path . --locked --force
  bin="${CARGO_HOME:-$HOME/.cargo}/bin/ecsctl"
fi
done_list+=("installed the binary: $bin")

# Completions and the man page: under the prefix, else system-wide as root, else in the
# user's directories.
if [ -n "$prefix" ]; then
  bash_dir="$prefix/share/bash-completion/completions"
  zsh_dir="$prefix/share/zsh/site-functions"
  fish_dir="$prefix/share/fish/vendor_completions.d"
  man_dir="$prefix/share/man/man1"
elif [ "$(id -u)" -eq 0 ]; then
  bash_dir=/usr/share/bash-completion/completions
  zsh_dir=/usr/local/share/zsh/site-functions
  fish_dir=/usr/share/fish/vendor_completions.d
  man_dir=/usr/local/share/man/man1
else
  bash_dir="$HOME/.local/share/bash-completion/completions"
  zsh_dir="$HOME/.local/share/zsh/site-functions"
  fish_dir="$HOME/.config/fish/completions"
  man_dir="$HOME/.local/share/man/man1"
fi
mkdir -p "$bash_dir" "$zsh_dir" "$fish_dir" "$man_dir"
install -m 0644 completions/ecsctl.bash "$bash_dir/ecsctl"
install -m 0644 completions/_ecsctl "$zsh_dir/_ecsctl"
install -m 0644 completions/ecsctl.fish "$fish_dir/ecsctl.fish"
for page in completions/*.1; do
  install -m 0644 "$page" "$man_dir/$(basename "$page")"
done
done_list+=("installed completions: $bash_dir/ecsctl, $zsh_dir/_ecsctl, $fish_dir/ecsctl.fish")
done_list+=("installed the man pages: $man_dir/ecsctl.1 and ecsctl-COMMAND.1 (man ecsctl-plan)")

if $with_docker; then
  ensure_docker
  done_list+=("a Docker engine answers: $(docker version --format '{{.Server.Version}}' 2>/dev/null)")
fi

if $demo_image; then
  ensure_busybox_image ecsctl-demo/busybox:1
  busybox_bin=$(command -v busybox)
  done_list+=("the image ecsctl-demo/busybox:1 is there (busybox $("$busybox_bin" 2>&1 | head -n1 | awk '{print $2}'))")
  # The demo's load balancer: HAProxy from Debian's package, as a local image (no registry).
  ensure_haproxy_image ecsctl-demo/haproxy:2.6
  done_list+=("the image ecsctl-demo/haproxy:2.6 is there (the demo's load balancer)")
fi

echo
echo "ecsctl is installed:"
for line in "${done_list[@]}"; do echo "  - $line"; done
case ":$PATH:" in
  *":$(dirname "$bin"):"*) ;;
  *) echo "  note: $(dirname "$bin") is not on your PATH: export PATH=\"$(dirname "$bin"):\$PATH\"" ;;
esac
if [ -n "$prefix" ]; then
  echo "  note: for the man pages: export MANPATH=\"$prefix/share/man:\$MANPATH\""
fi
echo
echo "Next: WORKER_API_TOKEN=demo ecsctl watch -f manifests/   (the example services, kept"
echo "      converged until Ctrl-C; in another terminal: ecsctl get services; see README.md)"
