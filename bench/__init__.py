"""Benchmarks: nnlib's time divided by PyTorch CPU's (torch==2.13.0) in the same process.
Run with ``make bench`` or ``python -m bench``; not part of the tests."""
