#!/usr/bin/env bash
# The whole set-up of xadmit on Debian 12, idempotent:
#   ./setup.sh demo   install what is missing, build, boot the demo manifest on the simulated host
#   ./setup.sh test   install what is missing, build, run the test suite
set -euo pipefail

cd "$(dirname "$0")"

packages=(
  gcc libc6-dev pkg-config meson ninja-build
  libglib2.0-dev libglib2.0-dev-bin libjansson-dev libsqlite3-dev libxen-dev
)

usage() {
  echo "usage: $0 demo|test" >&2
  exit 2
}

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "xadmit needs these Debian packages; as root, run:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  if [ -f build/build.ninja ]; then
    meson setup --reconfigure build >/dev/null
  else
    meson setup build
  fi
  meson compile -C build
}

[ $# -eq 1 ] || usage
case "$1" in
  demo)
    install_missing
    build
    # a ledger of its own: the demo leaves the user's ledger alone
    exec ./build/cli/xadmit boot data/manifests/demo.json --host sim --db build/demo.db
    ;;
  test)
    install_missing
    build
    exec meson test -C build --print-errorlogs
    ;;
  *)
    usage
    ;;
esac
