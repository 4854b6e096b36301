"""Test-session environment, shared by the nnlib tests and by nbval's notebook kernels.

nbval starts each kernel as a child of this pytest process, so the kernels inherit what is set here.
`setdefault` lets a developer override any value from the shell.
"""
import os

# nnlib.progress prints one deterministic line instead of a live bar (stored outputs must match).
os.environ.setdefault("NNLIB_PROGRESS", "plain")
# Deterministic str hashing in the kernels (set iteration order, e.g. of a vocabulary).
os.environ.setdefault("PYTHONHASHSEED", "0")
# One BLAS thread per process: `pytest -n 2` runs two kernels on two cores; unpinned OpenBLAS starts a
# thread per core in each and ran ~20x slower. Single-threaded BLAS also gives reproducible float sums.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
