"""What every part of the throughput benchmark shares: paths, targets, printing."""
from __future__ import annotations

import hashlib
import statistics
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
WRAPPER = PROJECT_ROOT / "benchmarks" / "_rusage_wrapper.py"
SYNTHETIC = PROJECT_ROOT / "tests" / "fixtures" / "synthetic.py"

TARGET_REPORTS_PER_HOUR_PER_CORE = 20_000  # text-layer reports
TARGET_S_PER_REPORT = 0.18
TARGET_BASELINE_RATIO = 2.5
TARGET_SPEEDUP = 1.7
TARGET_MEMORY_BYTES = 1 << 30  # 1 GB ...
TARGET_MEMORY_AT = 10_000  # ... for this many reports
DEFAULT_REPORTS = 500  # ~13-15 min here (module docstring); 1000 would take ~22-25 min


def code_fingerprint() -> str:
    """A short hash of the pipeline's source, so figures can be tied to the code they measured."""
    h = hashlib.sha256()
    for folder in ("xxgk", "assets", "pipelines", "expectations", "warehouse"):
        for f in sorted((PROJECT_ROOT / folder).rglob("*")):
            if f.suffix in (".py", ".sql", ".csv") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(PROJECT_ROOT)).encode())
                h.update(f.read_bytes())
    h.update((PROJECT_ROOT / "dagster.yaml").read_bytes())
    return h.hexdigest()[:12]


def say(text: str = "") -> None:
    print(text, flush=True)


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def median(xs):
    return statistics.median(xs) if xs else float("nan")



def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")



def _has_psutil() -> bool:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return False
    return True

