"""Identity instances built from the real samples and from small hand-made frames (no GX here)."""
from __future__ import annotations

import polars as pl
import pytest
from gate_samples import sample_cells

from expectations.identities import INSTANCE_SCHEMA, carry_instances, report_instances
from xxgk.extract import CELL_SCHEMA
from xxgk.vocabulary import APPLICANT_COLUMNS


def one(instances: pl.DataFrame, identity: str, scope: str) -> dict:
    rows = instances.filter(pl.col("identity") == identity, pl.col("scope") == scope)
    assert rows.height == 1, (identity, scope, rows)
    return rows.row(0, named=True)


def table3(rows: dict[str, list[float | None]], *, document_id="d1", agency="A", year=2023) -> pl.DataFrame:
    """A hand-made table 3: {category_code: seven values in APPLICANT_COLUMNS order}."""
    cells = [
        {
            "document_id": document_id, "table_name": "applications", "category_code": code, "applicant_type": c,
            "measure": "count", "value": v, "printed": None if v is None else f"{v:g}",
            "cell_status": "read" if v is not None else "not_placed", "location": f"line {n}",
        }
        for n, (code, values) in enumerate(rows.items(), start=1)
        for c, v in zip(APPLICANT_COLUMNS, values)
    ]
    return pl.DataFrame(cells, schema=CELL_SCHEMA).with_columns(
        agency=pl.lit(agency), year=pl.lit(year), format_version=pl.lit("2021")
    )


def test_sums_both_sides_and_names_the_cells():
    inst = report_instances(sample_cells("qidong-office-2023.txt"))
    assert dict(inst.schema) == INSTANCE_SCHEMA
    balance = one(inst, "T3_BALANCE", "column natural_person")
    assert (balance["expected"], balance["printed"], balance["complete"]) == (162.0, 162.0, True)
    assert balance["cells"].startswith("application.new_received[natural_person]=159 (line 106) + ")
    assert "= result.total[natural_person]=162 (line 484) + application.carried_forward" in balance["cells"]
    review = one(inst, "T4_GROUP_SUM", "group review")
    assert (review["expected"], review["printed"]) == (6.0, 6.0)


def test_other_as_one_row_or_as_sub_items():
    hongze = report_instances(sample_cells("hongze-2024.pdf"))  # prints （六）其他处理 as one row
    assert "result.other[natural_person]=" in one(hongze, "T3_RESULTS_SUM", "column natural_person")["cells"]
    qidong = report_instances(sample_cells("qidong-office-2023.txt"))  # prints the three sub-items
    cells = one(qidong, "T3_RESULTS_SUM", "column natural_person")["cells"]
    assert "result.other.other[natural_person]=53" in cells and "result.other[" not in cells
    # T3_OTHER_SUM needs both the row and its items
    assert hongze.filter(pl.col("identity") == "T3_OTHER_SUM").is_empty()
    assert qidong.filter(pl.col("identity") == "T3_OTHER_SUM").is_empty()


def test_other_sum_when_both_printed():
    zeros = [0.0] * 7
    inst = report_instances(table3({
        "result.other.no_correction": [1, 0, 0, 0, 0, 0, 1], "result.other.no_fee": zeros,
        "result.other.other": [2, 0, 0, 0, 0, 0, 2], "result.other": [4, 0, 0, 0, 0, 0, 4],
    }))
    other = one(inst, "T3_OTHER_SUM", "column natural_person")
    assert (other["expected"], other["printed"], other["complete"]) == (3.0, 4.0, True)
    # with the row printed, T3_RESULTS_SUM takes the printed row, not the items
    assert "result.other[natural_person]=4" in one(inst, "T3_RESULTS_SUM", "column natural_person")["cells"]


