"""Headless Debian Chromium for screenshots, set up the way this machine's network needs."""
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import require_chromium  # skips without Chromium, fails in CI; the run's end says so


def _run(url: str, action: list[str], *, width: int, height: int, wait_ms: int) -> subprocess.CompletedProcess:
    browser = require_chromium()
    with tempfile.TemporaryDirectory() as profile:
        args = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", "--hide-scrollbars", *action,
        ]
        if wait_ms:
            args.append(f"--virtual-time-budget={wait_ms}")
        return subprocess.run(args + [url], check=True, capture_output=True, timeout=120)


def screenshot(url: str, out: Path, *, width: int = 1400, height: int = 1000, wait_ms: int = 0) -> Path:
    _run(url, [f"--screenshot={out}"], width=width, height=height, wait_ms=wait_ms)
    return out


def rendered_text(url: str, *, wait_ms: int = 15000) -> str:
    """The page's DOM after its scripts ran (what a person sees, as text)."""
    return _run(url, ["--dump-dom"], width=1400, height=1000, wait_ms=wait_ms).stdout.decode("utf-8", "replace")
