"""YOLO-pose: normalised or pixel coordinates, from the export's metadata or confident anchors.

An int8 export at a small input (224x224) keeps normalised coordinates for the people it
finds while low-confidence anchors hold values far above 1: deciding from every anchor
put the keypoints 224 times off. Ultralytics appends its metadata (a zip archive holding
metadata.json, or a dict literal in older exports) to the .tflite file.
"""

import json
import zipfile

from fake_runtime import FakeRuntime, SourceFrame, tensor
import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.yolo_pose import YoloPose, ultralytics_metadata

SIZE = 224
SOURCE = SourceFrame(640, 480, SIZE, SIZE)
STRIDES = (8, 16, 32)
N_ANCHORS = sum((SIZE // s) ** 2 for s in STRIDES)
METADATA = {'description': 'Ultralytics YOLO11n-pose model', 'task': 'pose', 'batch': 1,
            'imgsz': [SIZE, SIZE], 'names': {0: 'person'}, 'kpt_shape': [17, 3]}


def person(rng):
    xy = np.stack([rng.uniform(200, 440, NUM_KEYPOINTS), rng.uniform(60, 420, NUM_KEYPOINTS)],
                  axis=1)
    return {'xy': xy, 'vis': rng.uniform(0.6, 0.95, NUM_KEYPOINTS), 'conf': 0.87,
            'box': np.concatenate([xy.min(axis=0) - 8, xy.max(axis=0) + 8])}


def normalized_output(someone, rng, garbage_share):
    """Build a [1, 56, N] normalised export: the person's anchor plus low-confidence anchors.

    A ``garbage_share`` of the low-confidence anchors hold centres, sizes and keypoints
    of 2 to 200, far outside the normalised range, as int8 exports at small inputs do.
    """
    centres = np.array([((i + 0.5) * s / SIZE, (j + 0.5) * s / SIZE)
                        for s in STRIDES for j in range(SIZE // s) for i in range(SIZE // s)])
    rows = np.empty((N_ANCHORS, 56))
    rows[:, 0:2] = centres
    rows[:, 2:4] = rng.uniform(0.02, 0.3, (N_ANCHORS, 2))
    rows[:, 4] = rng.uniform(0.0, 0.05, N_ANCHORS)
    rows[:, 5:] = rng.uniform(0.0, 1.0, (N_ANCHORS, 51))
    garbage = rng.random(N_ANCHORS) < garbage_share
    rows[garbage, 0:4] = rng.uniform(2.0, 200.0, (garbage.sum(), 4))
    rows[garbage, 5::3] = rng.uniform(2.0, 200.0, (garbage.sum(), NUM_KEYPOINTS))
    kp, _ = SOURCE.to_input(someone['xy'])
    corners, _ = SOURCE.to_input(someone['box'].reshape(2, 2))
    row = np.empty(56)
    row[0:2] = (corners.mean(axis=0) + 0.5) / SIZE
    row[2:4] = (corners[1] - corners[0]) / SIZE
    row[4] = someone['conf']
    row[5::3], row[6::3] = (kp[:, 0] + 0.5) / SIZE, (kp[:, 1] + 0.5) / SIZE
    row[7::3] = someone['vis']
    rows[rng.integers(N_ANCHORS)] = row
    return rows.T[np.newaxis].astype(np.float32)


def runtime(out, path=None):
    rt = FakeRuntime([tensor('images', 0, (1, SIZE, SIZE, 3), np.float32)],
                     [tensor('Identity', 1, out.shape)], [out])
    if path is not None:
        rt.path = path
    return rt


def exported_file(tmp_path, member, text):
    """Write a stand-in flatbuffer with a zip archive appended, as Ultralytics exports do."""
    path = tmp_path / 'yolo11n-pose_int8.tflite'
    path.write_bytes(b'\x1c\x00\x00\x00TFL3' + bytes(range(256)) * 8)
    with zipfile.ZipFile(path, 'a', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return path


def test_small_int8_export_decides_from_the_confident_anchors():
    rng = np.random.default_rng(21)
    someone = person(rng)
    out = normalized_output(someone, rng, garbage_share=0.05)
    assert np.abs(out[0, :2]).max() > 100  # deciding from every anchor would say pixels
    (pose,) = YoloPose(runtime(out)).infer(SOURCE.image())
    np.testing.assert_allclose(pose.keypoints[:, :2], someone['xy'], atol=1e-2)
    np.testing.assert_allclose(pose.keypoints[:, 2], someone['vis'], atol=1e-5)
    assert pose.score == pytest.approx(someone['conf'], abs=1e-6)


@pytest.mark.parametrize('member, text', [
    ('metadata.json', json.dumps(METADATA, indent=2)),
    ('temp_meta.txt', str(METADATA)),
], ids=['json', 'dict-literal'])
def test_ultralytics_metadata_is_read_from_the_appended_zip(tmp_path, member, text):
    meta = ultralytics_metadata(exported_file(tmp_path, member, text))
    assert meta['imgsz'] == [SIZE, SIZE]
    assert meta['task'] == 'pose'


def test_files_without_metadata_give_none(tmp_path):
    plain = tmp_path / 'plain.tflite'
    plain.write_bytes(b'\x1c\x00\x00\x00TFL3' + bytes(100))
    assert ultralytics_metadata(plain) is None
    assert ultralytics_metadata(tmp_path / 'missing.tflite') is None
    assert ultralytics_metadata(exported_file(tmp_path, 'metadata.json', '{not json')) is None
    assert ultralytics_metadata(exported_file(tmp_path, 'x.txt', '__import__("os")')) is None


def test_metadata_settles_normalised_even_when_most_anchors_say_pixels(tmp_path):
    # With every anchor passing the threshold and most of them garbage, the anchors alone
    # point to pixels; the export's metadata says it is Ultralytics' normalised TFLite.
    rng = np.random.default_rng(22)
    someone = person(rng)
    out = normalized_output(someone, rng, garbage_share=0.7)
    path = exported_file(tmp_path, 'metadata.json', json.dumps(METADATA))
    adapter = YoloPose(runtime(out, path), min_person_score=0.0, max_persons=1)
    assert adapter.metadata['imgsz'] == [SIZE, SIZE]
    (pose,) = adapter.infer(SOURCE.image())
    np.testing.assert_allclose(pose.keypoints[:, :2], someone['xy'], atol=1e-2)
    unsure = YoloPose(runtime(out), min_person_score=0.0, max_persons=1)
    assert unsure.metadata is None
    (wrong,) = unsure.infer(SOURCE.image())
    assert np.abs(wrong.keypoints[:, :2] - someone['xy']).max() > 50
