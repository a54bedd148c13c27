#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: set-up (venv, colcon build, default model),
# ruff with ament's lint rules, then pytest over both packages. Fails on any failure.
#
#   tools/test.sh [pytest args]                 what CI runs
#   tools/test.sh --under-load [N] [pytest args]
#       the same suite N times (default 5) while two busy loops keep both cores of a
#       2-core machine busy, as a shared CI machine may be; prints each run's result and time
set -euo pipefail
# shellcheck source=tools/ready.sh
source "$(dirname "${BASH_SOURCE[0]}")/ready.sh"
echo '[test] ruff (ament flake8 + pep257 rules)'
ruff check .
if [ "${1:-}" != --under-load ]; then
  echo '[test] pytest'
  exec python -m pytest "$@"
fi
shift
runs=5
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
load=()
stop_load() { [ ${#load[@]} -eq 0 ] || kill "${load[@]}" 2>/dev/null || true; }
trap stop_load EXIT
for _ in 1 2; do
  python -c 'while True: pass' &
  load+=($!)
done
echo "[test] under load: busy loops ${load[*]} on $(nproc) cores; $runs runs"
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if python -m pytest -q -p no:cacheprovider "$@" > "$root/log/under_load_$i.log" 2>&1; then
    result=passed
  else
    result=FAILED
    failed=$((failed + 1))
  fi
  summary=$(tail -n 1 "$root/log/under_load_$i.log")
  echo "[test] loaded run $i of $runs: $result in $(( $(date +%s) - start )) s ($summary)"
  [ "$result" = passed ] || grep -E '^(FAILED|ERROR) ' "$root/log/under_load_$i.log" || true
done
echo "[test] under load: $((runs - failed)) of $runs runs passed (logs: log/under_load_*.log)"
[ "$failed" -eq 0 ]
