"""The identity gates in the graph: a wrong total is loaded, recorded, and shown alike in the
warehouse, in the Dagster instance (what the UI shows) and in the run summary."""
import shutil
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from assets.identity_checks import CHECKS
from assets.partitions import year_partitions
from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect

QIDONG = [p for p in SAMPLE_FILES if "qidong" in p.name][0]


HONGZE = next(p for p in SAMPLE_FILES if p.suffix == ".pdf")
PARTITIONED = ("report_tables", "checked_facts", "warehouse_facts")


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    """A 2023 with one wrong total, then a 2024 that adds up, loaded in that order: the year
    that loads last passes, the checks must still show 2023's failure."""
    root = tmp_path_factory.mktemp("gates")
    inbox = root / "inbox"
    inbox.mkdir()
    text = QIDONG.read_text(encoding="utf-8")
    assert "(七)總計(jì)\n\n162\n" in text
    # one wrong printed total: (七)总计, natural person, 162 -> 163
    (inbox / "qidong-wrong-total.txt").write_text(text.replace("(七)總計(jì)\n\n162\n", "(七)總計(jì)\n\n163\n"), encoding="utf-8")
    shutil.copy([p for p in SAMPLE_FILES if "suifenhe" in p.name][0], inbox)
    shutil.copy(HONGZE, inbox)
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
            for name in CHECKS:
                key = AssetCheckKey(AssetKey("warehouse_facts"), name)
                record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
                if record.status.value == "PLANNED":  # planned, never evaluated, its run ended well: the UI says skipped
                    assert instance.get_run_by_id(record.run_id).is_success
                    checks[name] = ("skipped", None, None, [], record.run_id, {})
                    continue
                metadata = record.evaluation.metadata
                checks[name] = (record.evaluation.passed, metadata["findings"].value, metadata["years with findings"].value,
                                metadata["findings (first 100)"].value, record.run_id, metadata)
            materializations = {
                asset: [(r.partition_key, r.asset_materialization.metadata)
                        for r in instance.fetch_materializations(AssetKey(asset), limit=10).records]
                for asset in PARTITIONED}
            last_load = instance.fetch_materializations(AssetKey("warehouse_facts"), limit=1).records[0]
    return env, out.getvalue(), checks, materializations, last_load


def test_warehouse_records_exactly_the_broken_identities(broken_run):
    env, *_ = broken_run
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
    assert status == {"启东市人民政府办公室": "violations", "绥芬河市营商环境建设监督局": "passed", "淮安市洪泽区人民政府": "passed"}


def test_dagster_checks_agree_with_the_warehouse(broken_run):
    env, _, checks, _, last_load = broken_run
    assert {name: check[:3] for name, check in checks.items()} == {
        "T3_BALANCE": (False, 1, "2023"),
        "T3_RESULTS_SUM": (False, 1, "2023"),
        "T3_APPLICANT_SUM": (False, 1, "2023"),
        "T3_OTHER_SUM": (True, 0, "none"),
        "T4_GROUP_SUM": (True, 0, "none"),
        "NON_NEGATIVE": (True, 0, "none"),
        "extraction_complete": (True, 0, "none"),
        # no agency with two consecutive years: nothing to check is skipped, neither a pass nor a failure
        "XY_CARRY": ("skipped", None, None),
    }
    assert last_load.asset_materialization.metadata["checks skipped"].value == \
        "XY_CARRY: no agency has reports of two consecutive years"
    # what the UI shows for each check is, finding for finding, what the warehouse holds
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        for name, (_, _, _, findings, *_) in checks.items():
            if name == "extraction_complete":
                continue
            stored = con.execute(
                """SELECT v.document_id, a.agency_name, v.year, v.scope, v.expected, v.printed FROM fact_identity_violation v
                   JOIN dim_agency a USING (agency_id) WHERE v.identity = ? ORDER BY v.scope""", [name]).fetchall()
            shown = sorted((f["document_id"], f["agency"], f["year"], f["scope"], f["expected"], f["printed"]) for f in findings)
            assert shown == stored, name


