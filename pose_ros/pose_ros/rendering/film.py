"""Film a scene: every frame rendered, put through the camera's imperfections, with truth.

Effects come in the order a camera makes them: motion blur, lens blur, sensor noise, then
JPEG compression. Ground truth is taken at the frame's own instant (the middle of the
shutter). Motion blur costs one render, not several: the renderer also draws how far each
surface point moves in the image while the shutter is open (from the body posed at the
shutter's opening and closing), and the image is averaged along that motion, spread a
little past moving edges so a swinging arm smears over what is behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from pose_ros.rendering.assets import require_assets
from pose_ros.rendering.body import Body, load_body, scaled
from pose_ros.rendering.camera import project, to_camera
from pose_ros.rendering.groundtruth import (
    GroundTruth,
    ground_truth,
    hands_world,
    keypoints_world,
)
from pose_ros.rendering.hands import SIDES, HandShape
from pose_ros.rendering.renderer import Renderer
from pose_ros.rendering.scene import Effects, Scene
from pose_ros.rendering.skinning import PosedBody, Skeleton
from pose_ros.rendering.timeline import Moment, Timeline


@dataclass(frozen=True)
class FilmFrame:
    """One finished frame: RGB image (H, W, 3) uint8, depth (H, W) metres, and truth.

    ``hand_shapes``: each hand's named shape ('left'/'right' to hands.HandShape values;
    during a move, the one it is nearer to).
    """

    index: int
    time: float
    image: np.ndarray
    depth: np.ndarray
    truth: GroundTruth
    gesture: str | None
    phase: str
    hand_shapes: dict[str, str] = field(default_factory=dict)


def apply_effects(image: np.ndarray, effects: Effects, rng: np.random.Generator
                  ) -> np.ndarray:
    """Lens blur, sensor noise and JPEG round trip of a float or uint8 RGB image."""
    out = np.clip(image + 0.5, 0, 255).astype(np.uint8) if image.dtype != np.uint8 \
        else image
    if effects.blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), effects.blur)
    if effects.noise > 0:
        # One channel of h x (w * 3): cv2.randn takes one sigma per channel.
        noise = np.empty((out.shape[0], out.shape[1] * out.shape[2]), np.int16)
        cv2.setRNGSeed(int(rng.integers(1 << 31)))
        cv2.randn(noise, 0.0, float(effects.noise))
        out = cv2.add(out.reshape(noise.shape), noise, dtype=cv2.CV_8U).reshape(out.shape)
    if effects.jpeg > 0:
        ok, data = cv2.imencode('.jpg', out[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY,
                                                           int(effects.jpeg)])
        if not ok:
            raise RuntimeError('JPEG encoding failed')
        out = cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    return out


def motion_blur(image: np.ndarray, motion: np.ndarray, tile: int = 16) -> np.ndarray:
    """Average ``image`` along per-pixel ``motion`` (pixels over the open shutter)."""
    magnitude = np.linalg.norm(motion, axis=2)
    peak = float(magnitude.max())
    if peak < 0.5:
        return image
    h, w = magnitude.shape
    th, tw = -(-h // tile), -(-w // tile)
    padded = np.zeros((th * tile, tw * tile, 2), np.float32)
    padded[:h, :w] = motion
    tiles = padded.reshape(th, tile, tw, tile, 2).transpose(0, 2, 1, 3, 4).reshape(
        th, tw, tile * tile, 2)
    best = np.linalg.norm(tiles, axis=3).argmax(axis=2)
    tile_max = np.take_along_axis(tiles, best[:, :, None, None], axis=2)[:, :, 0]
    # The largest motion among each tile's neighbours reaches still pixels beside it.
    spread = tile_max.copy()
    spread_norm = np.linalg.norm(spread, axis=2)
    big = np.pad(tile_max, ((1, 1), (1, 1), (0, 0)))
    big_norm = np.linalg.norm(big, axis=2)
    for dy in range(3):
        for dx in range(3):
            cand_norm = big_norm[dy:dy + th, dx:dx + tw]
            take = cand_norm > spread_norm
            spread[take] = big[dy:dy + th, dx:dx + tw][take]
            spread_norm[take] = cand_norm[take]
    near = np.repeat(np.repeat(spread, tile, axis=0), tile, axis=1)[:h, :w]
    flow = np.where((magnitude < 0.5)[:, :, None], near, motion).astype(np.float32)
    samples = int(min(9, max(3, np.ceil(peak / 3.0) + 1)))
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    acc = np.zeros(image.shape, np.float32)
    for k in range(samples):
        f = k / (samples - 1) - 0.5
        acc += cv2.remap(image, gx + f * flow[:, :, 0], gy + f * flow[:, :, 1],
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return acc / samples


def person_body(scene: Scene, assets: Path) -> Body:
    body = load_body(scene.person.shape, str(assets))
    if scene.person.stature is not None:
        body = scaled(body, scene.person.stature)
    return body


class Poser:
    """A scene's person posed at any time, and the true keypoints, without drawing.

    Cheap (about 10 ms a frame, no GL): for labels and truth at many instants, e.g. to
    check a scene against the gesture definitions. Visibility needs the depth buffer,
    so only Film gives it.
    """

    def __init__(self, scene: Scene, assets: Path | None = None) -> None:
        self.scene = scene
        self.assets = require_assets(assets)
        self.body = person_body(scene, self.assets)
        self.skeleton = Skeleton(self.body)
        self.timeline = Timeline(scene, str(self.assets))
        self.extrinsics = scene.camera.pose()
        # The soles: the lowest vertices at rest, kept on the floor in every pose.
        self._soles = np.flatnonzero(self.body.vertices[:, 1] < 0.02)

    def keypoints_at(self, t: float) -> tuple[np.ndarray, np.ndarray, Moment]:
        """Return (17x3 camera coordinates, 17x2 pixels, moment) at time ``t``."""
        moment = self.timeline.at(t)
        world = keypoints_world(self.body, self.posed(moment), str(self.assets))
        cam = to_camera(world, *self.extrinsics)
        return cam, project(cam, self.scene.camera.intrinsics), moment

    def hands_at(self, t: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Return each hand's 21 points at ``t``: ({side: camera (21, 3)}, {side: pixels})."""
        world = hands_world(self.body, self.posed(self.timeline.at(t)))
        cam = {side: to_camera(p, *self.extrinsics) for side, p in world.items()}
        return cam, {side: project(p, self.scene.camera.intrinsics) for side, p in cam.items()}

    def posed(self, moment: Moment) -> PosedBody:
        """Skin the body for ``moment``, standing on the floor (plus any lift)."""
        spec = moment.pose.with_defaults()
        pose = spec.to_pose(moment.position, moment.facing, moment.lift)
        pose.lift = 0.0
        posed = self.skeleton.pose(pose)
        drop = posed.vertices[self._soles, 1].min() - (spec.lift + moment.lift)
        shift = np.array([0.0, drop, 0.0])
        return PosedBody(posed.vertices - shift, posed.heads - shift, posed.tails - shift,
                         posed.rotations)


