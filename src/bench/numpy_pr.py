"""The participation ratio of `repro bench` in numpy, timed the way ours is.

Usage: numpy_pr.py SAMPLES UNITS REPEATS. Draws a seeded float32 Gaussian
[SAMPLES, UNITS] matrix and times, REPEATS times, the computation of
src/analysis/dimensionality.ts: centre each column, scale it to unit norm,
form the Gram matrix XXᵀ, PR = (tr G)² / ‖G‖_F², all in float32. Prints one
JSON line with the fastest time. The thread count is whatever the caller set
through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (`repro bench` sets 1).
"""
import json
import os
import sys
import time

import numpy as np


def participation_ratio(x):
    x = x - x.mean(axis=0)
    x /= np.linalg.norm(x, axis=0)
    g = x @ x.T
    return float(np.trace(g) ** 2 / (g * g).sum())


def main():
    samples, units, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    x = np.random.default_rng(0).standard_normal((samples, units), dtype=np.float32)
    participation_ratio(x[:64])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        participation_ratio(x)
        times.append(time.perf_counter() - start)
    result = {"numpyVersion": np.__version__, "numpyPrSecondsPer2000x25088": min(times)}
    if "OPENBLAS_NUM_THREADS" in os.environ:
        result["numpyThreads"] = int(os.environ["OPENBLAS_NUM_THREADS"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
