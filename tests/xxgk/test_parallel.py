"""The stages give the same stores whether one process does the work or several."""
import os
import signal
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import require_cjk_font
from tests.fixtures.synthetic import EMBEDDABLE_FONT, write_corpus
from xxgk.budget import Budget
from xxgk.extract.year import extract_store
from xxgk.inbox import read_inbox
from xxgk.normalise import normalise_store
from xxgk.parallel import MIN_PARALLEL_DOCUMENTS, Isolation, run_tasks


def _fail_on(n: int) -> int:
    if n == 3:
        raise ValueError("task 3 fails")
    return n * n


def test_results_of_every_task_and_the_error_of_one():
    assert sorted(result for _, result in run_tasks(_fail_on, [(n,) for n in (1, 2, 4, 5)], workers=2)) == [1, 4, 16, 25]
    with pytest.raises(ValueError, match="task 3 fails"):
        list(run_tasks(_fail_on, [(n,) for n in range(1, 8)], workers=2))
    # a failing task leaves no broken pool behind: the next call runs
    assert [r for _, r in run_tasks(_fail_on, [(6,)], workers=2)] == [36]


def _stores(inbox, folder, workers: int):
    raw = read_inbox(sorted(inbox.glob("*.pdf")), folder / "raw", workers=workers)
    normalised = normalise_store(raw, folder / "normalised", workers=workers)
    tables = {y: extract_store(normalised, y, folder / f"tables-{y}", workers=workers) for y in normalised.years}
    return raw, normalised, tables


def test_two_workers_make_the_same_stores_as_one(tmp_path):
    require_cjk_font()
    n = MIN_PARALLEL_DOCUMENTS + 8
    write_corpus(tmp_path / "inbox", n, seed=11, embed_font=str(EMBEDDABLE_FONT))
    one = _stores(tmp_path / "inbox", tmp_path / "one", 1)
    two = _stores(tmp_path / "inbox", tmp_path / "two", 2)
    keep = ["document_id", "source_file", "reader", "reader_check", "agency", "year", "format_version"]
    assert one[1].documents.select(keep).equals(two[1].documents.select(keep))
    assert set(one[0].documents["reader"]) == {"pdfium"} and one[0].documents.height == n
    assert one[1].years == two[1].years and len(one[1].years) > 1
    expected = pl.read_csv(tmp_path / "inbox" / "expected.csv", infer_schema=False)
    cells = 0
    for year in one[1].years:
        a, b = (t[year].cells.collect().sort("document_id", "category_code", "applicant_type", "measure") for t in (one[2], two[2]))
        assert a.equals(b) and a.height > 0
        cells += a.filter(pl.col("cell_status") != "derived").height  # expected.csv lists the printed cells
        assert one[2][year].documents.drop("part").equals(two[2][year].documents.drop("part"))
    assert cells == expected.height


# --- isolation: one document that breaks is rejected alone ---------------------------------

def _squares(numbers: list[int]) -> list:
    """A task of several 'documents'; some of them break in the ways a hostile file does."""
    out = []
    for n in numbers:
        if n == 13:
            os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
        if n == 17:
            raise ValueError("seventeen is cursed")
        if n == 19:
            bytearray(1 << 31)  # 2 GiB, over the worker's address-space limit
        if n == 23:
            time.sleep(600)  # stuck in one call
        out.append(n * n)
    return out


_ISOLATION = Isolation(split=lambda task: [([n],) for n in task[0]],
                       failed=lambda task, reason: [("rejected", task[0][0], reason)],
                       memory_mb=1024, document_seconds=1)


def _results(tasks, workers):
    got = {}
    for task, result in run_tasks(_squares, tasks, workers, isolation=_ISOLATION):
        for n, r in zip(task[0], result):
            got[n] = r
    return got


def test_a_document_that_kills_raises_or_exhausts_its_worker_is_rejected_alone(monkeypatch):
    monkeypatch.setattr("xxgk.parallel.HARD_LIMIT_SLACK", 4)
    monkeypatch.setattr("xxgk.parallel.HARD_LIMIT_FACTOR", 1)
    monkeypatch.setattr("xxgk.parallel._POLL_SECONDS", 0.5)
    tasks = [(list(range(i, i + 4)),) for i in range(10, 30, 4)]  # 10..29 in tasks of 4
    got = _results(tasks, workers=2)
    assert sorted(got) == list(range(10, 30))
    rejected = {n: r[2] for n, r in got.items() if isinstance(r, tuple)}
    assert set(rejected) == {13, 17, 19, 23}
    assert rejected[13] == ("the worker process handling it died of SIGKILL, most likely out of memory "
                            "(the limit is 1024 MB a worker, XXGK_WORKER_MEMORY_MB)")
    assert rejected[17] == "failed: ValueError: seventeen is cursed"
    assert rejected[19] == "over budget: ran out of memory within the 1024 MB of a worker (XXGK_WORKER_MEMORY_MB)"
    assert rejected[23].startswith("over budget: still running after 5 s, so its worker was killed")
    assert all(got[n] == n * n for n in got if n not in rejected)


