"""A Teleop driven at 30 Hz with explicit timestamps, for the tests of control (no sleeping)."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from synthetic_people import ADULT, GESTURE_STANCES, REST, View, render

from pose_ros.control import Command, Teleop, TeleopLimits, TeleopOptions
from pose_ros.core.keypoints import Pose
from pose_ros.gestures.language import load_gestures

CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml'
DEFAULT = load_gestures(CONFIG)
RATE = 30.0
LATENCY = 0.03
LIMITS = TeleopLimits(max_linear_x=0.5, max_linear_y=0.3, max_angular_z=1.0,
                      max_linear_accel=0.5, max_angular_accel=1.5)


def person(gesture: str | None = None, track_id: int = -1, cx: float = 320.0) -> Pose:
    stance = REST if gesture is None else GESTURE_STANCES[gesture]
    return render(ADULT, stance, View(0.8, 0.0, 0.0, cx, 240.0), None, track_id=track_id)


@dataclass
class Step:
    stamp: float
    now: float
    command: Command | None
    engaged: bool
    events: list


@dataclass
class Sim:
    """Feeds a Teleop at 30 Hz and ticks after every frame, as the node's timer would."""

    teleop: Teleop
    t: float = 100.0
    image_width: int = 640
    log: list[Step] = field(default_factory=list)

    def run(self, seconds: float,
            people: Callable[[float], list[Pose] | None] | list[Pose] | None) -> list[Step]:
        steps = []
        for _ in range(int(round(seconds * RATE))):
            stamp, now = self.t, self.t + LATENCY
            poses = people(self.t) if callable(people) else people
            if poses is not None:
                self.teleop.update(poses, stamp, now, self.image_width)
            step = Step(stamp, now, self.teleop.tick(now), self.teleop.engaged,
                        self.teleop.drain_events())
            steps.append(step)
            self.t += 1.0 / RATE
        self.log.extend(steps)
        return steps


def engaged_sim(gestures=DEFAULT, options=None, track_id=-1, cx=320.0) -> Sim:
    sim = Sim(Teleop(gestures, options or TeleopOptions(limits=LIMITS)))
    sim.run(1.3, [person('engage', track_id, cx)])
    assert sim.teleop.engaged
    sim.run(0.5, [person(None, track_id, cx)])
    return sim
