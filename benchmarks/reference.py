"""The same-run yardstick of the benchmarks: absolute times on this shared machine vary 2x.

A 512x512 float64 matrix product, timed in the same run as what a benchmark measures, so a
figure can be given as a ratio that holds from one day (and one load) to the next.
"""

import statistics
import time

import numpy as np


def reference_ms(repeat: int = 20) -> float:
    """Return the median time of a 512x512 float64 matrix product, in milliseconds."""
    a = np.random.default_rng(0).standard_normal((512, 512))
    a @ a
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        a @ a
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
