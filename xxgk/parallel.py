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

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from functools import cache

# Imported once by the fork server, so every worker starts with them loaded.
PRELOAD = ["xxgk.pdf", "xxgk.normalise", "xxgk.extract.tables", "xxgk.staging", "polars", "pdfplumber", "pypdfium2"]


def worker_count(requested: int = 0) -> int:
    """`requested` workers, or one per core when 0."""
    return requested if requested > 0 else (os.cpu_count() or 1)


@cache
def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


# Below this many documents a stage runs in the calling process: starting workers costs more.
MIN_PARALLEL_DOCUMENTS = 16
# Documents a task of normalisation or extraction takes at least (whole part files).
TASK_DOCUMENTS = 64


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


def run_tasks(fn: Callable, tasks: Iterable[tuple], workers: int = 1, documents: int | None = None) -> Iterator[tuple[tuple, object]]:
    """Yield (task, fn(*task)) for every task, in the order they finish.

    With one worker, or fewer than MIN_PARALLEL_DOCUMENTS `documents` in all, the tasks run
    here, in order (no processes; easy to debug and profile). An exception in a task is
    raised here, at its turn.
    """
    if documents is not None and documents < MIN_PARALLEL_DOCUMENTS:
        workers = 1
    if workers <= 1:
        for task in tasks:
            yield task, fn(*task)
        return
    pending: dict = {}
    todo = iter(tasks)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    finished = False

    def submit(task: tuple) -> None:
        with _main_hidden():  # workers start on submit
            pending[pool.submit(fn, *task)] = task

    try:
        for task in todo:
            submit(task)
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                yield task, future.result()
                nxt = next(todo, None)
                if nxt is not None:
                    submit(nxt)
        finished = True
    finally:
        # after the last task, wait for the workers to exit (their memory is back); after an
        # error or an abandoned generator, do not wait for tasks nobody will read
        pool.shutdown(wait=finished, cancel_futures=not finished)


@contextmanager
def _main_hidden():
    """Start workers without the caller's main module: multiprocessing re-imports it in every
    new worker (for `xxgk run` that is the CLI, and with it Dagster: ~1.7 s and ~90 MB a
    worker). The tasks' functions live in xxgk.*, never in __main__."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__spec__ = None
            main.__dict__.pop("__file__", None)
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