def test_in_process_a_failing_document_is_rejected_alone():
    got = {}
    for task, result in run_tasks(_squares, [([1, 2, 17, 3],)], workers=1, isolation=_ISOLATION):
        got.update(zip(task[0], result))
    assert got == {1: 1, 2: 4, 3: 9, 17: ("rejected", 17, "failed: ValueError: seventeen is cursed")}


# Ctrl-C: the terminal sends SIGINT to every process of its group, the workers and their fork
# server too. Here a timer does so while the fork server imports its preload (0.05-1 s), while
# workers start, and once they run; the caller stops (its handler says so), nothing else prints.
CTRL_C = """
import os, signal, sys, threading, time
from xxgk.parallel import run_tasks
threading.Timer(float(sys.argv[1]), os.killpg, (os.getpgrp(), signal.SIGINT)).start()
try:
    for _ in run_tasks(time.sleep, [(0.3,)] * 40, workers=4):
        pass
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


@pytest.mark.parametrize("after", [0.05, 0.3, 1.0, 2.5])
def test_ctrl_c_to_the_whole_group_leaves_the_workers_quiet(after):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CTRL_C, str(after)], capture_output=True, text=True, timeout=120,
                          start_new_session=True)  # a process group of its own, as a terminal's command is
    assert done.returncode == 130, done.stderr
    assert done.stderr == "interrupted\n"  # no KeyboardInterrupt traceback from the fork server or a worker


def test_a_small_stage_is_as_many_tasks_as_workers_not_one():
    from xxgk.parallel import TASK_DOCUMENTS, group_parts, task_documents

    assert task_documents(33, 2) == 17 and task_documents(1, 2) == 1 and task_documents(5000, 2) == TASK_DOCUMENTS
    assert task_documents(10, 0) == 10  # (no workers: one task)
    # whole part files per task: 33 documents in four parts make two tasks for two workers
    manifest = pl.DataFrame({"part": [f"p{i // 9}" for i in range(33)], "document_id": [str(i) for i in range(33)]})
    tasks = group_parts(manifest, task_documents(manifest.height, 2))
    assert [len(rows) for _, rows in tasks] == [18, 15]
    assert sum((rows for _, rows in tasks), []) == manifest.to_dicts()


def test_stage_tasks_split_per_document_and_pickle():
    """A stage's task is split into tasks of the same type, one document each, that reach a worker whole."""
    import pickle

    from xxgk.extract.year import ExtractTask
    from xxgk.inbox import ReadTask, _chunk_isolation
    from xxgk.normalise import NormaliseTask
    from xxgk.parallel import per_document

    rows = [{"part": "a.parquet", "document_id": "1"}, {"part": "b.parquet", "document_id": "2"}]
    for task in (NormaliseTask(["a.parquet", "b.parquet"], rows, "out", None), ExtractTask(["a.parquet", "b.parquet"], rows, "out", {})):
        split = per_document(lambda task, reason: None).split(task)
        assert [(type(t), t.parts, t.rows) for t in split] == [(type(task), [r["part"]], [r]) for r in rows]
        assert pickle.loads(pickle.dumps(split[1])) == split[1]
    read = ReadTask("000001-run", [(0, Path("a.pdf")), (1, Path("b.pdf"))], "out", 10, 0.0, Budget())
    split = _chunk_isolation(Budget()).split(read)
    assert [(t.chunk, t.rows) for t in split] == [("000001-run-000", [(0, Path("a.pdf"))]), ("000001-run-001", [(1, Path("b.pdf"))])]
    assert pickle.loads(pickle.dumps(split[0])) == split[0]


def _fields(n: int):
    return [n], {str(n): n}, n * n


def test_run_stage_gathers_results_field_by_field_with_progress():
    from xxgk.normalise import NormaliseTask
    from xxgk.parallel import per_document, run_stage

    seen = []
    tasks = [NormaliseTask([f"{n}.parquet"], [{"part": f"{n}.parquet", "source_file": f"{n}.pdf"}], "out", None) for n in (1, 2)]
    lists, dicts, others = run_stage(lambda parts, rows, folder, today: _fields(len(parts[0])), tasks, 1,
                                     per_document(lambda task, reason: None), 3, lambda *a: seen.append(a))
    assert (lists, dicts, others, seen) == ([9, 9], {"9": 9}, [81, 81], [(1, 2, "1.pdf"), (2, 2, "2.pdf")])
    assert run_stage(_fields, [], 2, per_document(lambda task, reason: None), 3) == [[], [], []]
