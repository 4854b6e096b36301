"""The one numeric environment in which the book's outputs are recorded and checked.

`make test` (through the root conftest.py, whose settings nbval's kernels inherit) and `make execute`
(.ci/execute.py) call `apply()` before any kernel starts; `make test-perturbed` calls
`apply(perturbed=True)`. Nothing else writes these variables. Benchmarks take only `BLAS_THREADS`:
they keep the machine's own fastest kernels.

Why a pin: OpenBLAS and numpy pick SIMD code paths for the CPU they run on, and different paths sum
in different orders, so the last digits of a result (and a chaotic training run as a whole) depend on
the CPU. Pinning the OpenBLAS kernel family and capping numpy's runtime dispatch at x86-64-v3 makes
every x86-64 CPU with AVX2 and FMA (Intel since Haswell, AMD since Excavator) take the same paths. Both must
be in the environment before numpy is imported, so they are set for the kernel processes, not inside
a notebook.

Imports nothing beyond the standard library: conftest.py loads it before anything imports numpy.
"""
import os
import platform

# What the stored outputs were recorded under; named when the pin cannot apply on this machine.
RECORDED_IN = ("x86-64 with AVX2+FMA, OpenBLAS 'Haswell' kernels (numpy's bundled scipy-openblas), "
               "numpy SIMD dispatch capped at X86_V3, one BLAS thread")

# One BLAS thread per process: `pytest -n 2` runs two kernels on two cores (a thread per core in each
# ran ~20x slower), and a fixed thread count is part of a fixed summation order.
BLAS_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

DETERMINISTIC = {
    "PYTHONHASHSEED": "0",      # str hashing, hence set iteration order (a vocabulary's, say)
    "NNLIB_PROGRESS": "plain",  # nnlib.progress prints one fixed line instead of a live bar
}

# numpy 2.4's x86 dispatch levels above the X86_V2 baseline are X86_V3, X86_V4, AVX512_ICL, AVX512_SPR
# (numpy.show_runtime()); disabling the AVX-512 groups caps dispatch at X86_V3.
AVX512_GROUPS = "X86_V4 AVX512_ICL AVX512_SPR"
PINNED_KERNELS = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": AVX512_GROUPS}
# A deliberately different environment, for finding printouts that depend on round-off
# (`make test-perturbed`): older OpenBLAS kernels (AVX, no FMA) and numpy capped at the X86_V2 baseline.
PERTURBED_KERNELS = {"OPENBLAS_CORETYPE": "Sandybridge", "NPY_DISABLE_CPU_FEATURES": "X86_V3 " + AVX512_GROUPS}


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (Linux), or an empty set where there is none."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def why_unpinned():
    """None if this machine can take the pinned kernels, else the reason it cannot."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return f"this is {machine or 'an unknown CPU'}, not x86-64"
    flags = cpu_flags()
    if not flags:
        return "the CPU's features cannot be read (no /proc/cpuinfo)"
    missing = [f for f in ("avx2", "fma") if f not in flags]
    if missing:
        return f"this CPU lacks {' and '.join(m.upper() for m in missing)}"
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype and coretype != PINNED_KERNELS["OPENBLAS_CORETYPE"]:
        return f"OPENBLAS_CORETYPE={coretype} is set by this machine and left alone"
    return None


def environment(perturbed=False):
    """The variables to set: threads, determinism, and the kernel pin where it applies."""
    env = {**BLAS_THREADS, **DETERMINISTIC}
    if perturbed:
        env.update(PERTURBED_KERNELS)
    elif why_unpinned() is None:
        env.update(PINNED_KERNELS)
    elif platform.machine().lower() in ("x86_64", "amd64"):
        # no AVX2: OpenBLAS must pick its own kernels, but numpy's cap is harmless
        env["NPY_DISABLE_CPU_FEATURES"] = AVX512_GROUPS
    return env


def apply(perturbed=False):
    """Set the environment in os.environ; return one line for the user when the pin cannot apply.

    The perturbed environment overrides what is set; otherwise a value already in the environment
    wins (a developer's override, or a machine's own OPENBLAS_CORETYPE).
    """
    for key, value in environment(perturbed).items():
        if perturbed:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    if perturbed:
        return ("numeric environment: PERTURBED (OpenBLAS Sandybridge kernels, numpy capped at X86_V2); "
                "differences from the stored outputs are expected where a printout depends on round-off")
    reason = why_unpinned()
    if reason:
        return (f"numeric environment NOT pinned: {reason}. Stored outputs were recorded under {RECORDED_IN}; "
                "cells that print round-off or chaotic training results may differ here.")
    return None