def test_not_placed_rows_make_instances_incomplete_and_are_named():
    zeros = [0.0] * 7
    inst = report_instances(table3({
        "result.granted": [1, 0, 0, 0, 0, 0, 1], "result.denied.state_secret": [None] * 7,
        "result.denied.third_party": [None] * 7, "result.total": [1, 0, 0, 0, 0, 0, 1],
        "application.new_received": [1, 0, 0, 0, 0, 0, 1], "application.carried_over": zeros,
        "application.carried_forward": zeros,
    }))
    results = one(inst, "T3_RESULTS_SUM", "column natural_person")
    assert results["complete"] is False and results["expected"] is None
    assert results["blank_cells"] == 0
    assert "result.denied.state_secret[natural_person]=not placed (line 2)" in results["reason"]
    assert "result.denied.third_party[natural_person]=not placed (line 3)" in results["reason"]
    # the balance does not need those rows: it is checked
    assert one(inst, "T3_BALANCE", "column natural_person")["complete"] is True


def test_inferred_zeros_are_numbers_elsewhere_but_never_confirm_their_own_row():
    cells = sample_cells("fuxin-taiping-office-2023.txt")  # eight rows print six zeros for seven columns
    inferred = cells.filter(pl.col("cell_status") == "inferred")
    assert set(inferred["category_code"]) == {
        "result.granted", "result.partially_granted", "result.denied.state_secret", "result.denied.law_prohibited",
        "result.denied.three_safeties", "result.denied.third_party", "result.denied.internal_affairs",
        "result.denied.process_info"}
    inst = report_instances(cells)
    results = one(inst, "T3_RESULTS_SUM", "column natural_person")
    assert (results["complete"], results["expected"], results["printed"]) == (True, 0.0, 0.0)
    for code in set(inferred["category_code"]):
        assert inst.filter(pl.col("scope") == f"row {code}").is_empty()  # the identity that fixed them
    assert one(inst, "T3_APPLICANT_SUM", "row result.denied.enforcement_file")["complete"] is True
    scopes = set(inst.filter(pl.col("identity") == "NON_NEGATIVE")["scope"])
    assert "cell result.granted[total]" not in scopes and "cell result.denied.enforcement_file[total]" in scopes


def test_a_derived_other_row_never_confirms_its_items():
    cells = sample_cells("qidong-office-2023.txt")  # prints （六） as its three items: result.other is derived
    derived = cells.filter(pl.col("category_code") == "result.other")
    assert set(derived["cell_status"]) == {"derived"} and derived["printed"].is_null().all()
    assert derived.filter(pl.col("applicant_type") == "natural_person")["value"].to_list() == [56.0]  # 3 + 0 + 53
    inst = report_instances(cells)
    assert inst.filter(pl.col("identity") == "T3_OTHER_SUM").is_empty()
    assert inst.filter(pl.col("scope") == "row result.other").is_empty()
    assert "result.other.other[natural_person]=53" in one(inst, "T3_RESULTS_SUM", "column natural_person")["cells"]


def test_printed_blank_is_counted_apart_from_parser_failure():
    row = table3({"result.other.no_correction": [0, 0, 0, 0, 0, 0, None]}).with_columns(
        cell_status=pl.when(pl.col("value").is_null()).then(pl.lit("blank")).otherwise(pl.col("cell_status")),
        printed=pl.col("printed").fill_null(""))
    inst = report_instances(row)
    row = one(inst, "T3_APPLICANT_SUM", "row result.other.no_correction")
    assert (row["complete"], row["unread_cells"], row["blank_cells"]) == (False, 0, 1)
    assert row["reason"] == "result.other.no_correction[total]=printed blank (line 1)"
    assert row["expected"] == 0.0 and row["printed"] is None  # the summed side is still shown


def test_missing_row_is_an_extraction_gap():
    inst = report_instances(sample_cells("lingdong-2023.txt"))  # prints no 结转下年度继续办理 row
    balance = one(inst, "T3_BALANCE", "column total")
    assert (balance["complete"], balance["unread_cells"]) == (False, 1)
    assert balance["reason"] == "application.carried_forward[total]=missing"
    # an unprinted row has no T3_APPLICANT_SUM instance of its own
    assert inst.filter(pl.col("scope") == "row application.carried_forward").is_empty()


