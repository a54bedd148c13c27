"""A rendered person's hands steer the robot: camera, pose (hands on) and gesture nodes over DDS.

The clip is the rendered scene ``hand_session_stop`` (10 frames/s, 1.8 m): the body engage
(both arms up, hands together), then an open palm raised to the camera with the right hand.
camera_node plays its mp4, pose_node runs BlazePose with ``hands:=true`` and gesture_node
runs ``config/gestures_hands.yaml``, where the open palm is the stop. Nothing here is a
hand-made skeleton: every keypoint comes from the models on rendered pixels.
"""

from pathlib import Path

from geometry_msgs.msg import Twist
import pytest
import test_end_to_end_rendered as rendered

from pose_ros_msgs.msg import Hand

observer = rendered.observer     # the same fixture: keypoints, gestures, commands, timed
GESTURES = Path(__file__).resolve().parents[1] / 'config' / 'gestures_hands.yaml'
# The clip is played at half its speed: with hands on, pose_node runs two models a frame and
# on a busy 2-core machine would skip frames at 10 frames/s (it takes the newest image).
# The holds are then twice as long as rendered, still longer than the gestures' holds.
PLAY_FPS = 5.0


@pytest.fixture(scope='module')
def hands_clip():
    from conftest import require_model
    for name in ('hand_landmark_full.tflite', 'palm_detection_full.tflite'):
        require_model(name)
    return rendered._clip('hand_session_stop')


def test_a_raised_open_palm_stops_the_engaged_person(observer, peer, hands_clip):
    video, scene = hands_clip
    keypoints, gesture = rendered.play(observer, peer, video, pose_params=('hands:=true',),
                              gesture_params=(f'gestures_file:={GESTURES}',),
                              camera_params=(f'fps:={PLAY_FPS}',))
    assert len(keypoints) >= scene.frame_count // 2, \
        f'{len(keypoints)} of {scene.frame_count} frames reached /pose/keypoints'
    # The right hand (the person's own) is in the published persons while it is raised.
    rights = [h for m in keypoints for p in m.persons for h in p.hands if h.side == Hand.RIGHT]
    assert len(rights) >= len(keypoints) // 3, len(rights)
    assert all(len(h.keypoints) == Hand.NUM_KEYPOINTS for h in rights)

    starts = rendered.started(observer)
    names = [n for _, n in starts]
    assert names[:1] == ['engage'] and 'stop' in names, (starts, gesture.stop())
    # Engaged, control is released by the open palm and nothing else
    # starts in between: the only command is the zero the engage and the stop send.
    assert set(names) == {'engage', 'stop'}, names
    stop_at = [t for t, n in starts if n == 'stop'][0]
    assert starts[0][0] < stop_at
    after = [c for t, c in observer.commands if t > stop_at]
    assert after, 'no zero command after the open palm'
    assert all(c == Twist() for c in after), after
    assert all(c == Twist() for _, c in observer.commands)
