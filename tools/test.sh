#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: set-up (venv, colcon build, default model),
# ruff with ament's lint rules, then pytest over both packages. Fails on any failure.
set -euo pipefail
# shellcheck source=tools/ready.sh
source "$(dirname "${BASH_SOURCE[0]}")/ready.sh"
echo '[test] ruff (ament flake8 + pep257 rules)'
ruff check .
echo '[test] pytest'
python -m pytest "$@"
