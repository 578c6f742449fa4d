"""The identity gates in the graph: a wrong total is loaded, recorded, and shown alike in the
warehouse, in the Dagster instance (what the UI shows) and in the run summary."""
import shutil

import polars as pl
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from assets.quality import REPORT_IDENTITIES
from pipelines.cli import main
from pipelines.resources import PROJECT_ROOT
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect

QIDONG = [p for p in SAMPLE_FILES if "qidong" in p.name][0]


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gates")
    inbox = root / "inbox"
    inbox.mkdir()
    text = QIDONG.read_text(encoding="utf-8")
    assert "(七)總計(jì)\n\n162\n" in text
    # one wrong printed total: (七)总计, natural person, 162 -> 163
    (inbox / "qidong-wrong-total.txt").write_text(text.replace("(七)總計(jì)\n\n162\n", "(七)總計(jì)\n\n163\n"), encoding="utf-8")
    shutil.copy([p for p in SAMPLE_FILES if "suifenhe" in p.name][0], inbox)
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(root / "w.duckdb"), "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS": str(root / "docs")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        import io
        from contextlib import redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["run"]) == 0
        checks = {}
        with DagsterInstance.get() as instance:
            for name in REPORT_IDENTITIES:
                record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                    [AssetCheckKey(AssetKey("checked_facts"), name)])[AssetCheckKey(AssetKey("checked_facts"), name)]
                metadata = record.evaluation.metadata
                checks[name] = (record.partition, record.evaluation.passed, metadata["violations"].value,
                                metadata["findings"].value)
    return env, out.getvalue(), checks


def test_warehouse_records_exactly_the_broken_identities(broken_run):
    env, _, _ = broken_run
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        rows = con.execute("""SELECT a.agency_name, v.identity, v.scope, v.expected, v.printed
                              FROM fact_identity_violation v JOIN dim_agency a USING (agency_id) ORDER BY 2, 3""").fetchall()
        facts = con.execute("""SELECT value FROM v_disclosure_facts WHERE category_code = 'result.total'
                               AND applicant_type = 'natural_person' AND agency = '启东市人民政府办公室'""").fetchall()
        status = dict(con.execute("SELECT a.agency_name, quality_status FROM fact_report JOIN dim_agency a USING (agency_id)").fetchall())
    assert rows == [
        ("启东市人民政府办公室", "T3_APPLICANT_SUM", "row result.total", 163.0, 162.0),
        ("启东市人民政府办公室", "T3_BALANCE", "column natural_person", 162.0, 163.0),
        ("启东市人民政府办公室", "T3_RESULTS_SUM", "column natural_person", 162.0, 163.0),
    ]
    assert facts == [(163.0,)]  # loaded as printed, never "fixed"
    assert status == {"启东市人民政府办公室": "violations", "绥芬河市营商环境建设监督局": "passed"}


def test_dagster_checks_agree_with_the_warehouse(broken_run):
    env, _, checks = broken_run
    assert {name: check[:3] for name, check in checks.items()} == {
        "T3_BALANCE": ("2023", False, 1),
        "T3_RESULTS_SUM": ("2023", False, 1),
        "T3_APPLICANT_SUM": ("2023", False, 1),
        "T3_OTHER_SUM": ("2023", True, 0),
        "T4_GROUP_SUM": ("2023", True, 0),
        "NON_NEGATIVE": ("2023", True, 0),
    }
    # what the UI shows for each check is, finding for finding, what the warehouse holds
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        for name, (_, _, _, findings) in checks.items():
            stored = con.execute(
                """SELECT v.document_id, a.agency_name, v.year, v.scope, v.expected, v.printed FROM fact_identity_violation v
                   JOIN dim_agency a USING (agency_id) WHERE v.identity = ? ORDER BY v.scope""", [name]).fetchall()
            shown = sorted((f["document_id"], f["agency"], f["year"], f["scope"], f["expected"], f["printed"]) for f in findings)
            assert shown == stored, name


def test_run_summary_lists_the_violations(broken_run):
    _, output, _ = broken_run
    assert "identity violations: 3" in output
    assert "T3_BALANCE [column natural_person]: expected 162, printed 163" in output


def test_a_fault_of_the_extraction_blocks_the_load_of_its_year(tmp_path, monkeypatch):
    """cells_well_formed is a blocking check: when it fails, nothing of that year is written."""
    import assets.quality

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(QIDONG, inbox)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    for k, v in {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"), "DAGSTER_HOME": str(home),
                 "XXGK_DATA_DOCS_ENABLED": "0"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(assets.quality, "structural_problems", lambda cells: ["2 cells extracted twice (a parser fault)"])
    assert main(["run"]) == 1
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM v_disclosure_facts").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM fact_report").fetchone() == (0,)
    with DagsterInstance.get() as instance:
        key = AssetCheckKey(AssetKey("report_tables"), "cells_well_formed")
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        assert (record.partition, record.evaluation.passed) == ("2023", False)
        assert "extracted twice" in record.evaluation.metadata["problems"].value


def test_duplicated_or_unknown_cells_are_structural_problems():
    from assets.quality import structural_problems
    from tests.expectations.gate_samples import sample_cells

    cells = sample_cells("dongning-2023.txt")
    assert structural_problems(cells) == []
    doubled = pl.concat([cells, cells.head(2)])
    assert structural_problems(doubled)[0].startswith("2 cells extracted twice")
    unknown = cells.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("result.made_up")).otherwise(pl.col("category_code")).alias("category_code"))
    assert structural_problems(unknown) == ["category codes not in categories.csv: ['result.made_up']"]
