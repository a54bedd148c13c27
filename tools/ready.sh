# Sourced by test.sh and demo.sh: set up (idempotent, quick when done), then enter the
# environment. Defines $root, the repository.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/setup.sh"
# colcon's setup scripts read unset variables: relax -u while sourcing.
set +u
# shellcheck disable=SC1091
source "$root/pose_ros_env.sh"
set -u
cd "$root"
