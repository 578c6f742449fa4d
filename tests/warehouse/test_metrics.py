"""The metrics layer (dim_metric, v_metric_inputs, v_metrics) on the BI warehouse of the samples
(tests/bi_fixture.py), each metric against arithmetic done by hand.

The inputs are read out of the hand transcriptions (tests/expected/<sample>.csv) and checked
against the numbers typed here; each expected value below was worked out by hand from them:

- qidong-office-2023: 新收 159, 上年结转 3, 予以公开 42, 部分公开 28, 总计 162; 复议 维持 6, 纠正 0,
  其他 0, 未审结 0, 总计 6; both 诉讼 groups 0; 许可 0, 处罚 0.
- hongze-2024: 新收 95, 上年结转 0, 予以公开 50, 部分公开 9, 总计 95; 复议 1 1 0 0 2; 直接起诉
  1 0 0 0 1; 复议后起诉 2 0 1 0 3; 许可 9487, 处罚 2776.
- dongning-2023: 许可 1772, 处罚 27780; lingdong-2023: 许可 15, 处罚 2; table 三 and 四 all 0 in
  dongning, lingdong, suifenhe and fuxin.
"""
from __future__ import annotations

import pytest

from tests.conftest import expected_cells
from warehouse.loader import connect


@pytest.fixture(scope="module")
def con(bi_warehouse):
    with connect(bi_warehouse["XXGK_WAREHOUSE"], read_only=True) as c:
        yield c


def cell(stem: str, code: str, column: str = "total") -> float:
    """A value of the hand transcription: the 总计 column of table 三, else the row's one value
    of table 四, or the named measure of table 二."""
    frame = expected_cells(stem)
    key = "applicant_type" if code.startswith(("application.", "result.")) else "measure"
    column = column if key == "applicant_type" else ("count" if column == "total" else column)
    (value,) = frame.filter((frame["category_code"] == code) & (frame[key] == column))["value"].to_list()
    return value


