#!/usr/bin/env bash
# The main job: set up, then run the whole pipeline (camera or clip -> pose -> gestures).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/setup.sh"
# colcon's setup scripts read unset variables: relax -u while sourcing.
set +u
# shellcheck disable=SC1091
source "$root/pose_ros_env.sh"
set -u
if ! command -v pipeline >/dev/null 2>&1 && [ ! -x "$root/install/pose_ros/lib/pose_ros/pipeline" ]; then
  echo '[demo] not built yet: the pipeline executable (camera, pose and gesture nodes in one' >&2
  echo '[demo] process) does not exist in this version of pose_ros. The set-up above is done:' >&2
  echo "[demo] source $root/pose_ros_env.sh and run tools/test.sh to see what works." >&2
  exit 2
fi
exec "$root/install/pose_ros/lib/pose_ros/pipeline" "$@"
