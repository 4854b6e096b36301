#!/usr/bin/env python3
"""Re-execute chapter notebooks in place and store their outputs reproducibly (`make execute`).

    python .ci/execute.py                      # every chapters/*.ipynb
    python .ci/execute.py chapters/x.ipynb ... # only these

Unlike `jupyter execute --inplace`, a re-run leaves a notebook byte-identical: no execution
timestamps (record_timing=False), a fixed kernelspec, stable cell ids, and the pinned numeric
environment of the test suite (.ci/numeric_env.py: OpenBLAS Haswell kernels, numpy dispatch capped at
X86_V3, one BLAS thread, PYTHONHASHSEED=0, NNLIB_PROGRESS=plain). Where the pin cannot apply it refuses
to store outputs (--unpinned overrides, for a local experiment only). Widget state is stored so the
book renders widgets offline; the kernel gives widget models random ids, which are renamed here in a
canonical order so that widgets do not churn either. The kernel runs in the notebook's folder
(chapters/), where chapters/matplotlibrc fixes figure size, dpi and background.
"""
import argparse
import copy
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numeric_env  # .ci/numeric_env.py, beside this file

ROOT = Path(__file__).resolve().parent.parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# Per-cell metadata that only records how/when a cell last ran.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "papermill")


def stable_ids(nb):
    """Give cells that lack an id (old nbformat) one derived from their source, not a random one."""
    seen = set()
    for cell in nb.cells:
        cid = cell.get("id")
        if not cid:
            cid = base = hashlib.sha1("".join(cell.source).encode()).hexdigest()[:8]
            n = 1
            while cid in seen:
                cid, n = f"{base}-{n}", n + 1
            cell["id"] = cid
        seen.add(cid)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")


def canonical_widget_ids(nb):
    """Rename the kernel's random widget model ids to ids fixed by the widgets' structure.

    Order: the models displayed by the cells' outputs, top to bottom, then the models each of them
    refers to (IPY_MODEL_… references, nested outputs), breadth first; models reached from none of
    these are ordered by their state with ids masked out. Model i gets md5("widget-i").
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return nb
    order, seen = [], set()

    def visit(mid):
        if mid in state and mid not in seen:
            seen.add(mid)
            order.append(mid)

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            visit(out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id"))
    i = 0
    while True:
        while i < len(order):
            for ref in HEX_ID.findall(json.dumps(state[order[i]], sort_keys=True)):
                visit(ref)
            i += 1
        rest = [m for m in state if m not in seen]
        if not rest:
            break
        visit(min(rest, key=lambda m: HEX_ID.sub("ID", json.dumps(state[m], sort_keys=True))))
    import nbformat

    text = nbformat.writes(nb)
    for n, old in enumerate(order):
        text = text.replace(old, hashlib.md5(f"widget-{n}".encode()).hexdigest())
    return nbformat.reads(text, as_version=4)


def sanitizers():
    """The (regex, replacement) pairs of tests/sanitize.cfg, the one list of volatile output text."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "sanitize.cfg", encoding="utf-8")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def merge_streams(nb):
    """Join consecutive stdout (or stderr) outputs of a cell into one: how a kernel chunks a long
    printout depends on timing (a loaded machine splits it more), and the stored file must not."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def keep_equivalent_outputs(nb, before, rules):
    """Where a cell's new outputs equal its stored ones up to volatile text (a timing, an address),
    keep the stored ones: re-running an unchanged notebook then leaves no diff, and nbval, which
    applies the same rules, accepts both."""

    def sanitized(outputs):
        text = json.dumps(outputs, sort_keys=True)
        for regex, replace in rules:
            text = regex.sub(replace, text)
        return text

    for cell in nb.cells:
        old = before.get(cell.get("id"))
        if cell.cell_type == "code" and old and old[0] == cell.source and old[1] != cell.outputs:
            if sanitized(old[1]) == sanitized(cell.outputs):
                cell.outputs = old[1]


def execute(path, timeout, fresh=False):
    import nbformat
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)
    stable_ids(nb)
    before = {c.id: (c.source, copy.deepcopy(c.outputs)) for c in nb.cells if c.cell_type == "code"}
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.pop("widgets", None)  # stale state from a previous run or from JupyterLab
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    merge_streams(nb)
    if not fresh:
        keep_equivalent_outputs(nb, before, sanitizers())
    nb = canonical_widget_ids(nb)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    old = path.read_text(encoding="utf-8")
    if text != old:
        path.write_text(text, encoding="utf-8")
    status = "unchanged" if text == old else "updated"
    return f"{path.relative_to(ROOT)}: {seconds:.1f} s, {status}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every chapters/*.ipynb")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks executed at once")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--fresh", action="store_true",
                        help="store every new output, even where only a timing differs (on a quiet machine)")
    parser.add_argument("--unpinned", action="store_true",
                        help="execute even where the numeric pin cannot apply (do not commit the result)")
    args = parser.parse_args()
    reason = numeric_env.why_unpinned()
    if reason and not args.unpinned:
        sys.exit(f"not executing: {reason}, so the numeric environment cannot be pinned and the stored "
                 f"outputs would not reproduce elsewhere (they are recorded under {numeric_env.RECORDED_IN}).")
    # Forced, not defaulted: stored outputs must not depend on the shell they were made in.
    # Kernels inherit this process's environment, so it is set before any of them starts.
    os.environ.update(numeric_env.environment())
    notebooks = args.notebooks or sorted(str(p) for p in (ROOT / "chapters").glob("*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks to execute")
    missing = [nb for nb in notebooks if not Path(nb).is_file()]
    if missing:
        sys.exit(f"no such notebook: {', '.join(missing)}")
    failed = 0
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {nb: pool.submit(execute, nb, args.timeout, args.fresh) for nb in notebooks}
        for nb, future in futures.items():
            try:
                print(future.result(), flush=True)
            except Exception as exc:  # report every failing notebook, then fail
                failed += 1
                print(f"{nb}: FAILED\n{exc}", file=sys.stderr, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
