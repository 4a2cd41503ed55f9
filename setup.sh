#!/usr/bin/env bash
# The whole set-up of xadmit on Debian 12, idempotent:
#   ./setup.sh demo   install what is missing, build, boot the demo manifest on the simulated host
#   ./setup.sh test   install what is missing, build, run the test suite
#   ./setup.sh fuzz   install what is missing and clang, build build-fuzz, run
#                     each fuzz target XADMIT_FUZZ_SECONDS (default 60) seconds
#   ./setup.sh package  install what is missing and Debian's packaging tools,
#                     build the .deb from a clean export of HEAD into
#                     build/package (tests/package/build.sh), lintian it
set -euo pipefail

cd "$(dirname "$0")"

packages=(
  gcc libc6-dev pkg-config meson ninja-build
  libglib2.0-dev libglib2.0-dev-bin libjansson-dev libsqlite3-dev libxen-dev
  help2man bash-completion
)

usage() {
  echo "usage: $0 demo|test|fuzz|package" >&2
  exit 2
}

# install_missing [PACKAGE...]: the packages above and those given
install_missing() {
  local missing=() p
  for p in "${packages[@]}" "$@"; do
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

# Each fuzz target (tests/fuzz/) for a bounded time, one after the other, a
# corpus of its own in build-fuzz/corpus/NAME from its seeds; a crash
# leaves its input in build-fuzz/crashes/NAME/ and fails.
fuzz() {
  local seconds=${XADMIT_FUZZ_SECONDS:-60} name target dict failed=()
  if [ -f build-fuzz/build.ninja ]; then
    meson setup --reconfigure build-fuzz >/dev/null
  else
    CC=clang meson setup build-fuzz -Dfuzzing=true -Dtests=false
  fi
  meson compile -C build-fuzz
  for target in build-fuzz/tests/fuzz/fuzz-*; do
    [ -f "$target" ] || continue
    name=${target##*/fuzz-}
    dict=()
    case "$name" in
      host-file|sim-state|manifest|scenario) dict=(-dict=tests/fuzz/json.dict) ;;
    esac
    mkdir -p "build-fuzz/corpus/$name" "build-fuzz/crashes/$name"
    echo "fuzzing $name for ${seconds} s"
    if ! "$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -print_final_stats=1 "${dict[@]}" -artifact_prefix="build-fuzz/crashes/$name/" \
        "build-fuzz/corpus/$name" $(fuzz_seeds "$name") 2>"build-fuzz/fuzz-$name.log"; then
      tail -n 60 "build-fuzz/fuzz-$name.log"
      failed+=("$name")
    fi
    echo "$name: $(grep -m1 '^stat::number_of_executed_units' "build-fuzz/fuzz-$name.log")"
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found a crash in: ${failed[*]}; each input is in build-fuzz/crashes/NAME/," >&2
    echo "and belongs under tests/fuzz/regressions/NAME/ once fixed" >&2
    return 1
  fi
}

# The seed folders of a fuzz target: data/'s files, tests/fuzz/'s own.
fuzz_seeds() {
  case "$1" in
    host-file|sim-state) echo data/hosts ;;
    manifest) echo data/manifests ;;
    scenario) echo data/scenarios ;;
  esac
  local d
  for d in "tests/fuzz/corpus/$1" "tests/fuzz/regressions/$1"; do
    [ -d "$d" ] && echo "$d"
  done
  return 0
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
  fuzz)
    install_missing clang libclang-rt-14-dev
    fuzz
    ;;
  package)
    install_missing dpkg-dev debhelper fakeroot lintian git
    exec tests/package/build.sh
    ;;
  *)
    usage
    ;;
esac
