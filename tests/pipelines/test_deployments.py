"""A warehouse is a deployment (assets/deployment.py): its folder holds its Dagster instance and
the settings `xxgk run` was given, and whatever launches a run for it -- a backfill, the
schedule, a sensor, the UI -- reads that inbox and writes that warehouse, on that instance.

The issue: after `xxgk run --inbox ~/reports --warehouse ~/xxgk.duckdb`, the README's
`dagster job backfill -j xxgk_year --partitions 2023` ran with an empty run config, read
xxgk/samples and wrote warehouse/xxgk.duckdb; and every warehouse shared the project folder's
instance, so one UI blended the runs, partitions and checks of all of them."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from assets.deployment import HOME_FOLDER, HOME_POINTER, SETTINGS_FILE, read_settings
from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect

BIN = Path(sys.executable).parent
DONGNING = next(p for p in SAMPLE_FILES if "dongning" in p.name)
QIDONG = next(p for p in SAMPLE_FILES if "qidong" in p.name)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a process started for a warehouse: no DAGSTER_HOME, no XXGK_* set
    by the shell, but what `extra` gives."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME" and not k.startswith("XXGK_")}
    return {**env, "XXGK_WORKERS": "1", **extra}


def _xxgk_run(*argv: str, **env: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in [k for k in os.environ if k == "DAGSTER_HOME" or k.startswith("XXGK_")]:
            mp.delenv(name)
        for k, v in {"XXGK_DATA_DOCS_ENABLED": "0", "XXGK_WORKERS": "1", **env}.items():
            mp.setenv(k, v)
        with redirect_stdout(out), redirect_stderr(err):
            rc = main(["run", *argv])
    return rc, out.getvalue(), err.getvalue()


def _inbox(root: Path, name: str, reports: dict[str, str]) -> Path:
    inbox = root / name
    inbox.mkdir()
    for file, text in reports.items():
        (inbox / file).write_text(text, encoding="utf-8")
    return inbox


def _instance(home: Path):
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(home))


def _runs(home: Path) -> list[tuple[str, str | None, str]]:
    """(job, partition, warehouse of its run config or '') of every run of the instance."""
    with _instance(home) as instance:
        return sorted((r.job_name, r.tags.get("dagster/partition"),
                       r.run_config.get("resources", {}).get("duckdb", {}).get("config", {}).get("database", ""))
                      for r in instance.get_runs())


def _reports(warehouse: Path) -> list[tuple]:
    with connect(warehouse.with_name(warehouse.stem + ".published.duckdb"), read_only=True) as con:
        return con.execute("SELECT year, agency_name FROM fact_report JOIN dim_agency USING (agency_id) ORDER BY 1, 2").fetchall()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """Two warehouses made as the README says, each from an inbox of its own: A from dongning's
    2023 report, B from qidong's report re-dated 2021 (a year A does not have)."""
    root = tmp_path_factory.mktemp("deployments")
    a_inbox = _inbox(root, "reports-a", {DONGNING.name: DONGNING.read_text(encoding="utf-8")})
    b_inbox = _inbox(root, "reports-b", {"qidong-2021.txt": QIDONG.read_text(encoding="utf-8").replace("2023", "2021")})
    made = {}
    for name, inbox in (("a", a_inbox), ("b", b_inbox)):
        folder = root / f"warehouse-{name}"
        # A named by its DuckDB file (the form), B by its folder
        given = folder / "xxgk.duckdb" if name == "a" else folder
        rc, out, err = _xxgk_run("--inbox", str(inbox), "--warehouse", str(given))
        assert rc == 0, out + err
        assert f"xxgk ui --warehouse {folder}" in out
        made[name] = {"inbox": inbox, "folder": folder, "warehouse": folder / "xxgk.duckdb", "home": folder / HOME_FOLDER}
    return made


def test_a_warehouse_folder_holds_its_instance_and_settings(warehouses):
    for _name, w in warehouses.items():
        folder = w["folder"]
        assert {p.name for p in folder.iterdir()} >= {"xxgk.duckdb", "xxgk.published.duckdb", "staging", "archive", "overview",
                                                      HOME_FOLDER, SETTINGS_FILE}
        settings = read_settings(folder)
        assert settings["inbox"] == str(w["inbox"]) and settings["database"] == "xxgk.duckdb"
        assert settings["data_docs_enabled"] is False  # set by a variable when it was made: recorded
        assert (w["home"] / "dagster.yaml").read_bytes() == (PROJECT_ROOT / "dagster.yaml").read_bytes()
        assert (w["home"] / HOME_POINTER).read_text().strip() == str(w["warehouse"])


