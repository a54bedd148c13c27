"""The estimator's hands handed to their persons, as the rest of the package holds them.

``HandEstimator`` reports each hand with the index of the person it belongs to (or -1 for a
palm found in nobody's box); ``Pose.hands`` holds ``core.hand.HandPose``, one per side. This
is the one place that turns the first into the second.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from pose_ros.core.hand import Handedness, HandPose
from pose_ros.core.keypoints import Pose
from pose_ros.hands.estimator import Hand


def hand_pose(hand: Hand) -> HandPose:
    """Return the shared form of one found hand: the body's side, the model's agreement."""
    return HandPose(hand.handedness, hand.keypoints, float(hand.score),
                    float(hand.handedness_score))


def attach_hands(poses: Sequence[Pose], hands: Sequence[Hand]) -> list[Pose]:
    """Return ``poses`` with each person's hands (left first) in ``Pose.hands``.

    Hands of no person (``Hand.person`` -1) are left out: a message describes persons. Should
    two hands claim one person's side, the first (the estimator lists arm and tracked hands
    before palm ones) is kept.
    """
    by_person: dict[int, dict[Handedness, HandPose]] = {}
    for hand in hands:
        if 0 <= hand.person < len(poses):
            by_person.setdefault(hand.person, {}).setdefault(hand.handedness, hand_pose(hand))
    return [dataclasses.replace(pose, hands=tuple(v for _, v in sorted(
                by_person[i].items()))) if i in by_person else pose
            for i, pose in enumerate(poses)]
