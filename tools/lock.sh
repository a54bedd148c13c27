#!/usr/bin/env bash
# Re-resolve tools/requirements.txt in a throw-away venv and pin the result in constraints.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet -r "$root/tools/requirements.txt"
{
  echo '# Exact versions installed by tools/setup.sh (pip constraints). Regenerate with tools/lock.sh.'
  echo "# Resolved for CPython 3.11 on x86_64 Linux with ROS 2 Kilted wheels, $(date +%Y-%m-%d)."
  "$tmp/venv/bin/pip" freeze --exclude-editable
} > "$root/tools/constraints.txt"
echo "tools/constraints.txt updated"
