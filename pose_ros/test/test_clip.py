"""The demo clip: real people, moving, with an empty stretch, readable back as a video."""

import cv2
import numpy as np

from pose_ros.media import clip

SPEC = clip.ClipSpec(seconds_per_person=1.0, empty_seconds=0.5, fps=10.0)


def test_frames_hold_each_person_in_turn_with_an_empty_stretch():
    frames = clip.frames(SPEC)
    assert len(frames) == 10 + 5 + 10
    assert all(f.shape == (480, 640, 3) and f.dtype == np.uint8 for f in frames)
    empty = frames[10:15]
    assert all(f.std() == 0 for f in empty), 'the stretch between the people must be empty'
    assert frames[0].std() > 20 and frames[-1].std() > 20, 'a person should fill the frame'


def test_people_move_and_zoom_from_frame_to_frame():
    frames = clip.frames(SPEC)
    first, later = frames[0].astype(int), frames[5].astype(int)
    assert np.abs(first - later).mean() > 5, 'the photo stands still: no tracking is exercised'


def test_written_clip_reads_back(tmp_path):
    path = clip.write(tmp_path / 'clip.avi', SPEC)
    capture = cv2.VideoCapture(str(path))
    count = 0
    ok, frame = capture.read()
    while ok:
        assert frame.shape == (480, 640, 3)
        count += 1
        ok, frame = capture.read()
    assert count == 25
    assert abs(capture.get(cv2.CAP_PROP_FPS) - 10.0) < 0.01
