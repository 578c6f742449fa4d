"""Dagster's own commands, run in the project folder with no DAGSTER_HOME and no -m: `dg` finds
the code location in pyproject.toml, `dagster asset materialize` in the activated venv
(DAGSTER_MODULE_NAME, set by .venv/bin/activate), both the instance of the default warehouse
(warehouse/dagster_home) in .env, written by `make setup` with that home, so a year materialized
by `dagster asset materialize` finds the inbox that `dg launch` read, and both write the default
warehouse: the code location serves the warehouse whose instance it runs on."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from assets.resources import PROJECT_ROOT
from tests.conftest import SAMPLE_FILES, expected_reports
from warehouse.loader import connect

BIN = Path(sys.executable).parent
DONGNING = next(p for p in SAMPLE_FILES if "dongning" in p.name)


def test_dg_launch_and_dagster_asset_materialize_from_the_project_folder(tmp_path):
    project = tmp_path / "project"  # a checkout of the project: its configuration files
    project.mkdir()
    for name in ("pyproject.toml", "dagster.yaml", "Makefile"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DAGSTER_HOME", "DAGSTER_MODULE_NAME", "VIRTUAL_ENV") and not k.startswith("XXGK_")}
    made = subprocess.run(["make", "--no-print-directory", f"VENV={BIN.parent}", ".env"], cwd=project, env=env,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    home = project / "warehouse" / "dagster_home"
    assert (home / "dagster.yaml").is_file() and (home / "xxgk-warehouse").read_text().strip() == str(
        project / "warehouse" / "xxgk.duckdb")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DONGNING, inbox / DONGNING.name)
    env |= {"XXGK_INBOX": str(inbox), "XXGK_DATA_DOCS_ENABLED": "0"}
    run = {"cwd": project, "env": env, "capture_output": True, "text": True, "timeout": 600}

    read = subprocess.run([str(BIN / "dg"), "launch", "--job", "xxgk_inbox"], **run)
    assert read.returncode == 0, read.stderr[-3000:]
    # the README's command as typed in a shell where .venv is activated
    plain = "dagster asset materialize --select report_tables,checked_facts,warehouse_facts --partition 2023"
    year = subprocess.run(["bash", "-c", f'. "{BIN / "activate"}" && {plain}'], **run)
    assert year.returncode == 0, year.stderr[-3000:]

    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:  # the default warehouse's instance, not a temporary one
        jobs = sorted(r.job_name for r in instance.get_runs())
        assert len(jobs) == 2 and jobs[-1] == "xxgk_inbox" and jobs[0].startswith("__ASSET_JOB"), jobs
    assert not list(project.glob(".tmp_dagster_home_*"))
    with connect(project / "warehouse" / "xxgk.duckdb", read_only=True) as con:
        cells = con.execute("SELECT count(*) FROM v_disclosure_facts WHERE year = 2023").fetchone()[0]
    assert cells == int(expected_reports()[DONGNING.name]["cells"])
