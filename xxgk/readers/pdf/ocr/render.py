"""Pages of PDFs rendered and OCR'd, in one pool of worker processes, each with one engine."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

import pypdfium2 as pdfium

from xxgk.readers.pdf.ocr.boxes import OcrRow
from xxgk.readers.pdf.ocr.engine import engines_made, shared_engine, use_threads
from xxgk.readers.pdf.ocr.image import DEFAULT_DPI, render_page
from xxgk.readers.pdf.ocr.page import ocr_page

_WORKER_PDFS: dict = {}  # this worker's open documents, by source
_WORKER_DPI = DEFAULT_DPI

Progress = Callable[[int, int, tuple], None]


def _init_worker(dpi: int, threads: int) -> None:
    global _WORKER_DPI
    _WORKER_DPI = dpi
    use_threads(threads)
    shared_engine()  # once per worker process, before the first page


def _open(source):
    key = source if isinstance(source, str) else hashlib.sha256(source).digest()
    if key not in _WORKER_PDFS:
        while len(_WORKER_PDFS) >= 4:  # the pages of a document arrive together: keep a few open
            _WORKER_PDFS.pop(next(iter(_WORKER_PDFS))).close()
        _WORKER_PDFS[key] = pdfium.PdfDocument(source)
    return _WORKER_PDFS[key]


def _ocr_task(source, index: int) -> tuple[list[OcrRow], float]:
    start = time.perf_counter()
    rows = ocr_page(render_page(_open(source), index, _WORKER_DPI), index + 1)
    return rows, time.perf_counter() - start


def ocr_pages(tasks: list[tuple[object, int]], *, dpi: int = DEFAULT_DPI, workers: int = 1,
              progress: Progress | None = None, timings: dict[tuple, float] | None = None,
              seconds_per_source: float = 0, over_budget: set | None = None) -> dict[tuple, list[OcrRow]]:
    """OCR pages of one or many PDFs: tasks are (source, 0-based page), source a path or bytes.

    Returns {(task index, page): rows}. With ``workers`` > 1 the pages are spread over that
    many processes, each holding one engine (onnxruntime threads split between them).
    ``progress(done, total, task)`` is called as pages finish; ``timings`` (if given)
    receives the seconds each page took. With ``seconds_per_source``, a source whose pages
    have taken longer than that in all is added to ``over_budget`` and its pages not yet
    started are dropped: their keys are missing from the result.
    """
    results: dict[tuple, list[OcrRow]] = {}
    total = len(tasks)
    if not tasks:
        return results
    workers = max(1, min(workers, total))
    threads = max(1, (os.cpu_count() or 1) // workers)
    spent: dict[object, float] = {}
    over = over_budget if over_budget is not None else set()

    def done(n: int, key: tuple, rows: list[OcrRow], seconds: float) -> None:
        results[key] = rows
        if timings is not None:
            timings[key] = seconds
        source = tasks[key[0]][0]
        spent[source] = spent.get(source, 0.0) + seconds
        if seconds_per_source and spent[source] > seconds_per_source:
            over.add(source)
        if progress:
            progress(n, total, key)

    if workers == 1:
        global _WORKER_DPI
        _WORKER_DPI = dpi
        try:
            for n, (i, (source, index)) in enumerate(enumerate(tasks), start=1):
                if source in over:
                    continue
                rows, seconds = _ocr_task(source, index)
                done(n, (i, index), rows, seconds)
        finally:
            while _WORKER_PDFS:
                _WORKER_PDFS.popitem()[1].close()
        return results
    # Never a plain fork of the caller: a process that has run the engine has onnxruntime's
    # thread pools (spawn), and any caller may hold libraries whose after-fork hooks block in
    # the child (kombu closes its Redis connections there and waits forever): forkserver.
    context = multiprocessing.get_context("spawn" if engines_made() else "forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(dpi, threads)) as pool:
        futures = {pool.submit(_ocr_task, source, index): (i, index) for i, (source, index) in enumerate(tasks)}
        for n, future in enumerate(as_completed(futures), start=1):
            if future.cancelled():
                continue
            rows, seconds = future.result()
            key = futures[future]
            done(n, key, rows, seconds)
            if tasks[key[0]][0] in over:
                for other, (i, _) in futures.items():
                    if tasks[i][0] in over:
                        other.cancel()  # not started yet; one already running still finishes
    return results


def ocr_pdf_pages(data: bytes, pages: list[int], *, dpi: int = DEFAULT_DPI, workers: int = 1,
                  progress: Callable[[int, int, int], None] | None = None,
                  timings: dict[int, float] | None = None) -> dict[int, list[OcrRow]]:
    """OCR the given 0-based pages of one PDF; {page index: rows}, in page order.

    ``progress(done, total, page_index)`` is called as pages finish; ``timings`` (if given)
    receives the seconds each page took.
    """
    pages = sorted(set(pages))
    per_task: dict[tuple, float] = {}
    results = ocr_pages([(data, index) for index in pages], dpi=dpi, workers=workers, timings=per_task,
                        progress=(lambda n, total, key: progress(n, total, key[1])) if progress else None)
    if timings is not None:
        timings.update({index: seconds for (_, index), seconds in per_task.items()})
    return {index: results[(i, index)] for i, index in enumerate(pages)}


