"""A demo clip of real people for machines without a camera.

Why built, not shipped: the photos of people in the scikit-image wheel (the astronaut Eileen
Collins, public domain, and "camera", a man behind a camera on a tripod) are already installed
with the test tools, and a clip made from them costs nothing in git. Each photo drifts and
zooms a little from frame to frame, as a person seen by a handheld camera would, so tracking
and smoothing work as they would on a live feed, and a short empty stretch between the two
shows the node reporting nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class ClipSpec:
    width: int = 640
    height: int = 480
    fps: float = 30.0
    seconds_per_person: float = 4.0
    empty_seconds: float = 0.5


def _people() -> list[np.ndarray]:
    try:
        from skimage import data
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("the demo clip is made from scikit-image's photos of people: "
                           'pip install scikit-image, or give a camera or video as source') \
            from exc
    camera = data.camera()
    return [data.astronaut(), np.dstack([camera, camera, camera])]


def _place(photo: np.ndarray, spec: ClipSpec, t: float) -> np.ndarray:
    """Draw ``photo`` into a dark frame, scaled and shifted smoothly with time ``t`` (s)."""
    frame = np.full((spec.height, spec.width, 3), 24, np.uint8)
    scale = spec.height / photo.shape[0] * (0.85 + 0.1 * math.sin(2 * math.pi * t / 3.0))
    w, h = int(photo.shape[1] * scale), int(photo.shape[0] * scale)
    x = int((spec.width - w) / 2 + 0.25 * (spec.width - w) * math.sin(2 * math.pi * t / 5.0))
    y = int((spec.height - h) / 2 + 10 * math.sin(2 * math.pi * t / 2.0))
    resized = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, spec.width), min(y + h, spec.height)
    frame[y0:y1, x0:x1] = resized[y0 - y:y1 - y, x0 - x:x1 - x]
    return frame


def frames(spec: ClipSpec = ClipSpec()) -> list[np.ndarray]:
    """Return the clip as RGB frames: each person in turn, an empty stretch between."""
    out = []
    per_person = int(spec.seconds_per_person * spec.fps)
    empty = np.full((spec.height, spec.width, 3), 24, np.uint8)
    for n, photo in enumerate(_people()):
        if n:
            out.extend([empty] * int(spec.empty_seconds * spec.fps))
        out.extend(_place(photo, spec, i / spec.fps) for i in range(per_person))
    return out


def write(path: str | Path, spec: ClipSpec = ClipSpec()) -> Path:
    """Write the clip as an MJPG .avi, which every OpenCV build can read back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), spec.fps,
                             (spec.width, spec.height))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write {path}')
    try:
        for rgb in frames(spec):
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
