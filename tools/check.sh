#!/usr/bin/env bash
# The project's whole test suite, as CI runs it (.ci/run calls this):
#   1. install what is missing (apt; CMake 4.3 from npm for compatibility tests)
#   2. build with -Wall -Wextra -Werror and run every test on all cores:
#      unit tests, end-to-end tests under CMake 3.25 and 4.3, the demo suite
#   3. build with AddressSanitizer + UndefinedBehaviorSanitizer, run the unit tests
#   4. fuzz the emitter and the JSON reader with libFuzzer, bounded runs
#   5. clang-format must have nothing to change
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
tools/install-deps.sh

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
