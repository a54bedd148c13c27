"""Time sensor_msgs/Image conversion per encoding, the cost every camera frame pays.

Measures image_to_rgb (message bytes -> RGB array) and rgb_to_image_data (RGB ->
bytes for publishing) at VGA and 1080p. Run from the repository root:

    python benchmarks/bench_image.py [--repeat N]
"""

import argparse
import array
from pathlib import Path
import statistics
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'pose_ros'))

from pose_ros.media.image import SUPPORTED_ENCODINGS, image_to_rgb, rgb_to_image_data  # noqa: E402

_TO_YUV = {'yuv422': cv2.COLOR_RGB2YUV_UYVY, 'yuv422_yuy2': cv2.COLOR_RGB2YUV_YUY2,
           'yuyv': cv2.COLOR_RGB2YUV_YUYV}


def _encode(rgb: np.ndarray, encoding: str) -> np.ndarray:
    if encoding in _TO_YUV:
        return cv2.cvtColor(rgb, _TO_YUV[encoding])
    conv = {'rgb8': None, 'bgr8': cv2.COLOR_RGB2BGR, 'mono8': cv2.COLOR_RGB2GRAY,
            'rgba8': cv2.COLOR_RGB2RGBA, 'bgra8': cv2.COLOR_RGB2BGRA}[encoding]
    return rgb.copy() if conv is None else cv2.cvtColor(rgb, conv)


def _median_ms(repeat: int, fn, *args) -> float:
    fn(*args)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f'median of {args.repeat} runs, ms; data as array.array("B") like rclpy gives')
    print(f'{"encoding":<12} {"size":>9} {"to_rgb":>8} {"tobytes":>8} {"total":>8}')
    for w, h in ((640, 480), (1920, 1080)):
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for enc in SUPPORTED_ENCODINGS:
            raw = _encode(rgb, enc)
            step = raw.reshape(h, -1).shape[1]
            data = array.array('B', raw.tobytes())
            to_rgb = _median_ms(args.repeat, image_to_rgb, enc, w, h, step, data)
            out = image_to_rgb(enc, w, h, step, data)
            pub = _median_ms(args.repeat, rgb_to_image_data, out, 'rgb8')
            print(f'{enc:<12} {w:>4}x{h:<4} {to_rgb:8.3f} {pub:8.3f} {to_rgb + pub:8.3f}')


if __name__ == '__main__':
    main()
