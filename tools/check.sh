#!/usr/bin/env bash
# The project's whole test suite, as CI runs it (.ci/run calls this):
#   1. install what is missing (apt; CMake 4.3 from npm for compatibility tests)
#   2. build with -Wall -Wextra -Werror and run every test on all cores:
#      unit tests, end-to-end tests under CMake 3.25 and 4.3, the demo suite;
#      the plugin's tests and four end-to-end checks again under pytest 8.3
#      and 9.1 (tools/pytest-venvs.sh)
#   3. build with AddressSanitizer + UndefinedBehaviorSanitizer, run the unit tests
#   4. fuzz the emitter and the JSON reader with libFuzzer, bounded runs
#   5. clang-format must have nothing to change
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
tools/install-deps.sh

step "pytest 8.3 and 9.1 beside the system's (Debian trixie and sid packages in build-venvs/)"
# A leg that cannot be built (no mirror) is skipped by its CTest entries, with why.
tools/pytest-venvs.sh || true
venvs="pytest-8.3=$PWD/build-venvs/pytest-8.3/bin/python;pytest-9.1=$PWD/build-venvs/pytest-9.1/bin/python"
cmake --preset default "-DPYTEST_SHARDS_EXTRA_PYTHONS=$venvs" >/dev/null

step "build (warnings are errors) and every test on all cores"
cmake --workflow --preset dev

step "AddressSanitizer + UndefinedBehaviorSanitizer: unit tests"
cmake --workflow --preset sanitize

step "fuzzing the emitter and the JSON reader (libFuzzer, bounded runs)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DPYTEST_SHARDS_FUZZ=ON \
  -DPYTEST_SHARDS_WERROR=ON >/dev/null
cmake --build build-fuzz --target emit_fuzz json_reader_fuzz
ctest --test-dir build-fuzz -L fuzz --output-on-failure

step "clang-format"
if command -v clang-format >/dev/null; then
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror
  echo "clang-format: clean"
else
  echo "clang-format not installed; skipped"
fi
