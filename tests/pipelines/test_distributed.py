"""The pipeline on a real distributed engine: Celery workers (Redis broker) run every step, the
Dagster instance is on PostgreSQL and the stages' stores on an S3-compatible store (moto's
server). Over an inbox of 200 reports it loads the warehouse the in-process run loads, row for row.

Needs the services of `.ci/services` (CI starts them); skipped without them, except in CI."""
import shutil

import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.fixtures.deployment import deployment, execute, services, write_inbox
from warehouse.loader import connect

PAIRS = 100  # 200 reports: 100 agencies, 2023 and 2024


def _tables(path) -> dict[str, list]:
    with connect(path, read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        # when the bytes were first loaded differs between two runs by design (dim_document.first_loaded)
        return {n: con.execute(f'SELECT COLUMNS(c -> c <> \'first_loaded\') FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def test_celery_postgres_s3_load_the_warehouse_of_the_in_process_run(tmp_path, ci):
    if services() is None:
        if ci:
            pytest.fail("CI must start the services (.ci/services start)")
        pytest.skip("services not running: .ci/services start; eval \"$(.ci/services env)\"")
    inbox = tmp_path / "inbox"
    write_inbox(inbox, PAIRS)
    (inbox / "empty.pdf").write_bytes(b"")  # a rejection, recorded by both

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {"DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_STAGING": str(tmp_path / "staging")}.items():
            mp.setenv(k, v)
        assert main(["run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "in-process.duckdb")]) == 0

    distributed = tmp_path / "distributed.duckdb"
    with deployment(tmp_path / "celery", inbox, distributed, workers=2, shard_size=64) as env:
        execute(env, "xxgk_inbox")
        for year in ("2023", "2024"):
            execute(env, "xxgk_year", year)
        # the stores are in the bucket: the inbox read in four shards of at most 64 files
        import fsspec

        bucket = fsspec.filesystem("s3", endpoint_url=env["FSSPEC_S3_ENDPOINT_URL"], key="testing", secret="testing")
        shards = bucket.glob(env["XXGK_STAGING"].removeprefix("s3://") + "/inbox-*/raw_documents/shard=*")
        assert [s.rsplit("/", 1)[1] for s in sorted(shards)] == ["shard=0000", "shard=0001", "shard=0002", "shard=0003"]

    reference, loaded = _tables(tmp_path / "in-process.duckdb"), _tables(distributed)
    assert len(reference["fact_report"]) == 2 * PAIRS
    assert len(reference["rejected_document"]) == 1
    assert sum(len(rows) for rows in reference.values()) > 2 * PAIRS * 180
    assert loaded.keys() == reference.keys()
    for table in reference:
        assert loaded[table] == reference[table], table
