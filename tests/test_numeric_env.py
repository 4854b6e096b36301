"""The pinned numeric environment (.ci/numeric_env.py) reaches the kernels nbval runs the chapters in.

Each test starts a kernel exactly as `pytest --nbval --nbval-current-env` does (nbval's own
start_new_kernel with its parent-environment kernel spec) and asks it which OpenBLAS kernel family
runs (threadpoolctl) and which SIMD groups numpy's dispatch may use.
"""
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / ".ci"))
import numeric_env  # noqa: E402

nbval_kernel = pytest.importorskip("nbval.kernel")

PROBE = """
import json, os, numpy, threadpoolctl
from numpy._core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as targets
blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({
    "architecture": blas[0].get("architecture") if blas else None,
    "blas_threads": blas[0]["num_threads"] if blas else None,
    "features": {k: features[k] for k in ("X86_V2", "X86_V3")},
    "targets": {k: features[k] for k in targets},
    "env": {k: os.environ.get(k) for k in ("PYTHONHASHSEED", "NNLIB_PROGRESS", "NPY_DISABLE_CPU_FEATURES")},
}))
"""


def probe_kernel(env=None):
    """Run PROBE in a fresh nbval kernel (inheriting this process's environment, or `env`)."""
    extra = {} if env is None else {"env": env}
    km, kc = nbval_kernel.start_new_kernel(kernel_name=nbval_kernel.CURRENT_ENV_KERNEL_NAME, **extra)
    try:
        out = []
        reply = kc.execute_interactive(PROBE, timeout=60, output_hook=lambda msg: out.append(msg))
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream")
        return json.loads(text)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_pinned_environment_takes_effect_in_an_nbval_kernel():
    reason = numeric_env.why_unpinned()
    if reason:
        pytest.skip(f"the pin cannot apply here: {reason}")
    got = probe_kernel()
    assert got["architecture"] == "Haswell", got
    assert got["blas_threads"] == 1, got
    assert got["features"]["X86_V3"] is True, got  # AVX2 + FMA paths are used ...
    # ... AVX-512 never: every dispatch target above X86_V3 is off. (`features["AVX512F"]` stays True on
    # an AVX-512 CPU: it reports the hardware, and numpy 2.4 dispatches by groups, not by that flag.)
    assert {k: v for k, v in got["targets"].items() if k != "X86_V3"} == dict.fromkeys(
        numeric_env.AVX512_GROUPS.split(), False), got
    assert got["env"] == {"PYTHONHASHSEED": "0", "NNLIB_PROGRESS": "plain",
                          "NPY_DISABLE_CPU_FEATURES": numeric_env.AVX512_GROUPS}, got


@pytest.mark.skipif(numeric_env.why_unpinned() is not None, reason="needs an x86-64 CPU with AVX2 and FMA")
def test_the_variables_really_switch_code_paths():
    """On a CPU that has AVX2 (so X86_V3 is found), the perturbed settings visibly turn it off and
    select other OpenBLAS kernels: the pin's variables are honoured, not merely set."""
    env = {**os.environ, **numeric_env.environment(perturbed=True)}
    got = probe_kernel(env)
    assert got["architecture"] == "Sandybridge", got
    assert got["features"]["X86_V2"] is True and got["features"]["X86_V3"] is False, got


def test_unpinned_machines_are_named(monkeypatch):
    monkeypatch.setattr(numeric_env.platform, "machine", lambda: "arm64")
    assert "arm64, not x86-64" in numeric_env.why_unpinned()
    assert "OPENBLAS_CORETYPE" not in numeric_env.environment()
    monkeypatch.setattr(numeric_env.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(numeric_env, "cpu_flags", lambda: {"sse4_2", "avx"})
    assert numeric_env.why_unpinned() == "this CPU lacks AVX2 and FMA"
    assert numeric_env.environment() == {**numeric_env.BLAS_THREADS, **numeric_env.DETERMINISTIC,
                                         "NPY_DISABLE_CPU_FEATURES": numeric_env.AVX512_GROUPS}
