#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: set-up (venv, colcon build, default model),
# ruff with ament's lint rules, then pytest over both packages. Fails on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/setup.sh"
# colcon's setup scripts read unset variables: relax -u while sourcing.
set +u
# shellcheck disable=SC1091
source "$root/pose_ros_env.sh"
set -u
cd "$root"
echo '[test] ruff (ament flake8 + pep257 rules)'
ruff check .
echo '[test] pytest'
python -m pytest "$@"
