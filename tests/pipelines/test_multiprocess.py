"""Each step in its own process, outputs passed through the IO manager's stores: what Dagster's
celery, docker and k8s executors need, checked here with the multiprocess executor."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from assets.resources import PROJECT_ROOT
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect


def test_annual_job_runs_with_one_process_per_step(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy([p for p in SAMPLE_FILES if p.suffix == ".pdf"][0], inbox)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {**os.environ, "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0"}
    dagster = Path(sys.executable).with_name("dagster")
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:  # as the annual schedule does before its run
        instance.add_dynamic_partitions("year", ["2024"])
    done = subprocess.run(
        [str(dagster), "job", "execute", "-m", "tests.pipelines.multiprocess_location", "-j", "xxgk_annual",
         "--tags", json.dumps({"dagster/partition": "2024"})],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with DagsterInstance.from_config(str(home)) as instance:  # the run's events (the console shows INFO and up)
        run = instance.get_runs(limit=1)[0]
        engine = [e.message for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_engine_event]
    assert any("Multiprocess executor" in m for m in engine), engine  # a process per step
    assert "read_shard[0000]" in done.stdout + done.stderr  # the reading's shard is a step
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert con.execute("SELECT agency, count(*) FROM v_disclosure_facts GROUP BY agency").fetchall() == [("淮安市洪泽区人民政府", 186)]
