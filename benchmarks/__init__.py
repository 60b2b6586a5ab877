"""The dualad benchmark suite (issue 8): ``python -m benchmarks``.

Every workload is timed as the median of repeated runs after a warm-up, in
float64 with one BLAS thread, and reported as a ratio to the NumPy
forward-only time of the same computation (the floor). PyTorch, JAX, HIPS
autograd and MyGrad run the same workloads when they are importable.

This package imports nothing heavy at import time, so ``__main__`` can pin the
BLAS thread count before NumPy loads.
"""
