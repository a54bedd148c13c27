"""The public API in three lines, as a plain Python script uses it, and the README's code.

Run without ROS in mind: ``import pose_ros`` and the estimator must not load rclpy, and the
README's blocks are run as written, so what it tells pip users works.
"""

import json
from pathlib import Path
import re
import subprocess
import sys

from conftest import require_model
import cv2
import pytest
from skimage import data

README = Path(__file__).resolve().parents[2] / 'README.md'
# The astronaut's nose in the 512 px photo (x 185-255, y 95-155, chosen by viewing it with
# a grid), as in test_estimator.
NOSE_BOX = (185, 95, 255, 155)


@pytest.fixture(autouse=True)
def blazepose():
    require_model('pose_detection.tflite')
    require_model('pose_landmark_full.tflite')


def in_nose_box(x, y):
    return NOSE_BOX[0] <= x <= NOSE_BOX[2] and NOSE_BOX[1] <= y <= NOSE_BOX[3]


def run_python(code, cwd=None):
    done = subprocess.run([sys.executable, '-c', code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_three_lines_find_the_astronaut():
    from pose_ros import PoseEstimator
    rgb = data.astronaut()
    with PoseEstimator.from_model('blazepose_full') as est:
        poses = est.estimate(rgb).poses
    assert len(poses) == 1
    x, y, score = poses[0].keypoints[0]
    assert in_nose_box(x, y) and score > 0.9


THREE_LINES = """
import json, sys
from skimage import data
rgb = data.astronaut()
from pose_ros import PoseEstimator
with PoseEstimator.from_model('blazepose_full') as est:
    poses = est.estimate(rgb).poses
print(json.dumps({'nose': [float(v) for v in poses[0].keypoints[0]], 'persons': len(poses),
                  'rclpy': 'rclpy' in sys.modules,
                  'ros_modules': sorted(m for m in sys.modules if m.startswith('pose_ros.ros'))}))
"""


def test_a_plain_python_script_runs_it_without_loading_ros():
    out = json.loads(run_python(THREE_LINES).strip().splitlines()[-1])
    assert out['persons'] == 1
    assert in_nose_box(*out['nose'][:2]) and out['nose'][2] > 0.9
    assert out['rclpy'] is False
    assert out['ros_modules'] == []


def readme_blocks():
    """Return the python blocks of the README's section for users without ROS."""
    text = README.read_text()
    section = text.split('## From Python, without ROS', 1)[1].split('\n## ', 1)[0]
    return re.findall(r'```python\n(.*?)```', section, re.S)


def test_the_readme_shows_both_uses():
    photo, gestures = readme_blocks()
    assert "PoseEstimator.from_model('blazepose_full')" in photo
    assert 'GestureRecognizer.from_file' in gestures
    fetch = 'python -m pose_ros.models fetch blazepose_full'
    assert fetch in README.read_text().split('## From Python, without ROS', 1)[1]


def test_the_readme_photo_block_runs_as_written(tmp_path):
    photo, _ = readme_blocks()
    cv2.imwrite(str(tmp_path / 'person.jpg'), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    lines = run_python(photo, cwd=tmp_path).strip().splitlines()
    assert len(lines) == 1, lines
    track_id, score, nose = re.fullmatch(r'(\d+) ([\d.]+) \[(.*)\]', lines[0]).groups()
    x, y, nose_score = (float(v) for v in nose.split())
    assert float(score) > 0.9
    assert in_nose_box(x, y) and nose_score > 0.9


# A gesture the astronaut makes in the photo (her head is above her shoulders), and its
# opposite, which she does not make.
UPRIGHT = """
engage: upright
disengage: head_down
gestures:
  upright:
    description: The head above the shoulders.
    hold: 0.1
    when:
      all:
        - {feature: 'up(mid_shoulder, nose)', above: 0.1}
  head_down:
    description: The head below the shoulders.
    when:
      all:
        - {feature: 'up(mid_shoulder, nose)', below: -0.1}
"""

FRAMES = """
from skimage import data
frames = [(i / 10, data.astronaut()) for i in range(5)]
"""


def test_the_readme_gesture_block_runs_as_written(tmp_path):
    _, gestures = readme_blocks()
    (tmp_path / 'gestures.yaml').write_text(UPRIGHT)
    lines = run_python(FRAMES + gestures, cwd=tmp_path).strip().splitlines()
    # Held from the first frame, the gesture starts once held 0.1 s, then is held.
    assert lines == ['0.1 0 upright STARTED', '0.2 0 upright HELD', '0.3 0 upright HELD',
                     '0.4 0 upright HELD'], lines


def test_the_readme_gesture_block_runs_with_the_package_gestures(tmp_path):
    _, gestures = readme_blocks()
    shipped = Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml'
    (tmp_path / 'gestures.yaml').write_text(shipped.read_text())
    # The astronaut holds a helmet, arms down: none of the robot's gestures.
    assert run_python(FRAMES + gestures, cwd=tmp_path).strip() == ''
