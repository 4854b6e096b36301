"""Timing helpers shared by the benchmark modules."""
import timeit


def best_time(fn, repeat=7, min_seconds=0.2):
    """Best-of-``repeat`` seconds per call, each repeat running ``fn`` long enough to time."""
    fn()  # warm up caches and lazy initialisation
    number, elapsed = 1, 0.0
    while True:  # grow the loop until one repeat takes min_seconds / repeat
        elapsed = timeit.timeit(fn, number=number)
        if elapsed * repeat >= min_seconds or number >= 1 << 20:
            break
        number *= 2
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def report(rows, title):
    """Print a table of (case, nnlib seconds, torch seconds) rows with their ratio."""
    print(f"\n{title}")
    print(f"{'case':<38}{'nnlib':>12}{'torch':>12}{'ratio':>8}")
    for case, ours, theirs in rows:
        print(f"{case:<38}{ours * 1e3:>10.3f}ms{theirs * 1e3:>10.3f}ms{ours / theirs:>8.2f}")
