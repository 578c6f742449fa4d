"""Two inboxes, one Dagster instance: each run reads the stores its own inbox wrote (issue:
the year job used to read whichever inbox store was written last)."""
import re
import shutil

import pytest

from assets.resources import PROJECT_ROOT, inbox_key
from pipelines.definitions import build_definitions
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect

PDF = [p for p in SAMPLE_FILES if p.suffix == ".pdf"][0]


def _execute(env: dict, job: str, partition: str | None = None):
    """One run in this process, with `env` as its environment (resources read it when the run starts)."""
    from dagster import DagsterInstance

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        instance = DagsterInstance.get()
        result = build_definitions().resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition)
    assert result.success
    return result


def test_interleaved_runs_of_two_inboxes_each_read_their_own_stores(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for sample in SAMPLE_FILES:
        if sample.suffix == ".txt":
            shutil.copy(sample, first)
    shutil.copy(PDF, second)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    common = {"XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"), "XXGK_DATA_DOCS_ENABLED": "0", "DAGSTER_HOME": str(home),
              "XXGK_STAGING": str(tmp_path / "staging")}
    env = {"first": {**common, "XXGK_INBOX": str(first)}, "second": {**common, "XXGK_INBOX": str(second)}}
    # both inboxes read before either year is loaded: the second's stores are the newest
    for name in ("first", "second"):
        _execute(env[name], "xxgk_inbox")
    documents = {}
    for name, year in (("first", "2023"), ("second", "2024")):
        result = _execute(env[name], "xxgk_year", year)
        # the year's counts are text ("documents 5, reports 5, …"): numbers would plot across years
        counts = result.asset_materializations_for_node("report_tables")[0].metadata["counts"].value
        documents[name] = int(re.search(r"documents (\d+)", counts).group(1))

    assert documents == {"first": 5, "second": 1}
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert dict(con.execute("SELECT year, count(*) FROM fact_report GROUP BY year").fetchall()) == {2023: 5, 2024: 1}
    # one folder of stores per inbox, named by the inbox
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == sorted([inbox_key(str(first)), inbox_key(str(second))])