def test_non_negative_every_cell_but_change():
    cells = sample_cells("qidong-office-2023.txt")
    inst = report_instances(cells)
    printed = cells.filter(pl.col("cell_status") != "derived")  # result.other, the sum of its items
    assert inst.filter(pl.col("identity") == "NON_NEGATIVE").height == printed.height == cells.height - 7
    fees = one(inst, "NON_NEGATIVE", "cell active.fees[amount_10k_yuan]")
    assert fees["printed"] == 0.0 and fees["expected"] is None
    signed = cells.head(1).with_columns(measure=pl.lit("change"), value=pl.lit(-3.0))
    assert report_instances(signed).filter(pl.col("identity") == "NON_NEGATIVE").is_empty()


def test_carry_pairs_consecutive_years_of_one_agency():
    zeros = [0.0] * 7
    y1 = table3({"application.carried_forward": [2, 0, 0, 0, 0, 0, 2]}, document_id="a2022", year=2022)
    y2 = table3({"application.carried_over": [2, 0, 0, 0, 0, 0, 1]}, document_id="a2023", year=2023)
    far = table3({"application.carried_over": zeros}, document_id="a2025", year=2025)
    other = table3({"application.carried_over": zeros}, document_id="b2023", agency="B", year=2023)
    inst = carry_instances(pl.concat([y1, y2, far, other]))
    assert set(inst["document_id"]) == {"a2023"} and inst.height == 7
    total = one(inst, "XY_CARRY", "column total")
    assert (total["expected"], total["printed"]) == (2.0, 1.0)
    assert total["cells"] == "2022 application.carried_forward[total]=2 (doc a2022, line 1) = 2023 application.carried_over[total]=1 (doc a2023, line 1)"


def test_empty_frames():
    empty = pl.DataFrame(schema={**CELL_SCHEMA, "agency": pl.String, "year": pl.Int64, "format_version": pl.String})
    assert report_instances(empty).is_empty() and carry_instances(empty).is_empty()
    assert dict(report_instances(empty).schema) == INSTANCE_SCHEMA


def test_a_cell_given_twice_is_refused():
    cells = sample_cells("qidong-office-2023.txt")
    with pytest.raises(ValueError, match="appear more than once"):
        report_instances(pl.concat([cells, cells.head(1)]))


def test_a_row_or_group_the_identities_cut_out_of_run_together_digits_never_confirms_itself(tmp_path):
    """A crawler's page text (the web fixture's text_content): rows cut by T3_APPLICANT_SUM and
    table 四's groups cut by T4_GROUP_SUM are `segmented`, and have no instance of that identity;
    the column identities still check them."""
    import lxml.html

    from tests.fixtures.web_reports import PROVINCE_2021, cms_html
    from xxgk.documents import read_document
    from xxgk.extract import extract_report
    from xxgk.normalise import normalise_document
    from xxgk.readers.html import decode_html

    path = tmp_path / "page.txt"
    path.write_text(lxml.html.document_fromstring(decode_html(cms_html(PROVINCE_2021))).find("body").text_content())
    doc = normalise_document(read_document(path))
    cells = extract_report(doc).cells_frame().with_columns(
        agency=pl.lit(doc.agency), year=pl.lit(doc.year), format_version=pl.lit(doc.format_version))
    segmented = cells.filter(pl.col("cell_status") == "segmented")
    rows = set(segmented.filter(pl.col("table_name") == "applications")["category_code"])
    assert {"result.granted", "result.unavailable.not_held", "review.upheld"} <= rows | set(segmented["category_code"])
    inst = report_instances(cells)
    for code in rows:
        assert inst.filter(pl.col("scope") == f"row {code}").is_empty()
    assert inst.filter(pl.col("identity") == "T4_GROUP_SUM", pl.col("scope") == "group review").is_empty()
    assert one(inst, "T3_BALANCE", "column natural_person")["complete"] is True
