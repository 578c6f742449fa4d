"""Run one function over many tasks in worker processes, results as they finish.

Workers come from a fork server (started once per process, with the readers imported),
not from a fork of the caller: the caller may hold threads (Dagster, DuckDB, Polars), and a
forked copy of a lock held by one of them deadlocks the child. The fork server lives as long
as the process; the workers only as long as one stage (forked from it in milliseconds), so
the memory a stage's workers grew to is given back before the next step (the gates, the
load) runs. At most ``2 x workers`` tasks are in flight, so a long task list never sits in
memory as futures.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache

from xxgk.budget import Budget
from xxgk.lifeline import die_with
from xxgk.settings import variable_of

# Imported once by the fork server, so every worker starts with them loaded.
PRELOAD = ["xxgk.readers.pdf", "xxgk.normalise", "xxgk.extract.tables", "xxgk.staging", "polars", "pdfplumber", "pypdfium2"]


# The libraries' own log records (pdfminer's "Could not get FontBBox from font descriptor …" for
# every font without a box, PIL's, …): in a process without logging set up, Python prints their
# warnings on stderr, which `xxgk run` mirrors to the console. They go to the log instead: the
# logger LIBRARY_LOG at INFO, which the Dagster instance captures into the run's event log
# (dagster.yaml: managed_python_loggers), below the console's level. A worker writes its records
# as lines to a file of its own (no lock shared between processes: a worker killed mid-write
# stops no other), which the caller reads and says in its log while it waits for results.
LIBRARY_LOGGERS = ("pdfminer", "pdfplumber", "PIL", "fontTools", "charset_normalizer", "docx", "RapidOCR")
LIBRARY_LOG = "xxgk.libraries"


class _Relay(logging.Handler):
    """A library's record, said again in the log LIBRARY_LOG at INFO (never on the console)."""

    def emit(self, record: logging.LogRecord) -> None:
        _relay(record.name, record.levelname, _message(record))