def test_a_failed_year_stays_failed_after_another_year_loads(broken_run):
    """Issue: the overview showed the checks of the latest materialization (2024, all passed)
    while 2023 had failed. Every check result now covers every year loaded."""
    _, _, checks, _, last_load = broken_run
    assert last_load.partition_key == "2024"
    for name in ("T3_BALANCE", "T3_RESULTS_SUM", "T3_APPLICANT_SUM"):
        passed, _, years, _, run_id, metadata = checks[name]
        assert run_id == last_load.run_id and not passed and years == "2023"
        assert "| 2023 | 2 | 1 |" in metadata["by year"].value and "| 2024 | 1 | 0 |" in metadata["by year"].value


def test_partitioned_assets_have_no_metadata_to_plot_across_years(broken_run):
    """Dagster plots numeric metadata as one series over materializations: for a partitioned
    asset that mixes years (2023's violations, then 2024's). None is numeric."""
    from dagster import FloatMetadataValue, IntMetadataValue

    for asset, events in broken_run[3].items():
        assert {p for p, _ in events} == {"2023", "2024"}, asset
        for partition, metadata in events:
            numeric = [k for k, v in metadata.items() if isinstance(v, (IntMetadataValue, FloatMetadataValue))]
            assert numeric == [], (asset, partition, numeric)


def test_the_year_links_its_data_docs(broken_run):
    for partition, metadata in broken_run[3]["checked_facts"]:
        link = metadata["data docs"].value
        assert link.startswith("file://") and link.endswith(f"/docs/{partition}/index.html")
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        assert Path(url2pathname(urlparse(link).path)).is_file()


def test_check_descriptions_give_the_equation_in_words_and_chinese_labels():
    import csv

    from assets.identity_checks import DESCRIPTIONS
    from pipelines.definitions import build_definitions

    specs = {s.name: s for s in build_definitions().get_assets_def("warehouse_facts").check_specs}
    assert set(specs) == set(CHECKS)
    with open(PROJECT_ROOT / "xxgk" / "spec" / "categories.csv", encoding="utf-8") as fh:
        labels = " ".join(row["label_2021_format"] for row in csv.DictReader(fh))
    for name, spec in specs.items():
        assert spec.description == DESCRIPTIONS[name] and "spec/identities.md" not in spec.description
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.description), name
    # the Chinese labels quoted are the report's own
    for fragment in ("一、本年新收", "二、上年结转", "（七）总计", "四、结转下年度继续办理", "（一）予以公开", "（六）其他处理",
                     "结果维持", "结果纠正", "其他结果", "尚未审结"):
        assert fragment in labels and any(fragment in d for d in DESCRIPTIONS.values()), fragment


def test_a_year_without_reports_is_not_materialized_and_checks_nothing(broken_run):
    """Issue 15: a backfill of a year the inbox holds nothing of (2022) turned green, every check
    passed. 2022 is no partition (reading the inbox made its years, 2023 and 2024, the
    partitions): Dagster refuses its run, naming it. Made a partition anyway (as the annual
    schedule adds the year it loads), its run loads nothing and says so: the year stays
    missing, and no check is evaluated, so none shows as passed on nothing."""
    import logging

    from pipelines.definitions import build_definitions

    env = broken_run[0]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        with DagsterInstance.get() as instance:
            assert sorted(instance.get_dynamic_partitions("year")) == ["2023", "2024"]
            job = build_definitions().resolve_job_def("xxgk_year")
            with pytest.raises(Exception, match="2022"):
                job.execute_in_process(instance=instance, partition_key="2022")
            instance.add_dynamic_partitions("year", ["2022"])
            result = job.execute_in_process(instance=instance, partition_key="2022", raise_on_error=False)
            assert result.success
            assert result.get_asset_materialization_events() == []
            assert result.get_asset_check_evaluations() == []
            said = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
            assert any("no reports of 2022 in the inbox" in m for m in said), said
            for asset in (*PARTITIONED, "annual_overview"):
                status = instance.get_status_by_partition(AssetKey(asset), ["2022", "2023"], year_partitions)
                assert status["2022"] is None and status["2023"] is not None, (asset, status)
            instance.delete_dynamic_partition("year", "2022")


