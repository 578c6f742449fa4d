"""`xxgk run` after a crash, and while it runs: dead runs, slots, signals, write failures.

- A run whose process was killed (SIGKILL, OOM killer, power cut) stays STARTED in the
  instance and keeps its slot of the pool `duckdb_writer`, so every later run would queue
  behind it for ever. Dagster's run monitoring cannot see it (the default run launcher has
  no worker health check, and `xxgk run` runs in process), so `recover_dead_runs` looks for
  the process itself: the pid of the run's RUN_START event, gone or started after the run
  (a reused pid). Such a run is marked failed and its slots are freed.
- `execute` runs a job in process and, while a step waits for a slot, says so and which
  run holds it (freeing it if that run's process is gone meanwhile).
- SIGINT and SIGTERM stop the whole command: Dagster turns them into a failed step and
  returns, so `execute` raises `Interrupted` afterwards and no further year starts.
- `guarded` turns those, and a warehouse that cannot be written, into one line and an exit code.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from warehouse.writer import WarehouseWriteError
from xxgk.lifeline import process_exists
from xxgk.waiting import WaitNotice, say_on_stderr

HOST_TAG = "xxgk/host"
PID_TAG = "xxgk/pid"  # the process running the run, before its RUN_START event says so
POLL_SECONDS = 1.0


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM reached the command (a KeyboardInterrupt, so that no `except
    Exception` on the way swallows it, and Dagster ends its run as it does on Ctrl-C)."""

    def __init__(self, signum: int | None = None, during: str = ""):
        super().__init__(signum, during)
        self.signum, self.during = signum, during

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


def recover_dead_runs(instance, say: Callable[[str], None] | None = None) -> list[str]:
    """Mark failed the runs of this host whose process is gone, free the slots they and any
    finished run still hold; returns (and says) one line per run recovered."""
    from dagster import DagsterRunStatus, RunsFilter
    from dagster._core.storage.dagster_run import FINISHED_STATUSES

    storage = instance.event_log_storage
    holding = storage.get_concurrency_run_ids() if storage.supports_global_concurrency_limits else set()
    unfinished = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    records = list(instance.get_run_records(RunsFilter(statuses=unfinished)))
    seen = {r.dagster_run.run_id for r in records}
    if holding - seen:
        records += instance.get_run_records(RunsFilter(run_ids=sorted(holding - seen)))
    lines = []
    for record in records:
        run = record.dagster_run
        if run.status in FINISHED_STATUSES:
            if run.run_id in holding:
                storage.free_concurrency_slots_for_run(run.run_id)
                lines.append(f"freed the slot still held by {_describe(run)}, which had ended ({run.status.value.lower()})")
            continue
        started = _run_process(instance, run.run_id) or _tagged_process(record)
        if started is None or run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
            continue  # not started yet (the daemon's start timeout covers it), or another machine's
        pid, since = started
        if _process_alive_since(pid, since):
            continue
        instance.report_run_failed(run, message=f"its process (pid {pid}) is gone, killed before the run ended: "
                                                f"marked failed by the next xxgk run")
        storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(f"{_describe(run)} died with its process (pid {pid}): marked failed"
                     + (", its warehouse slot freed" if run.run_id in holding else ""))
    for line in lines if say else []:
        say(line)
    return lines


