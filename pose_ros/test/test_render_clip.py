"""Clips on disk: mp4 and labels JSON, cached by content so a second run is instant."""

import json

import cv2
import numpy as np
from render_helpers import require_assets, require_gl

from pose_ros.rendering import content_hash, motion_blur, parse_scene, render_clip
from pose_ros.rendering.__main__ import main

TINY = """# three small frames
image fps=10 width=160 height=120 noise=1 blur=0.5 jpeg=80
camera distance=3.5
rest 0.1
hold engage 0.2
"""


def test_a_clip_is_written_then_served_from_the_cache(tmp_path):
    require_assets()
    require_gl()
    scene = parse_scene(TINY, str(tmp_path / 'tiny.scene'))
    cache = tmp_path / 'cache'
    first = render_clip(scene, cache=cache)
    assert not first.cached
    labels = json.loads(first.labels.read_text())
    assert labels['frame_count'] == 3 and len(labels['frames']) == 3
    assert [f['gesture'] for f in labels['frames']] == [None, 'engage', 'engage']
    assert np.array(labels['frames'][1]['keypoints_2d']).shape == (17, 2)
    assert np.array(labels['camera']['intrinsics']).shape == (3, 3)
    video = cv2.VideoCapture(str(first.video))
    count = 0
    while True:
        ok, img = video.read()
        if not ok:
            break
        assert img.shape == (120, 160, 3)
        count += 1
    assert count == 3
    stamp = first.video.stat().st_mtime_ns
    second = render_clip(scene, cache=cache)
    assert second.cached and second.video == first.video
    assert second.video.stat().st_mtime_ns == stamp   # not written again
    # Any change to the scene is a new clip.
    changed = parse_scene(TINY.replace('rest 0.1', 'rest 0.2'), str(tmp_path / 'tiny.scene'))
    assert content_hash(changed) != content_hash(scene)
    third = render_clip(changed, out=tmp_path / 'out', cache=cache)
    assert not third.cached and third.video == tmp_path / 'out' / 'clip.mp4'
    assert json.loads(third.labels.read_text())['frame_count'] == 4


def test_the_command_line_renders_a_scene_file(tmp_path, monkeypatch, capsys):
    require_assets()
    require_gl()
    path = tmp_path / 'tiny.scene'
    path.write_text(TINY)
    monkeypatch.setenv('POSE_ROS_CLIPS', str(tmp_path / 'cache'))
    assert main([str(path), '--out', str(tmp_path / 'out'), '--depth']) == 0
    assert (tmp_path / 'out' / 'clip.mp4').is_file()
    depth = cv2.imread(str(tmp_path / 'out' / 'depth' / '00001.png'), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and 2000 < np.median(depth) < 20000   # millimetres
    bad = tmp_path / 'bad.scene'
    bad.write_text('rest 1\nhold nothing 1\n')
    assert main([str(bad)]) == 1
    assert f'{bad}:2: unknown pose' in capsys.readouterr().err


def test_motion_blur_smears_along_the_motion_and_leaves_still_parts_alone():
    image = np.zeros((64, 96, 3), np.uint8)
    image[24:40, 40:56] = 240
    motion = np.zeros((64, 96, 2), np.float32)
    motion[24:40, 40:56] = (12.0, 0.0)   # the square moves 12 px right while exposed
    out = motion_blur(image, motion)
    row = out[32, :, 0]
    # Smeared sideways, past the square's edges, and dimmer at its ends; not up or down.
    assert row[36] > 20 and row[59] > 20
    assert row[48] > row[41]
    assert out[20, 48, 0] == 0 and out[44, 48, 0] == 0
    # Far from anything moving, nothing changes; with no motion the image is returned as is.
    np.testing.assert_array_equal(out[:, :16], image[:, :16])
    assert motion_blur(image, np.zeros_like(motion)) is image
