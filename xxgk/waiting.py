"""Waiting for something another process holds, and saying so: the one way every wait of xxgk
is polled and reported (the warehouse writer's file lock, the Dagster pool slot of the
writer, the lock of an inbox's stores).

A wait is said once it has lasted NOTICE_SECONDS, then every REPEAT_SECONDS, so that a run
that seems stuck says what it waits for and, where known, who holds it.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

NOTICE_SECONDS = 3.0  # a wait this long is said
REPEAT_SECONDS = 60.0  # and again every minute


class WaitNotice:
    """When a wait is to be said: `due()` gives the seconds waited when it is time to say so
    (after NOTICE_SECONDS, then every REPEAT_SECONDS), else None."""

    def __init__(self, notice: float | None = None, repeat: float | None = None):
        self.notice = NOTICE_SECONDS if notice is None else notice
        self.repeat = REPEAT_SECONDS if repeat is None else repeat
        self.reset()

    def reset(self) -> None:
        """The wait is over (a later one starts from zero)."""
        self._since: float | None = None
        self._told = float("-inf")

    def due(self) -> float | None:
        now = time.monotonic()
        if self._since is None:
            self._since = now
        waited = now - self._since
        if waited < self.notice or now - self._told < self.repeat:
            return None
        self._told = now
        return waited


class WaitTimeout(Exception):
    """`wait_for` gave up after its timeout."""

    def __init__(self, waited: float):
        super().__init__(f"gave up after {waited:.0f} s")
        self.waited = waited


def wait_for(attempt: Callable[[], T | None], *, waiting: Callable[[float], str] | None = None,
             say: Callable[[str], None] | None = None, timeout: float | None = None,
             first_delay: float = 0.1, max_delay: float = 5.0) -> T:
    """Call `attempt` until it returns something other than None, and return that; between
    attempts sleep, from `first_delay` doubling up to `max_delay`. While it waits, `say`
    gets `waiting(seconds waited)` when WaitNotice says it is due. Raises WaitTimeout after
    `timeout` seconds (None: waits until it gets it; a signal's exception stops the sleep)."""
    notice = WaitNotice()
    started = time.monotonic()
    delay = first_delay
    while True:
        got = attempt()
        if got is not None:
            return got
        waited = time.monotonic() - started
        if timeout is not None and waited >= timeout:
            raise WaitTimeout(waited)
        if say is not None and waiting is not None:
            seconds = notice.due()
            if seconds is not None:
                say(waiting(seconds))
        time.sleep(delay if timeout is None else max(0.0, min(delay, timeout - waited)))
        delay = min(delay * 2, max_delay)


def say_on_stderr(text: str) -> None:
    """How `xxgk run` says a wait: on a line of its own (its progress line may be half written),
    indented under it, on stderr."""
    print(f"\n      {text}", file=sys.stderr, flush=True)