def execute(job, instance, **kwargs):
    """`job.execute_in_process(instance=instance, **kwargs)`, saying when a step waits for a
    slot, and raising Interrupted when SIGINT or SIGTERM arrived during it."""
    run_id = str(uuid.uuid4())
    tags = {**kwargs.pop("tags", {}), HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    watch = _SlotWatch(instance, run_id)
    watch.start()
    try:
        result = job.execute_in_process(instance=instance, run_id=run_id, tags=tags, **kwargs)
    except Interrupted as stop:  # before Dagster took the signals over, after it gave them back, or waiting for a slot
        stop.signum = stop.signum or _signals.take() or signal.SIGINT
        run = instance.get_run_by_id(run_id)
        if run is not None:
            stop.during = _describe(run)
            if not run.is_finished:
                instance.report_run_failed(run, message=f"stopped by {signal.Signals(stop.signum).name}")
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        raise
    finally:
        watch.stop()
    signum = _signals.take()
    if signum:
        raise Interrupted(signum, _describe(result.dagster_run))
    cause = _write_failure(result)
    if cause:
        raise WarehouseWriteError(cause)
    return result


def guarded(command: Callable[[], int]) -> int:
    """Run `command` with SIGINT and SIGTERM stopping it whole; a signal or a warehouse that
    cannot be written ends it with one line on stderr and 128+signal or 1."""
    with _signals.caught():
        try:
            code = command()
            signum = _signals.take()
            if signum:  # arrived where its exception was lost (see _Signals._raise)
                raise Interrupted(signum)
            return code
        except Interrupted as stop:
            name = signal.Signals(stop.signum or signal.SIGINT).name
            where = f" during {stop.during}" if stop.during else ""
            print(f"\nxxgk: stopped by {name}{where}; nothing of a load that had not finished was written",
                  file=sys.stderr, flush=True)
            return stop.exit_code
        except WarehouseWriteError as error:
            print(f"\nxxgk: {error}", file=sys.stderr, flush=True)
            return 1


class _Signals:
    """SIGINT/SIGTERM raise Interrupted; those Dagster takes over during a run (it fails the
    step and returns) are still seen, through the signal wakeup fd, which receives every
    caught signal's number whichever Python handler runs."""

    def __init__(self):
        self._read_fd: int | None = None
        self._last: int | None = None
        self._lock = threading.RLock()

    @contextmanager
    def caught(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        old = {s: signal.signal(s, self._raise) for s in (signal.SIGINT, signal.SIGTERM)}
        self._read_fd = read_fd
        try:
            yield
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
            signal.set_wakeup_fd(old_fd)
            self._read_fd = None
            os.close(read_fd)
            os.close(write_fd)

    @staticmethod
    def _raise(signum, _frame):
        # not taken here: raised in a weakref callback or a __del__, the exception is lost,
        # and the signal must still stop the command at the next check
        raise Interrupted(signum)

    def peek(self) -> int | None:
        """The last SIGINT/SIGTERM received and not yet taken, if any."""
        with self._lock:
            if self._read_fd is not None:
                with suppress(BlockingIOError):
                    while data := os.read(self._read_fd, 512):
                        self._last = next((n for n in reversed(data) if n in (signal.SIGINT, signal.SIGTERM)), self._last)
            return self._last

    def take(self) -> int | None:
        """peek(), and forget it."""
        with self._lock:
            got, self._last = self.peek(), None
            return got


_signals = _Signals()


class _SlotWatch:
    """A thread that says when the run waits for a pool slot, and which run holds it."""

    def __init__(self, instance, run_id: str):
        from dagster import DagsterInstance

        self._instance = DagsterInstance.from_ref(instance.get_ref())  # its own storage connections
        self._run_id = run_id
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="xxgk-slot-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        storage = self._instance.event_log_storage
        if not storage.supports_global_concurrency_limits:
            return
        notice = WaitNotice()  # said as every wait of xxgk is (xxgk.waiting)
        interrupted = False
        while not self._done.wait(POLL_SECONDS):
            with suppress(Exception):  # a report that fails must never fail the run
                waiting = self._waiting_pools(storage)
                if not waiting:
                    notice.reset()
                    continue
                if _signals.peek() and not interrupted:
                    # Dagster notes the signal but keeps waiting for the slot (its in-process
                    # executor checks for interrupts only in a step): stop the wait from here
                    _raise_in_main_thread(Interrupted)
                    interrupted = True
                waited = notice.due()
                if waited is None:
                    continue
                if recover_dead_runs(self._instance, say=_note):
                    continue  # the slot is free now: the run takes it at its next poll
                for pool, holders in waiting.items():
                    held = ", ".join(self._holder(run_id) for run_id in holders) or "no run (the slot will be taken)"
                    _note(f"waiting {waited:.0f} s for the pool {pool} (one writer at a time): held by {held}")

    def _waiting_pools(self, storage) -> dict[str, list[str]]:
        waiting = {}
        keys = storage.get_concurrency_keys()
        for pool, info in storage.get_concurrency_infos(sorted(keys)).items():
            if any(p.run_id == self._run_id and p.assigned_timestamp is None for p in info.pending_steps):
                waiting[pool] = sorted({s.run_id for s in info.claimed_slots if s.run_id != self._run_id})
        return waiting

    def _holder(self, run_id: str) -> str:
        run = self._instance.get_run_by_id(run_id)
        started = _run_process(self._instance, run_id)
        return (_describe(run) if run else f"run {run_id[:8]}") + (f", pid {started[0]}" if started else "")


def _raise_in_main_thread(error: type[BaseException]) -> None:
    """`error` raised in the main thread at its next Python instruction (no public API does this)."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.main_thread().ident), ctypes.py_object(error))


def _note(text: str) -> None:
    say_on_stderr(text)


def _describe(run) -> str:
    partition = run.tags.get("dagster/partition")
    return f"run {run.run_id[:8]} ({run.job_name}{' ' + partition if partition else ''})"


def _run_process(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, time) of the run's RUN_START: the process that runs it, and when it began."""
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    if not records or records[0].event_log_entry.dagster_event is None:
        return None
    entry = records[0].event_log_entry
    return (entry.dagster_event.pid, entry.timestamp) if entry.dagster_event.pid else None


def _tagged_process(record) -> tuple[int, float] | None:
    pid = record.dagster_run.tags.get(PID_TAG)
    return (int(pid), record.create_timestamp.timestamp()) if pid and pid.isdigit() else None


def _process_alive_since(pid: int, since: float) -> bool:
    """Whether process `pid` is running and is the one that existed at `since` (not a later
    process given the same pid)."""
    if not os.path.exists("/proc/self/stat"):  # not Linux: only whether the pid exists
        return process_exists(pid)
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return False
    if fields[0] in (b"Z", b"X"):  # ended, not yet reaped
        return False
    started = _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= since + 1.0


def _boot_time() -> float:
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def _write_failure(result) -> str | None:
    """The one-line cause of a step that failed because the warehouse cannot be written."""
    for event in result.all_events:
        if not event.is_step_failure or event.step_failure_data is None:
            continue
        error = event.step_failure_data.error
        while error is not None:
            if error.cls_name == WarehouseWriteError.__name__:
                return error.message.strip().removeprefix(f"{WarehouseWriteError.__module__}.{WarehouseWriteError.__name__}: ")
            error = error.cause or error.context
    return None
