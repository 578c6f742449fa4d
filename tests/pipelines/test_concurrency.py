"""Two runs for different years at once, into the same warehouse: no lock error, no lost rows."""
import os
import shutil
import subprocess
import sys

from assets.resources import PROJECT_ROOT
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect


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
