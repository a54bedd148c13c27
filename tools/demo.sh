#!/usr/bin/env bash
# The main job: set up, then run the whole pipeline (camera or clip -> pose -> gestures).
# With a camera at /dev/video0 the demo uses it; without one it makes a clip of real people.
# Output: output/demo.mp4 (annotated video) and output/demo_frame.jpg.
set -euo pipefail
# shellcheck source=tools/ready.sh
source "$(dirname "${BASH_SOURCE[0]}")/ready.sh"
exec demo "$@"
