#!/usr/bin/env bash
# Virtual environments of the system Python with newer pytest versions, for
# CI's pytest legs (tests/CMakeLists.txt, PYTEST_SHARDS_EXTRA_PYTHONS):
#   build-venvs/pytest-8.3: Debian trixie's python3-pytest 8.3.x
#   build-venvs/pytest-9.1: Debian sid's python3-pytest 9.1.x (sid moves: when
#     9.1 is gone from it, its current pytest, said in one line)
# Each is `python3 -m venv --system-site-packages` (Debian's numpy,
# pytest-xdist, pytest-cov stay usable) whose site-packages hold the unpacked
# architecture-independent .debs of pytest and of the pluggy it needs, which
# shadow the system's. The packages come with `apt-get download` through a
# private sources list and state directory (build-venvs/apt): the machine's
# apt setup is never changed.
#
# Cached: a venv that is there and imports a pytest of its leg's major
# version is kept without any download. Prints one line per leg: built, kept, or why not. Exits non-zero
# when a leg could not be built (the mirror unreachable, no apt): its CTest
# entries then report themselves skipped with that line.
#
#   tools/pytest-venvs.sh [LEG...]        default: every leg
#   PYTEST_SHARDS_DEBIAN_MIRROR=URL       default: http://deb.debian.org/debian
set -uo pipefail
cd "$(dirname "$0")/.."

ROOT=build-venvs
PYTHON=/usr/bin/python3
MIRROR=${PYTEST_SHARDS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# leg: suite, the pytest version asked for (a prefix), and the packages to
# take from that suite besides python3-pytest (those whose bookworm versions
# pytest's Depends do not accept).
declare -A SUITE=([pytest-8.3]=trixie [pytest-9.1]=sid)
declare -A WANT=([pytest-8.3]=8.3. [pytest-9.1]=9.1.)
declare -A EXTRA=([pytest-8.3]=python3-pluggy [pytest-9.1]=python3-pluggy)
LEGS=(pytest-8.3 pytest-9.1)

APT=(-o "Dir::Etc::sourcelist=$PWD/$ROOT/apt/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State=$PWD/$ROOT/apt/state" -o "Dir::State::status=$PWD/$ROOT/apt/state/status"
  -o "Dir::Cache=$PWD/$ROOT/apt/cache" -o Dir::Etc::preferencesparts=-
  -o Dir::Etc::preferences=/dev/null -o APT::Sandbox::User=root -q)

say() { printf 'pytest-venvs: %s\n' "$*"; }

# The pytest version a venv imports ("" if none).
venv_pytest() {
  [[ -x $1/bin/python ]] && "$1/bin/python" -c 'import pytest; print(pytest.__version__)' \
    2>/dev/null
}

# Records why a leg has no venv, for its skipped CTest entries; returns 1.
fail() {
  local leg=$1
  shift
  say "$leg: $*"
  printf '%s\n' "$*" >"$ROOT/$leg.skipped"
  return 1
}

APT_READY=
apt_update() {
  [[ -n $APT_READY ]] && return 0
  command -v apt-get >/dev/null || { APT_READY="apt-get is not installed"; return 1; }
  [[ -r $KEYRING ]] || { APT_READY="$KEYRING is missing"; return 1; }
  mkdir -p "$ROOT/apt/state/lists/partial" "$ROOT/apt/cache/archives/partial"
  touch "$ROOT/apt/state/status"
  {
    for suite in $(printf '%s\n' "${SUITE[@]}" | sort -u); do
      echo "deb [signed-by=$KEYRING] $MIRROR $suite main"
    done
  } >"$ROOT/apt/sources.list"
  if ! apt-get "${APT[@]}" --error-on=any update >"$ROOT/apt/update.log" 2>&1; then
    APT_READY="$MIRROR is unreachable (apt-get update failed, see $ROOT/apt/update.log)"
    return 1
  fi
  APT_READY=ok
}

# The newest version of package in suite that starts with prefix, else the
# suite's newest ("" if the suite has none).
pick() {
  local package=$1 suite=$2 prefix=$3 versions
  versions=$(apt-cache "${APT[@]}" madison "$package" | awk -v s="$suite/" \
    '$0 ~ s {print $3}' | sort -rV)
  grep -m1 "^${prefix//./\\.}" <<<"$versions" || head -n1 <<<"$versions"
}

build() {
  local leg=$1 suite=${SUITE[$1]} want=${WANT[$1]} dir=$ROOT/$1 have
  have=$(venv_pytest "$dir")
  if [[ -n $have && ${have%%.*} == "${want%%.*}" ]]; then  # sid may have moved on
    say "$leg: kept (pytest $have)"
    rm -f "$ROOT/$leg.skipped"
    return 0
  fi
  apt_update || { fail "$leg" "$APT_READY"; return 1; }
  local debs=$ROOT/apt/debs/$leg package version specs=()
  for package in python3-pytest ${EXTRA[$leg]}; do
    version=$(pick "$package" "$suite" "$([[ $package == python3-pytest ]] && echo "$want")")
    [[ -n $version ]] || { fail "$leg" "Debian $suite has no $package"; return 1; }
    specs+=("$package=$version")
  done
  if [[ ${specs[0]#*=} != "$want"* ]]; then
    say "$leg: Debian $suite no longer has pytest $want*; taking its current ${specs[0]#*=}"
  fi
  rm -rf "$debs" "$dir"
  mkdir -p "$debs"
  if ! (cd "$debs" && apt-get "${APT[@]}" download "${specs[@]}") >"$debs.log" 2>&1; then
    fail "$leg" "apt-get download ${specs[*]} failed (see $debs.log)"
    return 1
  fi
  "$PYTHON" -m venv --system-site-packages --without-pip "$dir" || {
    fail "$leg" "$PYTHON -m venv failed"; return 1; }
  local site unpacked
  site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  for deb in "$debs"/*.deb; do
    unpacked=$(mktemp -d)
    dpkg-deb -x "$deb" "$unpacked" && cp -a "$unpacked/usr/lib/python3/dist-packages/." "$site/"
    rm -rf "$unpacked"
  done
  have=$(venv_pytest "$dir")
  if [[ -z $have ]] || ! "$dir/bin/python" -m pytest --version >/dev/null 2>&1; then
    rm -rf "$dir"
    fail "$leg" "the unpacked ${specs[*]} do not import under $PYTHON"
    return 1
  fi
  rm -f "$ROOT/$leg.skipped"
  say "$leg: built (${specs[*]})"
}

mkdir -p "$ROOT"
status=0
for leg in "${@:-${LEGS[@]}}"; do
  [[ -n ${SUITE[$leg]:-} ]] || { say "$leg: no such leg (${LEGS[*]})"; exit 2; }
  build "$leg" || status=1
done
exit "$status"
