"""A Ctrl-C while a node is still starting (importing, loading its model) stops it cleanly.

``ros2 launch`` stopped right after it started sends SIGINT to nodes that are still importing
rclpy, OpenCV and the TFLite runtime; that must not be a traceback and a death by the signal,
which a launch with required nodes reports as a failure.
"""

import signal
import subprocess
import time

from conftest import executable
import pytest

# After the interpreter's own start (about 0.1 s, before any code of ours runs) and while
# the node is still importing or loading: the console scripts take about a second to be ready.
DELAYS = (0.25, 0.5, 0.8)


@pytest.mark.parametrize('name', ['pose_node', 'gesture_node', 'camera_node'])
@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_is_a_clean_stop(name, sig):
    args = [executable(name)]
    if name == 'camera_node':
        args += ['--ros-args', '-p', 'source:=/nonexistent/video.mp4']
    for delay in DELAYS:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        time.sleep(delay)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
        assert 'Traceback' not in out and 'KeyboardInterrupt' not in out, (delay, out)
        # 0 for a stop; the camera's missing file may still win the race with its fatal line.
        assert proc.returncode == 0 or (name == 'camera_node' and proc.returncode == 1
                                        and 'cannot start' in out), (delay, proc.returncode, out)
