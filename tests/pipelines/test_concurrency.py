"""Runs at once: two runs for different years into the same warehouse (no lock error, no lost
rows); runs on the same inbox, which wait for each other's stores."""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from assets.resources import PROJECT_ROOT, YEAR_ASSETS, inbox_key, store_locks
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect
from xxgk import SAMPLES_DIR

TWO_REPORTS = ("lingdong-2023.txt", "dongning-2023.txt")


def test_two_years_loaded_concurrently(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in SAMPLE_FILES:
        shutil.copy(path, inbox / path.name)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    # an existing instance, as in production: two processes must not race to create its storage
    subprocess.run([sys.executable, "-c", "from dagster import DagsterInstance; DagsterInstance.get()"],
                   env={**os.environ, "DAGSTER_HOME": str(home)}, check=True)
    env = {**os.environ, "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0"}
    runs = [
        subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--years", year], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for year in ("2023", "2024")
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
        assert "Could not set lock" not in output
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        by_year = dict(con.execute("SELECT year, count(*) FROM v_disclosure_facts GROUP BY year").fetchall())
        reports = con.execute("SELECT year, count(*) FROM fact_report GROUP BY year ORDER BY year").fetchall()
    assert by_year == {2023: 1028, 2024: 186}  # 993 printed cells and 35 derived result.other
    assert reports == [(2023, 5), (2024, 1)]


# --- two runs on the same inbox -------------------------------------------------------

LATER = (0.5, 1.0, 2.0, 5.0)  # the second runs start this long after the first


def _fresh_home(path: Path) -> Path:
    """A home with only dagster.yaml: the runs that start on it together create it one at a time
    (pipelines/instance.py, tests/pipelines/test_instance.py)."""
    path.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", path / "dagster.yaml")
    return path


def _start(inbox: Path, warehouse: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0"}
    for name in [k for k in env if k.startswith("XXGK_") and k != "XXGK_DATA_DOCS_ENABLED"]:
        del env[name]
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--warehouse", str(warehouse)],
                            env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse, its rows sorted, without the columns that say when."""
    with connect(warehouse, read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        out = {}
        for table in tables:
            columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                                 "AND data_type NOT LIKE 'TIMESTAMP%' ORDER BY ordinal_position",
                                                 [table]).fetchall()]
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out


def test_runs_on_the_same_inbox_wait_for_each_other(tmp_path):
    """Runs started 0.5, 1, 2 and 5 s after a first on the same inbox (its stores, its warehouse)
    wait for it, and for each other, instead of clearing the stores it reads: every run rc 0,
    and the warehouse is what one run alone loads."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in TWO_REPORTS:
        shutil.copy(SAMPLES_DIR / name, inbox / name)
    home, clean_home = _fresh_home(tmp_path / "home"), _fresh_home(tmp_path / "clean-home")
    warehouse, clean = tmp_path / "shared" / "w.duckdb", tmp_path / "clean" / "w.duckdb"
    started = time.monotonic()
    runs = [_start(inbox, warehouse, home)]
    reference = _start(inbox, clean, clean_home)  # the same inbox, alone in its own staging and warehouse
    for later in LATER:
        time.sleep(max(0.0, started + later - time.monotonic()))
        runs.append(_start(inbox, warehouse, home))
    outputs = [run.communicate(timeout=400) for run in runs]
    reference_output = reference.communicate(timeout=400)
    assert reference.returncode == 0, reference_output
    for n, (run, (out, err)) in enumerate(zip(runs, outputs)):
        assert run.returncode == 0, (n, out, err)
        assert "reports loaded:    2" in out, (n, out, err)
    # the runs that came later waited, and said for what and for whom
    waits = [err for _, err in outputs[1:] if "waiting" in err]
    assert waits, [err for _, err in outputs]
    assert re.search(r"waiting \d+ s for the stores of the inbox .*: in use by pid \d+, xxgk run, since", waits[0]), waits[0]
    assert _tables(warehouse.with_name("w.published.duckdb")) == _tables(clean.with_name("w.published.duckdb"))
    with connect(warehouse.with_name("w.published.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fact_report").fetchone()[0] == 2


def _holding(root: Path) -> subprocess.Popen:
    """Another process holding the inbox's stores, as a run that reads them does, until its stdin closes."""
    code = ("import sys\nfrom xxgk.staging import store_lock\n"
            f"with store_lock({str(root)!r}, who='the test run', say=None):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _lines_until(stream, pattern: str, timeout: float) -> list[str]:
    """The lines of `stream` up to the first matching `pattern` (read in a thread; [] if none came in time)."""
    lines, matched, ended = [], threading.Event(), threading.Event()

    def read():
        for line in stream:
            lines.append(line)
            if re.search(pattern, line):
                matched.set()
                break
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    ended.wait(timeout)
    return lines if matched.is_set() else []


def _store_with_a_record(tmp_path: Path, inbox: Path) -> tuple[Path, Path]:
    """The inbox's stores folder (staging beside tmp_path/w.duckdb), with a record a run reading it would hold."""
    root = tmp_path / "staging" / inbox_key(str(inbox))
    record = root / "normalised_documents" / "record.json"
    record.parent.mkdir(parents=True)
    record.write_text("{}")
    return root, record


def test_xxgk_run_waits_while_another_run_holds_the_inbox_and_leaves_its_stores_alone(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES_DIR / TWO_REPORTS[0], inbox)
    root, record = _store_with_a_record(tmp_path, inbox)
    holder = _holding(root)
    run = _start(inbox, tmp_path / "w.duckdb", _fresh_home(tmp_path / "home"))
    said = _lines_until(run.stderr, r"waiting \d+ s for the stores", timeout=120)
    assert said, "the second run did not say it waits"
    assert re.search(rf"waiting \d+ s for the stores of the inbox {re.escape(str(inbox))} \(.*\): in use by pid "
                     rf"{holder.pid}, the test run, since \d\d:\d\d:\d\d", said[-1]), said
    time.sleep(1)
    assert record.read_text() == "{}"  # not cleared while the other run holds it
    holder.communicate("")  # the other run ends
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, (out, err)
    assert "reports loaded:    1" in out
    assert record.read_text() != "{}"  # this run's own


def test_a_launched_run_takes_the_lock_of_the_stores_it_writes(tmp_path):
    """A run launched through Dagster (the UI, a backfill, dg launch: the in-process executor of
    the code location) holds the stores by its staging resource: it waits as xxgk run does."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES_DIR / TWO_REPORTS[0], inbox)
    root, record = _store_with_a_record(tmp_path, inbox)
    holder = _holding(root)
    home = _fresh_home(tmp_path / "home")
    code = ("from dagster import DagsterInstance\nfrom pipelines.definitions import build_definitions\n"
            "result = build_definitions().resolve_job_def('xxgk_inbox').execute_in_process(instance=DagsterInstance.get())\n"
            "print('success' if result.success else 'failure', flush=True)\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "XXGK_DATA_DOCS_ENABLED": "0"}
    env.pop("XXGK_STAGING", None)
    launched = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    said = _lines_until(launched.stdout, r"waiting \d+ s for the stores", timeout=120)
    assert said and f"in use by pid {holder.pid}, the test run" in said[-1], said
    assert record.read_text() == "{}"
    holder.communicate("")
    out, _ = launched.communicate(timeout=300)
    assert launched.returncode == 0 and out.strip().endswith("success"), out
    assert record.read_text() != "{}"


def test_year_runs_share_the_inbox_and_hold_their_year():
    from dagster import AssetKey, DagsterRun

    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    partitioned = {key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).is_partitioned}
    assert partitioned == YEAR_ASSETS

    def run(job: str, assets=None, partition=None) -> DagsterRun:
        return DagsterRun(job_name=job, asset_selection=None if assets is None else {AssetKey(a) for a in assets},
                          tags={"dagster/partition": partition} if partition else {})

    assert store_locks(run("xxgk_inbox")) == (True, None)
    assert store_locks(run("xxgk_year", partition="2023")) == (False, "2023")
    assert store_locks(run("xxgk_annual", partition="2024")) == (True, "2024")
    assert store_locks(run("__ASSET_JOB", ["report_tables", "checked_facts"], "2023")) == (False, "2023")
    assert store_locks(run("__ASSET_JOB", ["normalised_documents"])) == (True, None)
