#!/usr/bin/env python3
"""`make test-perturbed`: nbval over every chapter in a deliberately different numeric environment.

Runs the chapters with OpenBLAS 'Sandybridge' kernels and numpy's dispatch capped at X86_V2
(numeric_env.PERTURBED_KERNELS): every sum and product takes another code path, so a printout that
shows round-off, or a digit that round-off can move, differs from the stored output. The cells
expected to differ are listed, each with its reason, in tests/perturbed_cells.txt. This prints only
what disagrees with that list (nothing when nothing new breaks) and exits 1 if anything does. The
full pytest log goes to _build/perturbed.log.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWN = ROOT / "tests" / "perturbed_cells.txt"
LOG = ROOT / "_build" / "perturbed.log"


def known_cells():
    """{nodeid: reason} from lines like `chapters/x.ipynb::Cell 7   reason`; # starts a comment."""
    cells = {}
    for line in KNOWN.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            nodeid, _, reason = line.partition("  ")
            cells[nodeid.strip()] = reason.strip()
    return cells


def main():
    LOG.parent.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider",
           "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg",
           "-q", "-rf", "--color=no", "chapters"]
    env = {**os.environ, "NUMERIC_ENV": "perturbed"}  # read by conftest.py
    with open(LOG, "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    text = LOG.read_text(encoding="utf-8")
    if proc.returncode not in (0, 1):
        sys.exit(f"pytest exited with {proc.returncode}; see {LOG.relative_to(ROOT)}")
    differ = set(re.findall(r"^FAILED (\S+::Cell \d+)", text, re.M))
    known = known_cells()
    new = sorted(differ - set(known))
    fixed = sorted(set(known) - differ)
    for nodeid in new:
        print(f"differs (not in tests/perturbed_cells.txt): {nodeid}")
    for nodeid in fixed:
        print(f"listed in tests/perturbed_cells.txt but no longer differs: {nodeid}")
    sys.exit(1 if new or fixed else 0)


if __name__ == "__main__":
    main()