def test_each_instance_holds_only_its_own_runs_and_partitions(warehouses):
    """Finding 2: two warehouses, two inboxes; each one's instance holds only its runs and years."""
    a, b = warehouses["a"], warehouses["b"]
    for w, year in ((a, "2023"), (b, "2021")):
        runs = _runs(w["home"])
        assert runs == [("xxgk_inbox", None, str(w["warehouse"])), ("xxgk_year", year, str(w["warehouse"]))], runs
        with _instance(w["home"]) as instance:
            assert instance.get_dynamic_partitions("year") == [year]
    assert _reports(a["warehouse"]) == [(2023, "东宁市人民政府")]
    assert _reports(b["warehouse"]) == [(2021, "启东市人民政府办公室")]


def _code_location(home: Path, code: str) -> str:
    """`code` run where the code location is loaded as the daemon, a run worker or Dagster's own
    commands load it: in the project folder, with DAGSTER_HOME and nothing else of ours."""
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=_clean_env(DAGSTER_HOME=str(home)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


SENSOR_AND_RESOURCES = """
import json
from dagster import DagsterInstance, build_resources, build_sensor_context
from pipelines.definitions import defs
from pipelines.sensors import inbox_sensor
loaded = defs()
with build_resources({k: v for k, v in loaded.resources.items() if k != "io_manager"}) as r, DagsterInstance.get() as instance:
    result = inbox_sensor.evaluate_tick(build_sensor_context(instance=instance, resources={"inbox": r.inbox}))
    print(json.dumps({"inbox": r.inbox.path, "warehouse": r.duckdb.database, "staging": r.staging.root,
                      "archive": str(r.duckdb.archive_folder), "overview": r.overview.path,
                      "sensor_runs": len(result.run_requests)}))
"""


def test_the_code_location_on_a_warehouse_instance_serves_that_warehouse(warehouses):
    """What a backfill, the schedule, a sensor or the UI's Materialize runs with: the code location
    loaded with only DAGSTER_HOME set, its resources' defaults -- the sensor's inbox too."""
    from assets.resources import inbox_key

    for w in warehouses.values():
        got = json.loads(_code_location(w["home"], SENSOR_AND_RESOURCES))
        assert got == {"inbox": str(w["inbox"]), "warehouse": str(w["warehouse"]),
                       "staging": str(w["folder"] / "staging" / inbox_key(str(w["inbox"]))),
                       "archive": str(w["folder"] / "archive"), "overview": str(w["folder"] / "overview"),
                       "sensor_runs": 1}


def test_a_run_launched_with_an_empty_run_config_writes_its_instances_warehouse(warehouses):
    """Finding 1: a run of the year job launched as Dagster's own commands launch it (empty run
    config, the process's environment naming only the warehouse's instance) reads A's inbox and
    writes A: the report of A's inbox, in A's archive, recorded in A's instance alone."""
    a, b = warehouses["a"], warehouses["b"]
    b_runs = _runs(b["home"])
    done = subprocess.run([str(BIN / "dg"), "launch", "--job", "xxgk_year", "--partition", "2023"],
                          cwd=PROJECT_ROOT, env=_clean_env(DAGSTER_HOME=str(a["home"])), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with _instance(a["home"]) as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.run_config == {} and run.status.value == "SUCCESS"
        events = instance.get_latest_materialization_events
        tables = events([_key("report_tables")])[_key("report_tables")].asset_materialization.metadata["counts"].value
        archived = events([_key("warehouse_facts")])[_key("warehouse_facts")].asset_materialization.metadata["archived"].value
    assert tables.startswith("documents 1, reports 1,"), tables  # A's inbox: one report (the samples hold five)
    assert archived == f"1 of 1 in {a['folder'] / 'archive'}"
    assert _reports(a["warehouse"]) == [(2023, "东宁市人民政府")]
    assert _runs(b["home"]) == b_runs


def _key(name: str):
    from dagster import AssetKey

    return AssetKey(name)


@pytest.fixture
def daemon():
    """`dagster-daemon run` for a warehouse's instance, as `xxgk ui` starts it (with the UI)."""
    started = []

    def start(home: Path) -> subprocess.Popen:
        log = open(home / "daemon.log", "w")
        proc = subprocess.Popen([str(BIN / "dagster-daemon"), "run"], cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env=_clean_env(DAGSTER_HOME=str(home)), start_new_session=True)
        started.append((proc, log))
        return proc

    yield start
    for proc, log in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_a_backfill_for_one_warehouse_runs_in_its_instance_and_writes_only_it(warehouses, tmp_path, daemon):
    """Finding 2's backfill: `dagster job backfill` queued in B's instance (DAGSTER_HOME from
    `xxgk home --warehouse B`), run by B's daemon: B's year loaded again from B's inbox; A's
    instance and warehouse unchanged."""
    a, b = warehouses["a"], warehouses["b"]
    a_runs, a_facts = _runs(a["home"]), _reports(a["warehouse"])
    a_bytes = a["warehouse"].read_bytes()
    home = subprocess.run([str(BIN / "xxgk"), "home", "--warehouse", str(b["folder"])], env=_clean_env(), capture_output=True,
                          text=True, timeout=300)
    assert home.returncode == 0 and home.stdout.strip() == str(b["home"]), home.stderr
    queued = subprocess.run([str(BIN / "dagster"), "job", "backfill", "-j", "xxgk_year", "--partitions", "2021", "--noprompt"],
                            cwd=PROJECT_ROOT, env=_clean_env(DAGSTER_HOME=home.stdout.strip()), capture_output=True, text=True,
                            timeout=300)
    assert queued.returncode == 0, queued.stderr[-3000:]
    proc = daemon(b["home"])
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with _instance(b["home"]) as instance:
            backfilled = [r for r in instance.get_runs() if r.tags.get("dagster/backfill")]
            if backfilled and backfilled[0].is_finished:
                break
        assert proc.poll() is None, (b["home"] / "daemon.log").read_text()[-3000:]
        time.sleep(2)
    assert backfilled and backfilled[0].status.value == "SUCCESS", (b["home"] / "daemon.log").read_text()[-3000:]
    assert backfilled[0].run_config == {} and backfilled[0].tags["dagster/partition"] == "2021"
    with _instance(b["home"]) as instance:
        loaded = instance.get_latest_materialization_event(_key("warehouse_facts"))
        assert loaded.run_id == backfilled[0].run_id
        assert loaded.asset_materialization.metadata["archived"].value == f"1 of 1 in {b['folder'] / 'archive'}"
    assert _reports(b["warehouse"]) == [(2021, "启东市人民政府办公室")]
    assert _runs(a["home"]) == a_runs and _reports(a["warehouse"]) == a_facts
    assert a["warehouse"].read_bytes() == a_bytes
    with _instance(a["home"]) as instance:
        assert instance.get_backfills() == []


def test_one_instance_serves_one_warehouse(warehouses, tmp_path):
    """A Dagster home bound to A, given as DAGSTER_HOME to a run of another warehouse, is refused
    in one line before any work; so is a second DuckDB file in A's folder."""
    a = warehouses["a"]
    rc, out, err = _xxgk_run("--inbox", str(DONGNING), "--warehouse", str(tmp_path / "c"), DAGSTER_HOME=str(a["home"]))
    assert rc == 1 and out == ""
    assert err.strip() == (f"xxgk: the Dagster home {a['home']} is the instance of the warehouse {a['warehouse']}, not of "
                           f"{tmp_path / 'c' / 'xxgk.duckdb'}: each warehouse keeps its own (runs, partitions and checks of two "
                           f"would mix in one UI); unset DAGSTER_HOME, or set it to {tmp_path / 'c' / HOME_FOLDER}")
    assert not (tmp_path / "c").exists()
    rc, out, err = _xxgk_run("--inbox", str(DONGNING), "--warehouse", str(a["folder"] / "other.duckdb"))
    assert rc == 1 and "one warehouse per folder: give other.duckdb a folder of its own" in err
    # the code location refuses it too (Dagster's own commands with a mismatched XXGK_WAREHOUSE)
    done = subprocess.run([sys.executable, "-c", "from pipelines.definitions import defs; defs()"], cwd=PROJECT_ROOT,
                          env=_clean_env(DAGSTER_HOME=str(a["home"]), XXGK_WAREHOUSE=str(tmp_path / "d")),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and f"is the instance of the warehouse {a['warehouse']}" in done.stderr


def test_a_new_inbox_for_a_warehouse_is_recorded_and_said(warehouses, tmp_path):
    """`xxgk run --inbox NEW --warehouse A` makes NEW the inbox A's sensor and schedule read,
    and says so; plain `xxgk run --warehouse A` then reads it."""
    a = warehouses["a"]
    later = _inbox(tmp_path, "later", {DONGNING.name: DONGNING.read_text(encoding="utf-8")})
    rc, out, err = _xxgk_run("--inbox", str(later), "--warehouse", str(a["folder"]))
    assert rc == 0, err
    assert f"the warehouse {a['folder']} now reads the inbox {later} (was {a['inbox']})" in out
    assert read_settings(a["folder"])["inbox"] == str(later)
    rc, out, err = _xxgk_run("--warehouse", str(a["folder"]))
    assert rc == 0 and f"reading the inbox {later}" in out and "now reads" not in out, out + err
    shutil.rmtree(later)
    rc, out, err = _xxgk_run("--inbox", str(a["inbox"]), "--warehouse", str(a["folder"]))  # as it was, for the others
    assert rc == 0, err


def test_the_ui_serves_the_warehouses_settings_not_the_shells(warehouses, tmp_path):
    """`xxgk ui --warehouse A` from a shell whose XXGK_INBOX names another folder: the UI, its
    daemon and code server get A's home and DuckDB file, and not that variable (the code
    location reads A's inbox from its settings); `xxgk home` prints A's home."""
    from pipelines.ui import _for_the_ui, deployment_of, ui_environment

    a = warehouses["a"]
    shell = _clean_env(XXGK_INBOX=str(tmp_path / "elsewhere"), XXGK_WORKERS="2")
    deployment, ignored = _for_the_ui(deployment_of(str(a["folder"]), shell))
    assert ignored == [f"XXGK_INBOX={tmp_path / 'elsewhere'} ignored: the warehouse {a['folder']} has inbox "
                       f"{read_settings(a['folder'])['inbox']} (xxgk.yaml)"]
    env = ui_environment(deployment)
    assert env["DAGSTER_HOME"] == str(a["home"]) and env["XXGK_WAREHOUSE"] == str(a["warehouse"])
    assert "XXGK_INBOX" not in env and env["XXGK_WORKERS"] == "2"
    assert deployment.values()["inbox"] == read_settings(a["folder"])["inbox"]
    done = subprocess.run([str(BIN / "xxgk"), "home", "--warehouse", str(a["folder"])], env=shell, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == str(a["home"]), done.stderr


def test_export_and_retract_take_a_warehouse_by_its_folder(warehouses, tmp_path):
    a = warehouses["a"]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export", "--to", "csv", "--warehouse", str(a["folder"]), "--out", str(tmp_path / "csv")]) == 0
    assert f"exporting {a['warehouse']} as csv" in out.getvalue()
    assert (tmp_path / "csv" / "v_disclosure_facts.csv").is_file()


def test_a_warehouse_moved_to_another_folder_keeps_its_inbox_and_takes_its_home(warehouses, tmp_path):
    """A warehouse's folder copied elsewhere: its settings read the same inbox, and its own home
    (dagster_home/ in it) serves it there, its history with it."""
    a = warehouses["a"]
    moved = tmp_path / "moved"
    shutil.copytree(a["folder"], moved)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out):
        for name in [k for k in os.environ if k == "DAGSTER_HOME" or k.startswith("XXGK_")]:
            mp.delenv(name)
        assert main(["home", "--warehouse", str(moved)]) == 0
    assert out.getvalue().strip() == str(moved / HOME_FOLDER)
    assert (moved / HOME_FOLDER / HOME_POINTER).read_text().strip() == str(moved / "xxgk.duckdb")
    assert read_settings(moved)["inbox"] == read_settings(a["folder"])["inbox"]
    assert [job for job, _, _ in _runs(moved / HOME_FOLDER)] == [job for job, _, _ in _runs(a["home"])]
