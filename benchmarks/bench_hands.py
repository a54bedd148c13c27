"""What hand keypoints cost per frame for one person with both hands, next to the body model.

On one rendered frame (the hands-up scene of the hand tests, 640x480): the body model's bare
``invoke()`` (BlazePose full landmark model), and ``HandEstimator.estimate`` tracking both
hands (one hand_landmark run per hand), from the arms (two runs per hand: arm region, then
refined) and by palm detection alone (no body). Medians, in milliseconds and as ratios to
``reference_ms`` and to the body invoke measured in the same run.

    python benchmarks/bench_hands.py
"""

from __future__ import annotations

from pathlib import Path
import platform
import statistics
import sys
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'pose_ros'))
sys.path.insert(0, str(HERE.parent / 'pose_ros' / 'test'))
sys.path.insert(0, str(HERE))

from hand_helpers import HANDS_UP_SCENE  # noqa: E402 - the hand tests' scene
from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.hands import HandEstimator  # noqa: E402
from pose_ros.pose.estimator import PoseEstimator  # noqa: E402
from pose_ros.rendering import Film  # noqa: E402
from pose_ros.rendering.scene import parse_scene  # noqa: E402

REPEAT = 40


def median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    with Film(parse_scene(HANDS_UP_SCENE)) as film:
        image = film.frame(3).image
    ref = reference_ms()
    with PoseEstimator.from_model('blazepose_full') as body, HandEstimator() as hands:
        poses = body.estimate(image).poses
        poses[0].track_id = 1
        landmark = body._adapter.landmark  # the bare body landmark model
        tensor = body._adapter._landmark_input
        body_ms = median_ms(lambda: landmark.run(tensor))
        clock = iter(range(10 ** 9))
        tracked = median_ms(lambda: hands.estimate(image, poses, float(next(clock))))
        from_arms = median_ms(lambda: hands.estimate(image, poses))
        palms = median_ms(lambda: hands.estimate(image, []))
    print(f'machine {platform.machine()}, reference {ref:.1f} ms')
    print(f'body landmark invoke      {body_ms:6.1f} ms  {body_ms / ref:5.2f} x ref')
    for label, ms in (('hands tracked (2 runs)', tracked), ('hands from arms (4 runs)', from_arms),
                      ('hands by palm detection', palms)):
        print(f'{label:25s} {ms:6.1f} ms  {ms / ref:5.2f} x ref  {ms / body_ms:5.2f} x body')
    ref_after = reference_ms()
    print(f'reference after: {ref_after:.1f} ms')


if __name__ == '__main__':
    main()