def test_run_summary_lists_the_violations(broken_run):
    _, output, *_ = broken_run
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


NO_TABLES = "某县人民政府2021年政府信息公开工作年度报告\n一、总体情况\n2021年，我县认真贯彻落实《条例》。\n六、其他需要报告的事项\n无。\n"


def test_a_year_with_nothing_loaded_is_not_materialized(broken_run):
    """Finding 3: a year whose one document is rejected while extracting (no tables) loaded
    nothing but showed green: its rejection is recorded, warehouse_facts and the overview of the
    year are not materialized, and the identity checks (over every year) are not evaluated on it.
    (report_tables and checked_facts are: they say 0 reports and 1 rejected.)"""
    from pipelines.definitions import build_definitions

    env = broken_run[0]
    inbox = Path(env["XXGK_INBOX"]).parent / "inbox-2021"
    inbox.mkdir()
    (inbox / "no-tables-2021.txt").write_text(NO_TABLES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {**env, "XXGK_INBOX": str(inbox), "XXGK_DATA_DOCS_ENABLED": "0"}.items():
            mp.setenv(k, v)
        defs = build_definitions()
        with DagsterInstance.get() as instance:
            assert defs.resolve_job_def("xxgk_inbox").execute_in_process(instance=instance).success
            result = defs.resolve_job_def("xxgk_year").execute_in_process(instance=instance, partition_key="2021",
                                                                          raise_on_error=False)
            assert result.success
            materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
            assert "warehouse_facts" not in materialized and "annual_overview" not in materialized, materialized
            # only the extraction's own check ran (its cells are well formed: none); the identities did not
            assert [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()] == [
                ("report_tables", "cells_well_formed")]
            for asset in ("warehouse_facts", "annual_overview"):
                status = instance.get_status_by_partition(AssetKey(asset), ["2021", "2023"], year_partitions)
                assert status["2021"] is None and status["2023"] is not None, (asset, status)
            instance.delete_dynamic_partition("year", "2021")
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        assert con.execute("SELECT stage, year FROM rejected_document WHERE source_file LIKE '%no-tables-2021.txt'").fetchall() \
            == [("extraction", 2021)]
        assert con.execute("SELECT count(*) FROM fact_report WHERE year = 2021").fetchone() == (0,)


def test_the_data_docs_describe_the_whole_year_in_the_warehouse(tmp_path, monkeypatch):
    """Finding 3: a year loaded from two inboxes (qidong's report with a wrong total, then
    dongning's): the year's Data Docs, written by the second run, describe both documents and
    the first one's violations, not only the last run's report; the second run's own choice and
    findings are its documents' alone."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    text = QIDONG.read_text(encoding="utf-8")
    (first / "qidong-wrong-total.txt").write_text(text.replace("(七)總計(jì)\n\n162\n", "(七)總計(jì)\n\n163\n"), encoding="utf-8")
    shutil.copy(next(p for p in SAMPLE_FILES if "dongning" in p.name), second)
    for name in [k for k in __import__("os").environ if k.startswith("XXGK_") or k == "DAGSTER_HOME"]:
        monkeypatch.delenv(name)
    warehouse = tmp_path / "w"
    for inbox in (first, second):
        assert main(["run", "--inbox", str(inbox), "--warehouse", str(warehouse)]) == 0
    page = (warehouse / "data_docs" / "2023" / "report_identities.html").read_text(encoding="utf-8")
    assert "<b>2</b>documents" in page and "<b>3</b>violations" in page, page[:3000]
    assert "启东市人民政府办公室" in page
    with connect(warehouse / "xxgk.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fact_report WHERE year = 2023").fetchone() == (2,)
        assert con.execute("SELECT count(DISTINCT document_id) FROM fact_identity_violation").fetchone() == (1,)
