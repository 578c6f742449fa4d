"""The identity gates in the graph: a wrong total is loaded, recorded, and shown alike in the
warehouse, in the Dagster instance (what the UI shows) and in the run summary."""
import shutil

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
                checks[name] = (record.partition, record.evaluation.passed, record.evaluation.metadata["violations"].value)
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
    _, _, checks = broken_run
    assert checks == {
        "T3_BALANCE": ("2023", False, 1),
        "T3_RESULTS_SUM": ("2023", False, 1),
        "T3_APPLICANT_SUM": ("2023", False, 1),
        "T3_OTHER_SUM": ("2023", True, 0),
        "T4_GROUP_SUM": ("2023", True, 0),
        "NON_NEGATIVE": ("2023", True, 0),
    }


def test_run_summary_lists_the_violations(broken_run):
    _, output, _ = broken_run
    assert "identity violations: 3" in output
    assert "T3_BALANCE [column natural_person]: expected 162, printed 163" in output