def metrics(con, source: str) -> dict[str, tuple]:
    rows = con.execute("""SELECT metric, numerator, denominator, value, metric_status, rank_in_province, ranked_in_province,
                                 rank_in_level, ranked_in_level, previous_value, change
                          FROM v_metrics m JOIN fact_report r USING (agency_id, year) JOIN dim_document d ON d.document_id = r.document_id
                          WHERE d.source_file LIKE ?""", [f"%{source}"]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_qidong_2023_each_metric_by_hand(con):
    new, carried = cell("qidong-office-2023", "application.new_received"), cell("qidong-office-2023", "application.carried_over")
    granted, partial = cell("qidong-office-2023", "result.granted"), cell("qidong-office-2023", "result.partially_granted")
    total = cell("qidong-office-2023", "result.total")
    review = [cell("qidong-office-2023", f"review.{o}") for o in ("upheld", "corrected", "other", "pending", "total")]
    direct = [cell("qidong-office-2023", f"litigation_direct.{o}") for o in ("corrected", "pending", "total")]
    after = [cell("qidong-office-2023", f"litigation_after_review.{o}") for o in ("corrected", "pending", "total")]
    assert (new, carried, granted, partial, total, review, direct, after) == (
        159, 3, 42, 28, 162, [6, 0, 0, 0, 6], [0, 0, 0], [0, 0, 0])
    m = metrics(con, "qidong-office-2023.txt")
    assert m["received"][:4] == (159, None, 159, "ok")
    assert m["accepted_total"][:4] == (162, None, 162, "ok")  # 159 + 3
    assert m["disclosure_rate"][:2] == (70, 162) and m["disclosure_rate"][2] == pytest.approx(0.4320987654)  # (42 + 28) / 162
    assert m["review_correction_rate"][:4] == (0, 6, 0, "ok")  # 0 / (6 - 0)
    assert m["litigation_correction_rate"][:4] == (0, 0, None, "zero_denominator")  # no lawsuit: never a silent 0
    assert m["dispute_rate"][:2] == (6, 159) and m["dispute_rate"][2] == pytest.approx(0.0377358491)  # (6 + 0 + 0) / 159
    assert m["corrected_dispute_rate"][:4] == (0, 159, 0, "ok")  # (0 + 0 + 0) / 159
    assert m["licensing_penalty_ratio"][:4] == (0, 0, None, "zero_denominator")  # 0 licences / 0 penalties


def test_hongze_2024_each_metric_by_hand(con):
    stem = "hongze-2024"
    review = [cell(stem, f"review.{o}") for o in ("upheld", "corrected", "other", "pending", "total")]
    direct = [cell(stem, f"litigation_direct.{o}") for o in ("upheld", "corrected", "other", "pending", "total")]
    after = [cell(stem, f"litigation_after_review.{o}") for o in ("upheld", "corrected", "other", "pending", "total")]
    assert (review, direct, after) == ([1, 1, 0, 0, 2], [1, 0, 0, 0, 1], [2, 0, 1, 0, 3])
    assert [cell(stem, c) for c in ("application.new_received", "application.carried_over", "result.granted",
                                    "result.partially_granted", "result.total")] == [95, 0, 50, 9, 95]
    assert (cell(stem, "active.licensing", "decisions"), cell(stem, "active.penalty", "decisions")) == (9487, 2776)
    m = metrics(con, "hongze-2024.pdf")
    assert m["received"][2:4] == (95, "ok")
    assert m["accepted_total"][2] == 95  # 95 + 0
    assert m["disclosure_rate"][:2] == (59, 95) and m["disclosure_rate"][2] == pytest.approx(0.6210526316)  # (50 + 9) / 95
    assert m["review_correction_rate"][:3] == (1, 2, 0.5)  # 1 / (2 - 0)
    assert m["litigation_correction_rate"][:3] == (0, 4, 0)  # (0 + 0) / ((1 - 0) + (3 - 0))
    assert m["dispute_rate"][:2] == (6, 95) and m["dispute_rate"][2] == pytest.approx(0.0631578947)  # (2 + 1 + 3) / 95
    assert m["corrected_dispute_rate"][:2] == (1, 95) and m["corrected_dispute_rate"][2] == pytest.approx(0.0105263158)  # (1 + 0 + 0) / 95
    assert m["licensing_penalty_ratio"][:2] == (9487, 2776)
    assert m["licensing_penalty_ratio"][2] == pytest.approx(3.4175072046)  # 9487 / 2776
    assert {v[3] for v in m.values()} == {"ok"}


def test_licensing_to_penalty_ranks_within_province_and_level(con):
    assert (cell("dongning-2023", "active.licensing", "decisions"), cell("dongning-2023", "active.penalty", "decisions")) == (1772, 27780)
    assert (cell("lingdong-2023", "active.licensing", "decisions"), cell("lingdong-2023", "active.penalty", "decisions")) == (15, 2)
    dongning, lingdong = metrics(con, "dongning-2023.txt"), metrics(con, "lingdong-2023.txt")
    suifenhe = metrics(con, "suifenhe-business-env-2023.txt")
    # 黑龙江 2023: lingdong 15 / 2 = 7.5 first, dongning 1772 / 27780 = 0.0637868970 second; suifenhe 0 / 0 not ranked
    assert lingdong["licensing_penalty_ratio"][2:8] == (7.5, "ok", 1, 2, 1, 2)
    assert dongning["licensing_penalty_ratio"][2] == pytest.approx(0.0637868970)
    # county level, 2023: the same two (qidong, fuxin and suifenhe print 0 / 0)
    assert dongning["licensing_penalty_ratio"][3:8] == ("ok", 2, 2, 2, 2)
    assert suifenhe["licensing_penalty_ratio"][3:8] == ("zero_denominator", None, None, None, None)


def test_received_ranks_and_ties(con):
    # county level, 2023: qidong 159, the four others 0 (tied second); 江苏 2023 has qidong alone
    assert metrics(con, "qidong-office-2023.txt")["received"][4:8] == (1, 1, 1, 5)
    assert metrics(con, "fuxin-taiping-office-2023.txt")["received"][4:8] == (1, 1, 2, 5)
    assert metrics(con, "dongning-2023.txt")["received"][4:8] == (1, 3, 2, 5)


def test_a_report_with_identity_violations_is_shown_flagged_not_ranked_and_compared_with_last_year(con):
    """qidong 2024 (tests/bi_fixture.py: 167 new, 50 granted, 170 total; 上年结转 3 where 2023 carried 0
    forward: XY_CARRY)."""
    m = metrics(con, "qidong-office-2024.txt")
    assert m["received"] == (167, None, 167, "identity_violations", None, None, None, None, 159, 8)
    assert m["disclosure_rate"][:4] == (78, 170, pytest.approx(78 / 170), "identity_violations")  # (50 + 28) / 170
    assert m["disclosure_rate"][8:] == (pytest.approx(70 / 162), pytest.approx(78 / 170 - 70 / 162))
    # hongze is then 江苏's only ranked report of 2024
    assert metrics(con, "hongze-2024.pdf")["received"][4:8] == (1, 1, 1, 1)


def test_formula_sql_of_dim_metric_is_what_v_metrics_computes(con):
    """The formula shown to people (dim_metric.formula_sql) gives v_metrics.value wherever it is usable."""
    for metric, formula in con.execute("SELECT metric, formula_sql FROM dim_metric").fetchall():
        by_formula = dict(con.execute(f"SELECT agency_id || year, {formula} FROM v_metric_inputs").fetchall())
        for key, value in con.execute("SELECT agency_id || year, value FROM v_metrics WHERE metric = ? AND value IS NOT NULL",
                                      [metric]).fetchall():
            assert by_formula[key] == pytest.approx(value), (metric, key)


def test_every_metric_says_what_it_does_not_mean(con):
    rows = con.execute("SELECT metric, label, unit, cells, does_not_mean, does_not_mean_en FROM dim_metric ORDER BY sort_order").fetchall()
    assert [r[0] for r in rows] == ["received", "accepted_total", "disclosure_rate", "review_correction_rate",
                                    "litigation_correction_rate", "dispute_rate", "corrected_dispute_rate",
                                    "licensing_penalty_ratio"]
    assert all(r[4] and r[5] and r[3] for r in rows)
    ratio = next(r for r in rows if r[0] == "licensing_penalty_ratio")
    assert "不是对营商环境的评判" in ratio[4] and "not a verdict on the business climate" in ratio[5]
    assert con.execute("SELECT count(*), count(DISTINCT (agency_id, year)) FROM v_metrics").fetchone() == (7 * 8, 7)