class Film(Poser):
    """Renders one scene frame by frame; a context manager owning the GL context."""

    def __init__(self, scene: Scene, assets: Path | None = None) -> None:
        super().__init__(scene, assets)
        cam = scene.camera
        self.renderer = Renderer(cam.width, cam.height_px)
        self.renderer.set_body(self.body, scene.person.outfit, self.assets)
        self.renderer.set_room(scene.room, cam)

    def close(self) -> None:
        self.renderer.release()

    def __enter__(self) -> Film:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def image_motion(self, t: float, shutter: float) -> np.ndarray:
        """Per mesh vertex, its image motion (pixels) from ``t - shutter/2`` to ``+shutter/2``."""
        end = self.scene.duration
        ends = [self.posed(self.timeline.at(min(max(t + d, 0.0), end))).vertices
                for d in (-shutter / 2, shutter / 2)]
        px = [project(to_camera(v, *self.extrinsics), self.scene.camera.intrinsics)
              for v in ends]
        return np.nan_to_num(px[1] - px[0])

    def render_at(self, t: float, shutter: float = 0.0
                  ) -> tuple[np.ndarray, np.ndarray, PosedBody, Moment]:
        """Render the instant ``t`` (no effects but motion blur over ``shutter`` seconds).

        Return the image (float32 when blurred), depth, posed body and moment.
        """
        moment = self.timeline.at(t)
        posed = self.posed(moment)
        motion = self.image_motion(t, shutter) if shutter > 0 else None
        frame = self.renderer.render(posed, self.scene.camera, self.extrinsics, motion)
        image = frame.image if motion is None else motion_blur(frame.image, frame.motion)
        return image, frame.depth, posed, moment

    def frame(self, index: int) -> FilmFrame:
        eff = self.scene.effects
        t = index / eff.fps
        image, depth, posed, moment = self.render_at(t, eff.motion_blur / eff.fps)
        rng = np.random.default_rng([eff.seed, index])
        final = apply_effects(image, eff, rng)
        world = keypoints_world(self.body, posed, str(self.assets))
        rot, centre = self.extrinsics
        truth = ground_truth(world, rot, centre, self.scene.camera.intrinsics, depth,
                             hands_world(self.body, posed))
        shapes = {side: moment.pose.hands.get(side, HandShape.RELAXED.value) for side in SIDES}
        return FilmFrame(index, t, final, depth, truth, moment.gesture, moment.phase, shapes)

    def frames(self) -> Iterator[FilmFrame]:
        for i in range(self.scene.frame_count):
            yield self.frame(i)
