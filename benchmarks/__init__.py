"""Benchmarks (figures, not tests): ``python -m benchmarks.throughput --help``."""