def _relay(name: str, level: str, message: str) -> None:
    logging.getLogger(LIBRARY_LOG).info("%s (%s): %s", name, level, message)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 (a library's malformed log call is not ours to fail on)
        return str(record.msg)


class _Lines(logging.Handler):
    """A worker's library records, one JSON line each, in a file only this worker writes."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps([record.name, record.levelname, _message(record)], ensure_ascii=False) + "\n")
        except OSError:
            pass


def _route_library_logs(handler: logging.Handler) -> None:
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, (_Relay, _Lines))]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False


@cache
def _library_logs() -> str:
    """The folder the workers write their library records into (made once per process, removed
    at its exit); the caller's own library records go to the log directly."""
    import atexit
    import shutil
    import tempfile

    _route_library_logs(_Relay())
    folder = tempfile.mkdtemp(prefix="xxgk-library-logs-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


_read_to: dict[str, int] = {}


def drain_library_logs() -> None:
    """Say in this process's log the library records the workers wrote (complete lines only)."""
    if not _library_logs.cache_info().currsize:
        return
    folder = _library_logs()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as fh:
                fh.seek(_read_to.get(path, 0))
                data = fh.read()
        except OSError:
            continue
        end = data.rfind(b"\n") + 1
        _read_to[path] = _read_to.get(path, 0) + end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            try:
                _relay(*json.loads(line))
            except (ValueError, TypeError):
                continue


def worker_count(requested: int = 0) -> int:
    """`requested` workers, or one per core when 0."""
    return requested if requested > 0 else (os.cpu_count() or 1)


@cache
def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_fork_server() -> None:
    """Start the fork server now, without waiting for it: its imports (the readers, Polars) run
    on another core while this process goes on; the first workers find it ready."""
    from multiprocessing import forkserver

    _context()
    with _main_hidden():
        forkserver.ensure_running()


# Below this many documents a stage runs in the calling process: starting workers costs more.
MIN_PARALLEL_DOCUMENTS = 16
# Documents a task of normalisation or extraction takes at least (whole part files).
TASK_DOCUMENTS = 64


def task_documents(documents: int, workers: int) -> int:
    """The documents a task takes at least, for `documents` over `workers`: TASK_DOCUMENTS, or
    fewer when that many would leave workers without a task (a year of 33 reports is two tasks
    for two workers, not one task and an idle worker)."""
    return max(1, min(TASK_DOCUMENTS, -(-documents // max(1, workers))))


def group_parts(manifest, documents: int = TASK_DOCUMENTS) -> list[tuple[list[str], list[dict]]]:
    """The rows of a manifest (a frame with a `part` column) as tasks of whole part files and
    at least `documents` documents each: (parts, manifest rows)."""
    tasks: list[tuple[list[str], list[dict]]] = []
    parts: list[str] = []
    rows: list[dict] = []
    for (part,), frame in manifest.partition_by("part", as_dict=True, maintain_order=True).items():
        parts.append(part)
        rows += frame.to_dicts()
        if len(rows) >= documents:
            tasks.append((parts, rows))
            parts, rows = [], []
    if rows:
        tasks.append((parts, rows))
    return tasks


@dataclass(frozen=True)
class Isolation:
    """How a stage's tasks fall apart into documents, so that one document that breaks (an
    exception, MemoryError, a worker killed or stuck) is rejected alone.

    split(task): the task as one task per document, of the same shape;
    failed(task, reason): the result that rejects the one document of `task` with `reason`.
    """

    split: Callable[[tuple], list[tuple]]
    failed: Callable[[tuple, str], object]
    memory_mb: int = 0  # the address space of a worker (RLIMIT_AS); 0: no limit
    document_seconds: float = 0  # past this (x documents, plus slack) a worker is killed; 0: never
    # in a worker process even when there are few documents: a stage that meets hostile bytes
    # (reading) must not be able to take the caller down with it
    in_workers: bool = False


def per_document(failed: Callable[[tuple, str], object], budget=None) -> Isolation:
    """The isolation of a stage whose tasks are named tuples of `parts` and their manifest `rows`
    (and more): one document is the task with its own part and its own row."""
    budget = budget or Budget()

    def split(task: tuple) -> list[tuple]:
        return [task._replace(parts=[row["part"]], rows=[row]) for row in task.rows] if len(task.rows) > 1 else [task]

    return Isolation(split, failed, budget.worker_memory_mb, budget.document_seconds)


# A task in a worker is killed when it runs past this multiple of its documents' time budget
# plus the slack: the worker's own timer should have stopped it well before.
HARD_LIMIT_FACTOR, HARD_LIMIT_SLACK = 2, 30


def run_tasks(fn: Callable, tasks: Iterable[tuple], workers: int = 1, documents: int | None = None,
              isolation: Isolation | None = None) -> Iterator[tuple[tuple, object]]:
    """Yield (task, fn(*task)) for every task, in the order they finish.

    With one worker, or fewer than MIN_PARALLEL_DOCUMENTS `documents` in all, the tasks run
    here, in order (no processes; easy to debug and profile), unless `isolation.in_workers`
    (then in one worker process). Without `isolation`, an
    exception in a task is raised here, at its turn. With it, a task that fails — raises, or
    its worker dies or hangs — is run again one document at a time, each alone in a fresh
    worker, and only the documents that fail alone are rejected (their results are
    ``isolation.failed``); the others' results are yielded as (single-document task, result).
    """
    _library_logs()  # the libraries' records to the log, here and in the workers
    if documents is not None and documents < MIN_PARALLEL_DOCUMENTS:
        workers = 1
    if isolation is not None and isolation.in_workers:
        workers = max(workers, 1)
    elif workers <= 1:
        yield from _run_here(fn, tasks, isolation)
        return
    pending: dict = {}
    started: dict = {}
    todo = iter(tasks)
    suspects: list[tuple] = []
    pool = _pool(workers, isolation)
    finished = False

    def restart() -> None:  # the pool is gone: the tasks still in it are suspects
        nonlocal pool
        suspects.extend(pending.pop(f) for f in list(pending))
        started.clear()
        pool.shutdown(wait=False, cancel_futures=True)
        pool = _pool(workers, isolation)

    def submit(task: tuple) -> None:
        with _main_hidden():  # workers start on submit
            try:
                future = pool.submit(fn, *task)
            except BrokenProcessPool:
                if isolation is None:
                    raise
                restart()
                future = pool.submit(fn, *task)
        pending[future] = task
        started[future] = time.monotonic()

    try:
        for task in todo:
            submit(task)
            if len(pending) >= 2 * workers:
                break
        while pending or suspects:
            done, _ = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED) if pending else (set(), set())
            drain_library_logs()
            if isolation is not None and not done and _overdue(pending, started, isolation):
                _kill(pool)  # a worker stuck in one call: every task in flight is a suspect
                done, _ = wait(pending)
            broken = False
            for future in done:
                task = pending.pop(future)
                started.pop(future, None)
                error = future.exception()
                if error is None:
                    yield task, future.result()
                elif isolation is None:
                    raise error
                else:
                    suspects.append(task)
                    broken = broken or isinstance(error, BrokenProcessPool)
            if broken:
                restart()
            while suspects:
                yield from _run_alone(fn, suspects.pop(0), isolation)
            while len(pending) < 2 * workers:
                nxt = next(todo, None)
                if nxt is None:
                    break
                submit(nxt)
        finished = True
    finally:
        # after the last task, wait for the workers to exit (their memory is back); after an
        # error, an interrupt or an abandoned generator, stop the tasks nobody will read (the
        # interpreter would otherwise wait for them at exit)
        if not finished:
            _kill(pool)
        pool.shutdown(wait=finished, cancel_futures=not finished)
        drain_library_logs()


_POLL_SECONDS = 5.0


def run_stage(fn: Callable, tasks: list[tuple], workers: int, isolation: Isolation, fields: int, progress=None,
              name: Callable[[object], str] = lambda row: row["source_file"]) -> list:
    """A stage's tasks run (run_tasks, every document isolated), their results (`fields` long) gathered
    field by field in the order the tasks finish: lists concatenated, dicts merged, anything else listed.
    A task's documents are its `rows`; after each task, progress(documents done, of all, `name` of its last)."""
    gathered: list = [[] for _ in range(fields)]
    total, done = sum(len(task.rows) for task in tasks), 0
    for task, result in run_tasks(fn, tasks, workers, documents=total, isolation=isolation) if tasks else ():
        for k, value in enumerate(result):
            if isinstance(value, dict):
                gathered[k] = gathered[k] or {}
                gathered[k].update(value)
            else:
                gathered[k] += value if isinstance(value, list) else [value]
        done += len(task.rows)
        if progress:
            progress(done, total, name(task.rows[-1]))
    return gathered


def _pool(workers: int, isolation: Isolation | None) -> ProcessPoolExecutor:
    memory = isolation.memory_mb if isolation is not None else 0
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(memory, os.getpid(), _library_logs()))


def _start_worker(memory_mb: int, caller_pid: int, library_logs=None) -> None:
    die_with(caller_pid)  # even when the caller is killed (xxgk/lifeline.py)
    if library_logs is not None:
        _route_library_logs(_Lines(os.path.join(library_logs, f"{os.getpid()}.log")))
        logging.captureWarnings(True)  # a library's warnings.warn too
        _route_py_warnings(library_logs)
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _route_py_warnings(folder: str) -> None:
    logger = logging.getLogger("py.warnings")
    logger.addHandler(_Lines(os.path.join(folder, f"{os.getpid()}.log")))
    logger.propagate = False


def _hard_limit(task: tuple, isolation: Isolation, documents: int | None = None) -> float:
    n = documents if documents is not None else len(isolation.split(task))
    return isolation.document_seconds * n * HARD_LIMIT_FACTOR + HARD_LIMIT_SLACK


def _overdue(pending: dict, started: dict, isolation: Isolation) -> bool:
    if not isolation.document_seconds:
        return False
    now = time.monotonic()
    # a task waits in the queue behind at most one other: twice its own limit
    return any(now - started[f] > 2 * _hard_limit(task, isolation) for f, task in pending.items())


def _kill(pool: ProcessPoolExecutor) -> None:
    for process in list((pool._processes or {}).values()):  # no public way to stop a stuck worker
        process.kill()


def _describe(error: BaseException, pool: ProcessPoolExecutor | None, isolation: Isolation) -> str:
    if isinstance(error, MemoryError):
        if isolation.memory_mb:
            return f"over budget: ran out of memory within the {isolation.memory_mb} MB of a worker ({variable_of('worker_memory_mb')})"
        return "ran out of memory"
    if isinstance(error, BrokenProcessPool):
        codes = [p.exitcode for p in (pool._processes or {}).values()] if pool is not None and pool._processes else []
        code = next((c for c in codes if c), None)
        # pdfium and Rust (Polars) abort when an allocation fails, and some builds exit(-1) instead
        memory = (f", most likely out of memory (the limit is {isolation.memory_mb} MB a worker, {variable_of('worker_memory_mb')})"
                  if isolation.memory_mb and code else "")
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            if not memory and name == "SIGKILL":
                memory = " (killed: out of memory, or by an operator)"
            return f"the worker process handling it died of {name}{memory}"
        return "the worker process handling it died" + (f" (exit code {code})" if code else "") + memory
    if isinstance(error, FuturesTimeout):
        return (f"over budget: still running after {_hard_limit((), isolation, 1):g} s, so its worker was killed "
                f"({variable_of('document_seconds')} is {isolation.document_seconds:g})")
    text = f"{type(error).__name__}: {error}"
    return "failed: " + (text if len(text) <= 300 else text[:299] + "…")


def _run_here(fn: Callable, tasks: Iterable[tuple], isolation: Isolation | None) -> Iterator[tuple[tuple, object]]:
    for task in tasks:
        if isolation is None:
            yield task, fn(*task)
            continue
        try:
            result = fn(*task)
        except (Exception, MemoryError):  # noqa: BLE001 (isolation: any fault of one document)
            for one in isolation.split(task):
                try:
                    result = fn(*one)
                except (Exception, MemoryError) as error:  # noqa: BLE001
                    result = isolation.failed(one, _describe(error, None, isolation))
                yield one, result
            continue
        yield task, result


def _alone_pool(isolation: Isolation) -> ProcessPoolExecutor:
    """A pool of one worker, started: its start-up is not counted in a document's time."""
    pool = _pool(1, isolation)
    with _main_hidden():
        pool.submit(int).result()
    return pool


def _run_alone(fn: Callable, task: tuple, isolation: Isolation) -> Iterator[tuple[tuple, object]]:
    """Each document of `task` in a worker of its own, one after the other."""
    pool = _alone_pool(isolation)
    try:
        for one in isolation.split(task):
            with _main_hidden():
                future = pool.submit(fn, *one)
            try:
                result = future.result(timeout=_hard_limit(one, isolation, 1) if isolation.document_seconds else None)
                drain_library_logs()
                yield one, result
                continue
            except FuturesTimeout as error:
                _kill(pool)
                reason = _describe(error, pool, isolation)
            except BrokenProcessPool as error:
                reason = _describe(error, pool, isolation)
            except (Exception, MemoryError) as error:  # noqa: BLE001 (isolation: any fault of one document)
                yield one, isolation.failed(one, _describe(error, pool, isolation))
                continue
            pool.shutdown(wait=False, cancel_futures=True)
            pool = _alone_pool(isolation)
            yield one, isolation.failed(one, reason)
    finally:
        pool.shutdown(wait=True)


@contextmanager
def _main_hidden():
    """Start workers (on submit) without the caller's main module, and deaf to Ctrl-C.

    Without the main module: multiprocessing re-imports it in every new worker (for `xxgk run`
    that is the CLI, and with it Dagster: ~1.7 s and ~90 MB a worker). The tasks' functions
    live in xxgk.*, never in __main__.

    Deaf to Ctrl-C: the terminal sends SIGINT to the whole process group, and a fork server
    still importing PRELOAD (a second or two), or a worker before its initializer ignores
    SIGINT (xxgk.lifeline.die_with), printed a KeyboardInterrupt traceback; and the caller's
    own KeyboardInterrupt, raised in the middle of starting a worker, left that worker to die
    on semaphores already gone, with a traceback. So while workers start, SIGINT is blocked
    in this thread, and a blocked signal stays blocked in the processes started meanwhile (the
    mask survives fork and exec): the fork server and every worker it forks never receive
    it. And in the main thread its Python handler is held back (Python runs it there whichever
    thread the kernel chose): a Ctrl-C that comes meanwhile is handed to the caller's handler
    once the workers have started. The caller decides whether the command stops, and stops
    them (run_tasks kills its workers when it is interrupted)."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if main is not None and k in main.__dict__}
    held: list = []
    handler = None
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        if main is not None:
            main.__spec__ = None
            main.__dict__.pop("__file__", None)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if main is not None:
            main.__dict__.update(saved)
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
            if held:
                _deliver(handler, *held[0])


def _deliver(handler, signum: int, frame) -> None:
    """A SIGINT held back, handed to the handler it was meant for."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # what SIGINT does without a handler


# --- a helper process: slow imports, and work that need not hold up the run ------------------
#
# `xxgk run` starts one when it has work to do (start_helper): a spawned process (nothing of
# this process's threads or state) that imports what it is given at once, on the other core,
# while this process imports Dagster and reads the inbox. Great Expectations costs ~3 s to
# import, the overview's charts ~1 s: done there, neither is on the run's path. Work sent with
# `call` is waited for; work sent with `later` (Data Docs, overview pages) is not, and
# `finish_helper` waits for it at the end. Without a helper (runs the UI or a daemon launches,
# tests that call the functions) both run here, as before. A helper that died is not used again:
# its work is done here.

_HELPER: ProcessPoolExecutor | None = None
_LATER: list[tuple[str, object]] = []
_THEN: list[tuple[str, ...]] = []  # start_helper's `then`, until the first work left for later


def start_helper(preload: tuple[str, ...], then: tuple[str, ...] = ()) -> None:
    """Start the helper, importing the modules of `preload` ("module" or "module:function", the
    function called once imported, to warm what the module builds on first use); those of `then`
    once the first work left `later` is done. The helper does one thing at a time, in order:
    the run waits for what it `call`s (the gates), not for the pages it leaves for later, so what
    only the pages need is not imported ahead of the first gate."""
    global _HELPER
    if _HELPER is not None:
        return
    _HELPER = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_start_helper, initargs=(os.getpid(), preload))
    _THEN[:] = [then] if then else []
    with _main_hidden():
        _HELPER.submit(int)  # the process starts now; its initializer imports while this one goes on


def _start_helper(caller_pid: int, preload: tuple[str, ...]) -> None:
    die_with(caller_pid)
    _preload(preload)


def _preload(modules: tuple[str, ...]) -> None:
    import importlib

    for entry in modules:
        module, _, function = entry.partition(":")
        try:
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()
        except Exception:  # noqa: BLE001 (the work that needs it will meet the error, and say it)
            pass


def helping() -> bool:
    return _HELPER is not None


def call(fn: Callable, *args):
    """fn(*args) in the helper, waited for; here without one (or when it died). Exceptions as raised."""
    if _HELPER is not None:
        try:
            with _main_hidden():
                future = _HELPER.submit(fn, *args)
            return future.result()
        except BrokenProcessPool:
            stop_helper()
    return fn(*args)


def later(what: str, fn: Callable, *args) -> bool:
    """fn(*args) in the helper, not waited for (finish_helper waits); without a helper, here and now.
    Whether it was left to the helper."""
    if _HELPER is not None:
        try:
            with _main_hidden():
                _LATER.append((what, _HELPER.submit(fn, *args)))
                while _THEN:  # behind the first work left for later, never ahead of what the run waits for
                    _HELPER.submit(_preload, _THEN.pop())
            return True
        except BrokenProcessPool:
            stop_helper()
            done: Future = Future()  # the helper died: done here, and a failure said at the end
            try:
                done.set_result(fn(*args))
            except Exception as error:  # noqa: BLE001
                done.set_exception(error)
            _LATER.append((what, done))
            return False
    fn(*args)
    return False


def finish_helper() -> list[str]:
    """Wait for the work sent `later`, stop the helper; one line for each piece that failed."""
    failed = []
    for what, future in _LATER:
        try:
            future.result()
        except BaseException as error:  # noqa: BLE001 (said, not raised: the warehouse is loaded)
            failed.append(f"{what}: {type(error).__name__}: {str(error)[:200]}")
    _LATER.clear()
    stop_helper()
    return failed


def stop_helper() -> None:
    """Stop the helper. When its work is done (everything it wrote, written whole) it ends with
    os._exit rather than unloading Great Expectations: ~1 s less at the end of every run."""
    global _HELPER
    helper, _HELPER = _HELPER, None
    _THEN.clear()
    if helper is None:
        return
    idle = all(future.done() for _, future in _LATER)
    if idle:
        with suppress(Exception):
            helper.submit(os._exit, 0)
    helper.shutdown(wait=True, cancel_futures=not idle)
