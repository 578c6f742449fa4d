"""Dagster's local compute logs, quiet on Ctrl-C (imported only when an instance is opened:
`xxgk run` with nothing to do needs no Dagster)."""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager


class QuietComputeLogs(LocalComputeLogManager):
    """Dagster's local compute logs (the default), as `xxgk run` captures its runs' stdout and
    stderr: into the same files, which the UI shows alike. Dagster mirrors them back to the
    terminal through two helper processes, `tail` and its watch_orphans script; Ctrl-C, which the
    terminal sends to the whole process group, made the script print a KeyboardInterrupt
    traceback each. They start here with SIGINT blocked, a mask they keep (it survives fork
    and exec): they never receive it, and Dagster ends them (SIGTERM) when the capture ends,
    as before. The signal, held meanwhile, reaches `xxgk run` when they have started."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # the parent's names its own class
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def capture_logs(self, log_key) -> Iterator:
        with ExitStack() as stack:
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                captured = stack.enter_context(super().capture_logs(log_key))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            yield captured
