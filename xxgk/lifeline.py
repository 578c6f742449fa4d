"""Worker processes die with the process that started them.

Workers are forked by the fork server, not by the caller, and each holds the write end of
the fork server's "alive" pipe and of its own task queue: when the caller is killed
(SIGKILL, OOM killer) nothing tells them, and the fork server and its workers wait for
tasks for ever with PPID 1. So each worker watches the caller's process itself (a pidfd,
which names that process and never a later one with the same pid) and exits when it
ends; and asks the kernel to kill it when the fork server ends. With its workers gone, the
fork server sees its alive pipe close and exits by itself.
"""
from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_SECONDS = 1.0  # without pidfds (before Linux 5.3, other systems): how often the caller is looked for
EXIT_CODE = 70  # what a worker whose caller is gone exits with (EX_SOFTWARE)


def die_with(caller_pid: int) -> None:
    """Run in a new worker: end this process when `caller_pid` ends, or when our parent does.

    Ctrl-C reaches every process of the terminal's process group: workers ignore it, and the
    caller, which decides whether the command stops, stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    try:
        watched = os.pidfd_open(caller_pid)
    except ProcessLookupError:  # gone before we looked
        os._exit(EXIT_CODE)
    except (AttributeError, OSError):
        watched = None
    threading.Thread(target=_watch, args=(caller_pid, watched), name="xxgk-lifeline", daemon=True).start()


def _watch(caller_pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the process has ended
    else:
        while process_exists(caller_pid):
            time.sleep(POLL_SECONDS)
    # os._exit, not sys.exit: the main thread may be deep in a C call (OCR, pdfium)
    os._exit(EXIT_CODE)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
