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


# Torch comparison tests skip where torch is absent (a reader's `make test`); CI installs torch==2.13.0
# and sets NNLIB_REQUIRE_TORCH=1, which turns any such skip into a failure of the run.
TORCH_SKIPS = []


def pytest_runtest_logreport(report):
    if report.skipped and "torch" in str(report.longrepr):
        TORCH_SKIPS.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if TORCH_SKIPS and os.environ.get("NNLIB_REQUIRE_TORCH") == "1":
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if TORCH_SKIPS:
        required = os.environ.get("NNLIB_REQUIRE_TORCH") == "1"
        terminalreporter.write_line(
            f"{len(TORCH_SKIPS)} torch comparison tests skipped: torch is not installed "
            + ("(NNLIB_REQUIRE_TORCH=1: this run FAILS)" if required
               else "(`.venv/bin/pip install torch==2.13.0` runs them; CI always does)"),
            red=required, yellow=not required)
