"""Named poses: the default gestures as a person makes them, and everyday postures.

A pose is limb directions, (raise, forward) degrees per segment in the torso frame (see
skinning.segment_direction; the same convention as test/synthetic_people.py), optional
bone rotations by name (x, y, z Euler degrees in the bone's rest frame) and a lift of
the whole body in metres. Scene files may define more and override any of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

from pose_ros.rendering.skinning import SEGMENTS, Pose, rotations_from_degrees

Direction = tuple[float, float]


@dataclass(frozen=True)
class PoseSpec:
    """A pose as written in a scene file; ``blend`` mixes two of them."""

    directions: dict[str, Direction] = field(default_factory=dict)
    bones: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    lift: float = 0.0
    # The named hand shape of each hand ('left'/'right', the person's own), for labels:
    # the shape itself is in ``bones`` (hands.hand_bones), so it blends like any bone.
    hands: dict[str, str] = field(default_factory=dict)

    def with_defaults(self) -> PoseSpec:
        """Fill unset segments with the relaxed rest pose."""
        d = dict(REST_DIRECTIONS)
        d.update(self.directions)
        return PoseSpec(d, dict(self.bones), self.lift, dict(self.hands))

    def to_pose(self, position: tuple[float, float] = (0.0, 0.0), facing: float = 0.0,
                extra_lift: float = 0.0) -> Pose:
        return Pose(rotations=rotations_from_degrees(self.bones),
                    directions=dict(self.directions), position=position, facing=facing,
                    lift=self.lift + extra_lift)


def blend(a: PoseSpec, b: PoseSpec, w: float) -> PoseSpec:
    """Return the pose ``w`` of the way from ``a`` to ``b`` (angles interpolated linearly)."""
    a, b = a.with_defaults(), b.with_defaults()
    dirs = {k: tuple(x + (y - x) * w for x, y in zip(a.directions[k], b.directions[k]))
            for k in SEGMENTS}
    zero = (0.0, 0.0, 0.0)
    bones = {k: tuple(x + (y - x) * w for x, y in zip(a.bones.get(k, zero),
                                                        b.bones.get(k, zero)))
             for k in set(a.bones) | set(b.bones)}
    # A hand's shape name is the one it is nearer to.
    hands = {side: (a if w < 0.5 else b).hands.get(side, 'relaxed')
             for side in set(a.hands) | set(b.hands)}
    return PoseSpec(dirs, bones, a.lift + (b.lift - a.lift) * w, hands)


def ease(w: float) -> float:
    """Smooth start and stop (a cosine ramp), as people move between postures."""
    w = min(max(w, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * w)


def _arms(left: tuple[Direction, Direction] | None = None,
          right: tuple[Direction, Direction] | None = None, **extra) -> PoseSpec:
    d: dict[str, Direction] = {}
    if left:
        d['l_upperarm'], d['l_forearm'] = left
    if right:
        d['r_upperarm'], d['r_forearm'] = right
    lift = extra.pop('lift', 0.0)
    bones = extra.pop('bones', {})
    d.update(extra)
    return PoseSpec(d, bones, lift)


REST_DIRECTIONS: dict[str, Direction] = {
    'l_upperarm': (8.0, 5.0), 'l_forearm': (5.0, 15.0),
    'r_upperarm': (8.0, 5.0), 'r_forearm': (5.0, 15.0),
    'l_thigh': (3.0, 0.0), 'l_shin': (2.0, 0.0),
    'r_thigh': (3.0, 0.0), 'r_shin': (2.0, 0.0),
}

# The default gestures (config/gestures.yaml), as a person would make them after reading
# the README table. "Left"/"right" are the person's own.
GESTURES: dict[str, PoseSpec] = {
    'engage': _arms(((172, 5), (218, 5)), ((172, 5), (218, 5))),
    'stop': _arms(((-10, 45), (-80, 20)), ((-10, 45), (-75, 25))),
    'forward': _arms(((90, 0), (178, 0)), ((90, 0), (178, 0))),
    'back': _arms(((48, 5), (48, 5)), ((48, 5), (48, 5))),
    'turn_left': _arms(right=((90, 0), (92, 0))),
    'turn_right': _arms(left=((90, 0), (92, 0))),
    # A tour guide's "follow me": the right arm straight up, the left one hanging.
    'follow_me': _arms(right=((172, 5), (176, 5))),
}

EVERYDAY: dict[str, PoseSpec] = {
    'rest': PoseSpec(),
    # One-arm wave: upper arm out and up, forearm swinging about upright.
    'wave_a': _arms(right=((115, 15), (140, 10))),
    'wave_b': _arms(right=((115, 15), (195, 10))),
    # Both arms over the head, swinging ("over here!").
    'wave_both_a': _arms(((145, 10), (130, 10)), ((195, 10), (215, 10))),
    'wave_both_b': _arms(((195, 10), (215, 10)), ((145, 10), (130, 10))),
    # Jumping jacks: arms down and legs together, arms overhead and legs apart.
    'jack_closed': _arms(((10, 5), (8, 10)), ((10, 5), (8, 10))),
    'jack_open': _arms(((165, 5), (190, 5)), ((165, 5), (190, 5)),
                       l_thigh=(16, 0), l_shin=(16, 0), r_thigh=(16, 0), r_shin=(16, 0)),
    # Scratching the top of the head with the right hand: elbow up and forward, the hand
    # reaching back over the crown.
    'scratch_head': _arms(right=((150, 35), (254, -27))),
    # Hands on hips, elbows out.
    'hands_on_hips': _arms(((50, -10), (-40, 10)), ((50, -10), (-40, 10))),
    # Arms crossed low in front of the belly (a waiting posture, below "stop").
    'arms_crossed_low': _arms(((-10, 15), (-50, 40)), ((-10, 15), (-48, 45))),
    # A quick stretch: both arms straight up, hands apart.
    'stretch_up': _arms(((168, 5), (172, 5)), ((168, 5), (172, 5))),
    # Sitting (on a chair the renderer does not draw): thighs forward, shins down,
    # hands on the thighs (the feet stay on the floor, so the body comes down).
    'sit': _arms(((12, 40), (25, 80)), ((12, 40), (25, 80)), l_thigh=(5, 85),
                 l_shin=(3, 5), r_thigh=(5, 85), r_shin=(3, 5)),
    # Standing with weight on one leg, head turned a little.
    'relaxed': _arms(((6, 0), (4, 10)), ((12, 8), (10, 25)),
                     bones={'head': (0.0, 8.0, 0.0)}),
}

LIBRARY: dict[str, PoseSpec] = {**EVERYDAY, **GESTURES}
