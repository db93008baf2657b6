#!/usr/bin/env bash
# Quick start: install what is missing, build, and run the demo suite through
# CTest one entry at a time and then on all cores, printing both wall times.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake --preset default
cmake --build --preset default

wall() {  # wall seconds of a command on stdout; the command's output on stderr
  local start end
  start=$(date +%s.%N)
  "$@" >&2
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')" 2>/dev/null || echo "$end - $start" | bc
}

echo "== demo suite, one CTest entry at a time (ctest --preset demo-serial)"
serial=$(wall ctest --preset demo-serial)
echo "== demo suite, all cores (ctest --preset demo)"
parallel=$(wall ctest --preset demo)
echo "== again, now planned from the durations the last runs measured"
balanced=$(wall ctest --preset demo)
build/tools/pytest-shards report --suite-dir build/tests/pytest-shards/demo | tail -3 || true
cat <<SUMMARY

demo suite wall time on $(nproc) cores:
  serial (ctest --preset demo-serial):        ${serial} s
  parallel (ctest --preset demo):             ${parallel} s
  parallel with learned durations:            ${balanced} s
SUMMARY
