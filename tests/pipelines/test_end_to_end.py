"""The whole graph, materialized by `xxgk run` into a temporary DuckDB and Dagster instance."""
import shutil

import polars as pl
import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES, expected_cells, expected_reports
from tests.fixtures.synthetic import make_report

TEMPLATE_2019 = make_report(6, "2019", split_table3_across_pages=True)
from warehouse.loader import connect

VIEW_COLUMNS = ["agency", "year", "format_version", "category_code", "applicant_type", "measure", "value", "printed", "document_id", "source_file"]


@pytest.fixture(scope="module")
def run_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    inbox = root / "inbox"
    inbox.mkdir()
    for path in SAMPLE_FILES:
        shutil.copy(path, inbox / path.name)
    shutil.copy(SAMPLE_FILES[0], inbox / "same-bytes-again.txt")
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "truncated.pdf").write_bytes((inbox / "hongze-2024.pdf").read_bytes()[:5000])
    TEMPLATE_2019.write(inbox / "synthetic-2019-template.pdf")
    (inbox / "meeting-notice.txt").write_text("关于召开2024年安全生产工作会议的通知\n各单位：定于下周召开会议。\n", encoding="utf-8")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(root / "xxgk.duckdb"), "DAGSTER_HOME": str(home),
            "XXGK_DATA_DOCS": str(root / "data_docs")}


@pytest.fixture(scope="module")
def first_run(run_env):
    with pytest.MonkeyPatch.context() as mp:
        for k, v in run_env.items():
            mp.setenv(k, v)
        assert main(["run"]) == 0
    return run_env


def query(env, sql: str) -> list[tuple]:
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        return con.execute(sql).fetchall()


def test_view_holds_every_printed_cell_of_every_sample(first_run):
    with connect(first_run["XXGK_WAREHOUSE"], read_only=True) as con:
        # the contract: these ten columns first, in this order (new columns only after them)
        assert [c[0] for c in con.execute("DESCRIBE v_disclosure_facts").fetchall()][:len(VIEW_COLUMNS)] == VIEW_COLUMNS
        facts = con.sql("SELECT * FROM v_disclosure_facts").pl()
    reports = expected_reports()
    for path in SAMPLE_FILES:
        want = expected_cells(path.stem)
        got = facts.filter(pl.col("source_file").str.ends_with("/" + path.name))
        meta = reports[path.name]
        assert got.select("agency", "year", "format_version").unique().rows() == [(meta["agency"], int(meta["year"]), meta["format_version"])]
        assert got.height == want.height == int(meta["cells"])
        joined = want.join(got, on=["category_code", "applicant_type", "measure"], how="left", nulls_equal=True, suffix="_got")
        mismatched = joined.filter(
            (pl.col("value").fill_null(-1) != pl.col("value_got").fill_null(-1)) | (pl.col("printed").fill_null("∅") != pl.col("printed_got").fill_null("∅"))
        )
        assert mismatched.is_empty(), mismatched


def test_bad_files_are_listed_with_their_reason_and_do_not_stop_the_others(first_run):
    rejected = dict((f.rsplit("/", 1)[-1], r) for f, r in query(first_run, "SELECT source_file, reason FROM rejected_document"))
    assert set(rejected) == {"empty.pdf", "truncated.pdf", "meeting-notice.txt"}
    assert rejected["empty.pdf"] == "empty file (0 bytes)"
    assert rejected["truncated.pdf"].startswith("corrupt or truncated PDF")
    assert rejected["meeting-notice.txt"].startswith("not a government information-disclosure annual report")
    assert query(first_run, "SELECT count(*) FROM fact_report") == [(7,)]


def test_a_2019_template_report_loads_as_format_2019(first_run):
    with connect(first_run["XXGK_WAREHOUSE"], read_only=True) as con:
        got = con.sql("SELECT * FROM v_disclosure_facts WHERE source_file LIKE '%synthetic-2019-template.pdf'").pl()
    assert got.select("agency", "year", "format_version").unique().rows() == [(TEMPLATE_2019.agency, TEMPLATE_2019.year, "2019")]
    want = pl.DataFrame(TEMPLATE_2019.expected).select("category_code", "applicant_type", "measure", "value", "printed")
    assert got.height == want.height
    assert sorted(got.select(want.columns).rows(), key=repr) == sorted(want.rows(), key=repr)


def test_same_bytes_under_two_names_is_one_document(first_run):
    rows = query(first_run, "SELECT source_file, duplicate_files FROM dim_document WHERE duplicate_files IS NOT NULL")
    assert len(rows) == 1 and rows[0][1].endswith("same-bytes-again.txt")


def test_the_same_run_twice_leaves_identical_contents(first_run):
    tables = [t for (t,) in query(first_run, "SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE' ORDER BY 1")]
    before = {t: sorted(query(first_run, f"SELECT * FROM {t}"), key=repr) for t in tables}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in first_run.items():
            mp.setenv(k, v)
        assert main(["run"]) == 0
    after = {t: sorted(query(first_run, f"SELECT * FROM {t}"), key=repr) for t in tables}
    assert after == before
