"""Backfill two years, re-run one: the other is untouched; a corrected report joins its year,
and replaces the earlier one when that is retracted."""
import shutil

import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect

QIDONG = [p for p in SAMPLE_FILES if "qidong" in p.name][0]
HONGZE = [p for p in SAMPLE_FILES if p.suffix == ".pdf"][0]
CARRIED_OVER = "上年結(jié)轉(zhuǎn)政府信息公開申請(qǐng)數(shù)量\n\n3\n\n0\n\n0\n\n0\n\n0\n\n0\n\n3\n"
NEW_RECEIVED = "本年新收政府信息公開申請(qǐng)數(shù)量\n\n159\n\n0\n\n0\n\n0\n\n0\n\n0\n\n159\n"


def _year_rows(con, year: int) -> dict[str, list]:
    tables = ["fact_report", "fact_active_disclosure", "fact_application", "fact_review_litigation",
              "fact_extraction_warning", "fact_identity_violation", "dim_document"]
    return {t: sorted(con.execute(f"SELECT * FROM {t} WHERE year = ?", [year]).fetchall(), key=repr) for t in tables}


def _run(env: dict, *args: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["run", *args]) == 0


def test_backfill_two_years_then_rerun_one(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = QIDONG.read_text(encoding="utf-8")
    assert CARRIED_OVER in text and NEW_RECEIVED in text
    shutil.copy(QIDONG, inbox)
    shutil.copy(HONGZE, inbox)
    # the same office's next report: 3 applications carried over, although 2023 carried none forward
    next_year = inbox / "qidong-office-2024.txt"
    next_year.write_text(text.replace("2023", "2024"), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"), "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS_ENABLED": "0"}

    _run(env, "--years", "2023,2024")
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        counts = dict(con.execute("SELECT year, count(*) FROM v_disclosure_facts GROUP BY year").fetchall())
        carry = con.execute("SELECT year, identity, scope, expected, printed FROM fact_identity_violation WHERE identity = 'XY_CARRY' ORDER BY scope").fetchall()
        year_2023 = _year_rows(con, 2023)
    assert counts == {2023: 207, 2024: 207 + 186}  # 200 printed cells and 7 derived result.other
    assert carry == [(2024, "XY_CARRY", "column natural_person", 0.0, 3.0), (2024, "XY_CARRY", "column total", 0.0, 3.0)]

    # a corrected 2024 report arrives as a new file: nothing carried over, all 162 new
    corrected = next_year.read_text(encoding="utf-8").replace(CARRIED_OVER, CARRIED_OVER.replace("\n3\n", "\n0\n"))
    corrected_file = inbox / "qidong-office-2024-corrected.txt"
    corrected_file.write_text(corrected.replace(NEW_RECEIVED, NEW_RECEIVED.replace("\n159\n", "\n162\n")), encoding="utf-8")
    _run(env, "--years", "2024")
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        assert _year_rows(con, 2023) == year_2023
        assert dict(con.execute("SELECT year, count(*) FROM v_disclosure_facts GROUP BY year").fetchall()) == counts
        assert con.execute("SELECT count(*) FROM dim_document WHERE year = 2024").fetchone() == (3,)  # both versions kept
        assert con.execute("SELECT max(versions) FROM fact_report WHERE year = 2024").fetchone() == (2,)
    # the office withdrew the first version: retracted by its file, the corrected one is chosen
    assert main(["retract", str(next_year), "--reason", "corrected by the office", "--by", "tester",
                 "--warehouse", env["XXGK_WAREHOUSE"]]) == 0
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        assert _year_rows(con, 2023) == year_2023
        assert dict(con.execute("SELECT year, count(*) FROM v_disclosure_facts GROUP BY year").fetchall()) == counts
        assert con.execute("SELECT count(*) FROM fact_identity_violation").fetchone() == (0,)
        new = con.execute("""SELECT value, source_file FROM v_disclosure_facts WHERE year = 2024 AND agency = '启东市人民政府办公室'
                             AND category_code = 'application.new_received' AND applicant_type = 'total'""").fetchall()
        assert new == [(162.0, str(corrected_file))]
        assert con.execute("SELECT source_file, retracted_by, reason FROM retraction").fetchall() == [
            (str(next_year), "tester", "corrected by the office")]
        assert con.execute("SELECT status, count(*) FROM dim_document WHERE year = 2024 GROUP BY 1 ORDER BY 1").fetchall() == [
            ("loaded", 2), ("retracted", 1)]


CARRIED_FORWARD = "四、結(jié)轉(zhuǎn)下年度繼續(xù)辦理\n\n0\n\n0\n\n0\n\n0\n\n0\n\n0\n\n0\n"


def test_reloading_a_year_rechecks_the_next_years_carry(tmp_path):
    """2024 carries over 3 that 2023 never carried forward; a corrected 2023 that does clears
    2024's XY_CARRY finding, though only 2023 is loaded again."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = QIDONG.read_text(encoding="utf-8")
    assert CARRIED_FORWARD in text
    this_year = inbox / QIDONG.name
    this_year.write_text(text, encoding="utf-8")
    (inbox / "qidong-office-2024.txt").write_text(text.replace("2023", "2024"), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(tmp_path / "w.duckdb"), "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS_ENABLED": "0"}
    _run(env)
    carry = "SELECT year, scope, expected, printed FROM fact_identity_violation WHERE identity = 'XY_CARRY' ORDER BY scope"
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        assert con.execute(carry).fetchall() == [(2024, "column natural_person", 0.0, 3.0), (2024, "column total", 0.0, 3.0)]

    # 2023 corrected: 3 more received (162) and 3 carried forward, so that it still balances
    fixed = text.replace(NEW_RECEIVED, NEW_RECEIVED.replace("\n159\n", "\n162\n"))
    fixed = fixed.replace(CARRIED_FORWARD, "四、結(jié)轉(zhuǎn)下年度繼續(xù)辦理\n\n3\n\n0\n\n0\n\n0\n\n0\n\n0\n\n3\n")
    this_year.write_text(fixed, encoding="utf-8")
    _run(env, "--years", "2023")
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        forward = con.execute("""SELECT applicant_type, value FROM v_disclosure_facts WHERE year = 2023
                                 AND category_code = 'application.carried_forward' AND value > 0 ORDER BY 1""").fetchall()
        assert forward == [("natural_person", 3.0), ("total", 3.0)]
        assert con.execute("SELECT count(*) FROM fact_identity_violation").fetchone() == (0,)
