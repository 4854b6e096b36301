"""Progress bars for long cells, and a timer, that keep notebooks reproducible.

Readers get a live ``tqdm.auto`` bar.  When the environment variable NNLIB_PROGRESS is
"plain" (set by the test suite's conftest.py and by ``make execute``), the bar is replaced
by one final line without rates or times, so stored outputs are identical run after run.
"""
import os
import time
from contextlib import contextmanager


def _plain():
    if os.environ.get("NNLIB_PROGRESS", "").lower() == "plain":
        return True
    try:
        import tqdm.auto  # noqa: F401  (tqdm is a book dependency, not an nnlib one)
    except ImportError:
        return True
    return False


class PlainBar:
    """Iterate like tqdm; print a single deterministic summary line at the end (saying so when
    the loop stopped before the total, so an early stop does not read like a crash)."""

    def __init__(self, iterable, desc=None, total=None):
        self.iterable, self.desc = iterable, desc
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.postfix = ""
        self.n = 0

    def set_postfix(self, **metrics):
        self.postfix = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in metrics.items())

    def __iter__(self):
        try:
            for item in self.iterable:
                self.n += 1  # counted when handed out, so a break mid-way reports it
                yield item
        finally:  # also when the loop breaks early (e.g. early stopping)
            self._print()

    def _print(self):
        total = self.total if self.total is not None else self.n
        head = f"{self.desc}: " if self.desc else ""
        tail = f" [{self.postfix}]" if self.postfix else ""
        if self.n < total:
            print(f"{head}stopped early at {self.n}/{total}{tail}")
        else:
            bar = "█" * round(20 * self.n / total) if total else ""
            print(f"{head}{100 * self.n // max(total, 1):3d}%|{bar:<20}| {self.n}/{total}{tail}")

    def __len__(self):
        return self.total


def progress(iterable, desc=None, total=None):
    """Wrap an iterable in a progress bar (``tqdm.auto`` for readers, ``PlainBar`` in tests).
    Both support ``set_postfix(loss=...)``."""
    if _plain():
        return PlainBar(iterable, desc, total)
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, total=total)


@contextmanager
def timer(label=""):
    """Print ``[time: 1.23 s] label`` after the block; the test suite's sanitize file
    masks the number, so timings never break nbval."""
    start = time.perf_counter()
    yield
    print(f"[time: {time.perf_counter() - start:.2f} s] {label}".rstrip())
