"""After a crash the next `xxgk run` recovers by itself; a signal stops the whole command.

Each test does to `xxgk run` what an operator or the kernel does: SIGKILL during the load,
SIGKILL while reading, Ctrl-C and SIGTERM during a year. Every run has its own Dagster home
and warehouse; the reference is one clean run of the same inbox.
"""
import os
import shutil
import signal
import time

import pytest

from tests.pipelines.xxgk_process import (
    gone_within,
    kill,
    new_setup,
    run,
    start,
    wait_for,
    warehouse_digest,
    workers_of,
    writer_slot_holders,
)
from xxgk import SAMPLES_DIR

# A rerun after a crash must not wait for the dead run: it takes what a clean run takes.
RERUN_BOUND_SECONDS = 240


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Two years, one report each: a web page's text of 2023 and the same agency's 2024."""
    folder = tmp_path_factory.mktemp("inbox")
    shutil.copy(SAMPLES_DIR / "qidong-office-2023.txt", folder)
    text = (SAMPLES_DIR / "dongning-2023.txt").read_text(encoding="utf-8")
    (folder / "dongning-2024.txt").write_text(text.replace("2023", "2024").replace("2022", "2023"), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def clean(inbox, tmp_path_factory):
    """A clean run of the inbox: the warehouse every recovered run must equal."""
    setup = new_setup(tmp_path_factory.mktemp("clean"), inbox)
    done = run(setup)
    assert done.returncode == 0, done.stdout + done.stderr
    digest = warehouse_digest(setup.warehouse)
    # a run that ends leaves no process behind (its fork server notices the end and exits: allow it a moment)
    assert gone_within(setup, seconds=10) == {}
    assert {table: rows for table, (rows, _) in digest.items()}["fact_report"] == 2
    return setup, digest


def test_a_run_killed_during_the_load_does_not_block_the_next(clean, tmp_path):
    reference, digest = clean
    setup = new_setup(tmp_path, reference.inbox)
    instance = setup.instance()
    proc = start(setup)
    # the moment the load holds the one writer slot of the instance
    holder = wait_for(lambda: [h for h in writer_slot_holders(instance) if h[1] == "warehouse_facts"], proc)
    kill(proc)
    assert [h[0] for h in writer_slot_holders(instance)] == [holder[0][0]]  # the dead run keeps its slot
    assert instance.get_run_by_id(holder[0][0]).status.value == "STARTED"

    t0 = time.monotonic()
    rerun = run(setup, timeout=RERUN_BOUND_SECONDS)
    took = time.monotonic() - t0
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert took < RERUN_BOUND_SECONDS
    assert f"run {holder[0][0][:8]} (xxgk_year 2023) died with its process (pid {proc.pid}): marked failed, " \
           "its warehouse slot freed" in rerun.stderr
    dead = instance.get_run_by_id(holder[0][0])
    assert dead.status.value == "FAILURE"
    assert writer_slot_holders(instance) == []
    assert warehouse_digest(setup.warehouse) == digest


def test_a_run_killed_while_reading_leaves_no_process_behind(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    published = (SAMPLES_DIR / "hongze-2024.pdf").read_bytes()
    for n in range(24):  # enough documents for worker processes; each a distinct file (a comment after %%EOF)
        (inbox / f"hongze-2024-{n:02}.pdf").write_bytes(published + f"\n% copy {n}\n".encode())
    setup = new_setup(tmp_path / "run", inbox)
    proc = start(setup)
    workers = wait_for(lambda: len(w := workers_of(setup, proc.pid)) >= 2 and w, proc)
    kill(proc)
    left = gone_within(setup, seconds=10)
    assert left == {}, f"still running after the command was killed: {left} (workers were {workers})"


def _year_step_started(instance) -> bool:
    from dagster import DagsterEventType

    runs = [r for r in instance.get_runs() if r.job_name == "xxgk_year"]
    return any(instance.get_records_for_run(r.run_id, of_type=DagsterEventType.STEP_START, limit=1).records for r in runs)


@pytest.mark.parametrize("sig, whole_group", [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_whole_command(clean, tmp_path, sig, whole_group):
    reference, digest = clean
    setup = new_setup(tmp_path, reference.inbox, warehouse_from=reference)
    proc = start(setup)
    seen = []  # the progress line of a year ends only when the year does: read what is there
    wait_for(lambda: seen.append(os.read(proc.stdout.fileno(), 4096).decode()) or "[2/2] year 2023" in "".join(seen), proc)
    instance = setup.instance()
    wait_for(lambda: _year_step_started(instance), proc, every=0.1)  # into the year's steps
    os.killpg(proc.pid, sig) if whole_group else proc.send_signal(sig)  # Ctrl-C reaches the terminal's whole group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, out + err
    # no traceback of a process of the group: Dagster's helpers that mirror the run's output
    # (pipelines/instance.py QuietComputeLogs), the fork server, the workers (xxgk/parallel.py)
    assert "KeyboardInterrupt" not in out + err and "Traceback" not in out + err, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"xxgk: stopped by {signal.Signals(sig).name} during run ")
    assert "(xxgk_year 2023)" in last
    assert "year 2024" not in "".join(seen) + out  # no further year started
    assert [r.tags.get("dagster/partition") for r in setup.instance().get_runs() if r.job_name == "xxgk_year"] == ["2023"]
    assert gone_within(setup, seconds=10) == {}
    assert warehouse_digest(setup.warehouse) == digest  # the year's load was not written, or written whole
    assert writer_slot_holders(setup.instance()) == []


def test_a_read_only_warehouse_folder_is_one_line(clean, tmp_path):
    from tests.warehouse.test_writer import read_only_folder

    reference, digest = clean
    setup = new_setup(tmp_path, reference.inbox, warehouse_from=reference)
    (setup.warehouse.parent / "staging").mkdir()  # the stages' stores beside it stay writable
    with read_only_folder(setup.warehouse.parent):
        done = run(setup, "--years", "2023")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] in (f"xxgk: cannot write the warehouse {setup.warehouse}: {why} (its folder {setup.warehouse.parent})"
                         for why in ("Permission denied", "Operation not permitted")), done.stderr[-3000:]
    assert "different configuration" not in done.stdout + done.stderr
    assert warehouse_digest(setup.warehouse) == digest


def test_a_run_waiting_for_the_writer_says_so_and_a_signal_stops_the_wait(clean, tmp_path):
    from dagster import DagsterRun, DagsterRunStatus
    from dagster._core.events import DagsterEvent, DagsterEventType
    from dagster._core.utils import make_new_run_id

    reference, digest = clean
    setup = new_setup(tmp_path, reference.inbox, warehouse_from=reference)
    instance = setup.instance()
    # a long load of another run, alive (this process), holds the one writer slot
    holder = instance.add_run(DagsterRun(job_name="xxgk_year", run_id=make_new_run_id(), status=DagsterRunStatus.NOT_STARTED,
                                         tags={"dagster/partition": "2021"}))
    instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_START.value, job_name="xxgk_year", pid=os.getpid()),
                                  run_id=holder.run_id)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default("duckdb_writer")
    assert storage.claim_concurrency_slot("duckdb_writer", holder.run_id, "warehouse_facts").is_claimed

    proc = start(setup)
    said = []
    wait_for(lambda: said.append(os.read(proc.stderr.fileno(), 4096).decode()) or "held by" in "".join(said), proc)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)  # Dagster waits for the slot without looking at signals: the command must not
    out, err = proc.communicate(timeout=120)
    notice = next(line.strip() for line in "".join(said).splitlines() if "held by" in line)
    assert notice.startswith("waiting ") and notice.endswith(
        f"for the pool duckdb_writer (one writer at a time): held by run {holder.run_id[:8]} (xxgk_year 2021), pid {os.getpid()}")
    assert proc.returncode == 128 + signal.SIGTERM, out + err
    assert time.monotonic() - t0 < 60
    assert err.strip().splitlines()[-1].startswith("xxgk: stopped by SIGTERM during run ")
    assert writer_slot_holders(instance) == [(holder.run_id, "warehouse_facts")]  # a live run's slot is left alone
    assert [r.status.value for r in instance.get_runs() if r.job_name == "xxgk_inbox"] == ["FAILURE"]
    assert warehouse_digest(setup.warehouse) == digest
