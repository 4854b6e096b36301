"""Test-session environment, shared by the nnlib tests and by nbval's notebook kernels.

nbval starts each kernel as a child of this pytest process, so the kernels inherit the numeric
environment set here, before anything imports numpy. It is defined in one place, .ci/numeric_env.py
(also used by `make execute`). NUMERIC_ENV=perturbed selects the deliberately different environment of
`make test-perturbed`.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / ".ci"))
import numeric_env  # noqa: E402  (standard library only; must run before numpy is imported)

NOTICE = numeric_env.apply(perturbed=os.environ.get("NUMERIC_ENV") == "perturbed")


def pytest_report_header(config):
    # one clear line before the run when outputs may not reproduce here
    return NOTICE
