"""Print nnlib-vs-PyTorch time ratios (lower is better; 1.0 = as fast as PyTorch CPU)."""
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from .common import best_time, report

# every bench/<topic>.py with a cases() generator of (name, ours, theirs) is a benchmark
MODULES = sorted(p.stem for p in Path(__file__).parent.glob("*.py")
                 if p.stem not in ("__init__", "__main__", "common"))


def import_time(module):
    """Best of 5 fresh interpreters: seconds to import ``module``."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(5))


def main():
    assert torch.__version__.startswith("2.13.0"), f"reference must be torch 2.13.0, got {torch.__version__}"
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}")
    for name in sys.argv[1:] or MODULES:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "cases"):  # a stand-alone script such as bench.ner_synthetic
            continue
        rows = []
        for case, ours, theirs in module.cases():
            # ours, theirs, ours, theirs: a burst of load on the machine during one measurement
            # then skews the ratio only if it also hits the other one of the same library
            times = [best_time(fn) for fn in (ours, theirs, ours, theirs)]
            rows.append((case, min(times[0::2]), min(times[1::2])))
        report(rows, module.__doc__.strip().splitlines()[0])
    report([("import", import_time("nnlib"), import_time("torch"))], "Import time, fresh interpreter")


if __name__ == "__main__":
    main()
