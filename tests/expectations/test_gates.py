"""The report_identities suite run by Great Expectations on the real samples."""
from __future__ import annotations

import polars as pl
from gate_samples import (
    SAMPLES,
    all_sample_cells,
    cells_of,
    damaged_fuxin,
    sample_cells,
    set_values_after,
    write_variant,
)

from expectations.gates import FINDING_COLUMNS, QUALITY_STATUSES, validate_reports
from xxgk import SAMPLES_DIR


def findings(frame: pl.DataFrame) -> set[tuple]:
    return set(frame.select("identity", "scope", "expected", "printed").iter_rows())


def test_the_six_samples_hold_every_identity():
    gate = validate_reports(all_sample_cells())
    assert gate.violations.is_empty(), gate.violations
    assert gate.success and all(gate.expectation_success.values())
    assert set(gate.expectation_success) == {"T3_BALANCE", "T3_RESULTS_SUM", "T3_OTHER_SUM", "T3_APPLICANT_SUM", "T4_GROUP_SUM", "NON_NEGATIVE"}
    # GX evaluated exactly the complete instances, and nothing else
    assert gate.checked == gate.instances["complete"].sum() > 1000
    assert gate.checked + gate.incomplete.height == gate.instances.height
    status = dict(zip(gate.per_document["agency"], gate.per_document["quality_status"]))
    assert len(status) == len(SAMPLES) and set(status.values()) <= set(QUALITY_STATUSES)
    # fuxin's and dongning's six-zero rows are inferred zeros: every identity left to check holds
    assert (status["启东市人民政府办公室"] == status["绥芬河市营商环境建设监督局"] == status["淮安市洪泽区人民政府"]
            == status["阜新市太平区人民政府办公室"] == status["东宁市人民政府"] == "passed")
    assert status["岭东区人民政府"] == "incomplete_extraction"  # lingdong prints no 结转下年度 row
    lingdong = gate.per_document.filter(pl.col("agency") == "岭东区人民政府").row(0, named=True)
    assert (lingdong["incomplete_extraction"], lingdong["incomplete_printed_blank"]) == (7, 0)


def test_unplaced_rows_are_reported_incomplete_naming_the_row(tmp_path):
    gate = validate_reports(cells_of(damaged_fuxin(tmp_path)))
    assert gate.violations.is_empty()
    assert list(gate.incomplete.columns) == [*FINDING_COLUMNS, "kind", "reason"]
    results = gate.incomplete.filter(pl.col("identity") == "T3_RESULTS_SUM", pl.col("scope") == "column natural_person")
    assert results.height == 1
    assert results["kind"][0] == "extraction"
    assert "result.denied.state_secret[natural_person]=not placed (line 63)" in results["reason"][0]
    unplaced = gate.incomplete.filter(pl.col("scope") == "row result.denied.state_secret")
    assert unplaced["identity"].to_list() == ["T3_APPLICANT_SUM"]
    # blank total cells printed by the report are incomplete too, but of the other kind
    granted = gate.incomplete.filter(pl.col("scope") == "row result.granted").row(0, named=True)
    assert granted["kind"] == "printed_blank"
    assert granted["reason"] == "result.granted[other_org]=printed '/' (line 61); result.granted[total]=printed blank (line 61)"


def test_a_wrong_table3_total_is_caught_where_it_is(tmp_path):
    text = (SAMPLES_DIR / "qidong-office-2023.txt").read_text(encoding="utf-8")
    # (七)总计, natural-person column: 162 -> 163
    path = write_variant(tmp_path, "qidong-wrong-total.txt", set_values_after(text, "(七)總計", ["163"]))
    gate = validate_reports(cells_of(path))
    assert findings(gate.violations) == {
        ("T3_BALANCE", "column natural_person", 162.0, 163.0),  # 159 + 3 vs 163 + 0
        ("T3_RESULTS_SUM", "column natural_person", 162.0, 163.0),  # the items add to 162
        ("T3_APPLICANT_SUM", "row result.total", 163.0, 162.0),  # the row's total column still says 162
    }
    assert not gate.success and gate.expectation_success["T4_GROUP_SUM"]
    assert "result.total[natural_person]=163 (line 484)" in gate.violations["cells"][0]
    assert gate.per_document["quality_status"].to_list() == ["violations"]


def test_a_wrong_table4_total_is_one_violation(tmp_path):
    text = (SAMPLES_DIR / "qidong-office-2023.txt").read_text(encoding="utf-8")
    # 行政复议 总计 is the fifth number of table 四: 6 -> 7
    wrong = set_values_after(text, "四、政府信息公開行政復", ["7"], skip=4)
    gate = validate_reports(cells_of(write_variant(tmp_path, "qidong-wrong-review.txt", wrong)))
    assert findings(gate.violations) == {("T4_GROUP_SUM", "group review", 6.0, 7.0)}
    assert gate.violations["agency"].to_list() == ["启东市人民政府办公室"]
    assert gate.expectation_success == {**{k: True for k in gate.expectation_success}, "T4_GROUP_SUM": False}


def test_negative_cells_and_signed_measures():
    cells = sample_cells("qidong-office-2023.txt")
    fees = (pl.col("category_code") == "active.fees")
    negative = cells.with_columns(value=pl.when(fees).then(-5.0).otherwise(pl.col("value")))
    gate = validate_reports(negative)
    assert findings(gate.violations) == {("NON_NEGATIVE", "cell active.fees[amount_10k_yuan]", None, -5.0)}
    signed = negative.with_columns(measure=pl.when(fees).then(pl.lit("change")).otherwise(pl.col("measure")))
    assert validate_reports(signed).violations.is_empty()


def test_gx_agrees_with_a_plain_comparison():
    """Many one-cell perturbations in one batch: GX must flag exactly the instances whose sides differ."""
    # printed cells only: the derived result.other (the sum of its items) confirms nothing, by design
    base = sample_cells("qidong-office-2023.txt").filter(pl.col("table_name") != "art20", pl.col("cell_status") != "derived")
    copies = []
    for i in range(base.height):
        bumped = pl.int_range(pl.len()) == i
        copies.append(base.with_columns(
            document_id=pl.lit(f"copy{i:03d}"), value=pl.when(bumped).then(pl.col("value") + 1).otherwise(pl.col("value"))
        ))
    gate = validate_reports(pl.concat(copies))
    plain = gate.instances.filter(pl.col("complete"), pl.col("expected") != pl.col("printed"))
    key = ["document_id", "identity", "scope"]
    assert gate.violations.select(key).sort(key).equals(plain.select(key).sort(key))
    # every bumped cell breaks at least one identity: none goes unnoticed
    assert gate.violations["document_id"].n_unique() == base.height


def test_no_progress_bars_and_empty_input(capfd):
    empty = sample_cells("qidong-office-2023.txt").clear()
    gate = validate_reports(empty)
    assert gate.checked == 0 and gate.success and gate.per_document.is_empty()
    validate_reports(sample_cells("dongning-2023.txt"))
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
