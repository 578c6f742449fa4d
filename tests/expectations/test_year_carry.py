"""XY_CARRY over two years of one agency: the 2023 sample and a 2024 report made from a copy of it."""
from __future__ import annotations

import polars as pl
import pytest
from gate_samples import cells_of, sample_cells, set_values_after, write_variant

from expectations.gates import validate_reports, validate_year_carry
from xxgk import SAMPLES_DIR

NEW_RECEIVED = "一、本年新收"
CARRIED_OVER = "二、上年結"  # the sample is in Traditional script


def year_2024(tmp_path, name: str, *, new_received: list[str], carried_over: list[str]) -> pl.DataFrame:
    """qidong's 2023 report re-dated 2024 (2023 carried 0 forward in every column), with table-3 rows rewritten."""
    text = (SAMPLES_DIR / "qidong-office-2023.txt").read_text(encoding="utf-8").replace("2023", "2024")
    text = set_values_after(text, NEW_RECEIVED, new_received)
    text = set_values_after(text, CARRIED_OVER, carried_over)
    return cells_of(write_variant(tmp_path, name, text))


@pytest.fixture(scope="module")
def y2023() -> pl.DataFrame:
    return sample_cells("qidong-office-2023.txt")


def test_a_correct_carry_passes(tmp_path, y2023):
    # 2024 carries over the 0 of 2023, and receives 162 so that its own balance still holds
    y2024 = year_2024(tmp_path, "qidong-2024-ok.txt", new_received=["162", *"00000", "162"], carried_over=list("0000000"))
    assert y2024["agency"][0] == y2023["agency"][0] and y2024["year"][0] == 2024
    both = pl.concat([y2023, y2024])
    assert validate_reports(both).violations.is_empty()
    gate = validate_year_carry(both)
    assert gate.success and gate.violations.is_empty() and gate.incomplete.is_empty()
    assert gate.checked == 7  # one instance per table-3 column, attached to the 2024 report
    assert gate.per_document.select("year", "identities_checked", "quality_status").rows() == [(2024, 7, "passed")]


def test_a_broken_carry_is_caught(tmp_path, y2023):
    # 2024 claims 3 carried over (the 2023 figure copied by mistake) where 2023 carried 0 forward
    y2024 = year_2024(tmp_path, "qidong-2024-bad.txt", new_received=["159", *"00000", "159"], carried_over=["3", *"00000", "3"])
    both = pl.concat([y2023, y2024])
    assert validate_reports(both).violations.is_empty()  # each report adds up on its own
    gate = validate_year_carry(both)
    assert not gate.success and gate.expectation_success == {"XY_CARRY": False}
    found = set(gate.violations.select("year", "identity", "scope", "expected", "printed").iter_rows())
    assert found == {
        (2024, "XY_CARRY", "column natural_person", 0.0, 3.0),
        (2024, "XY_CARRY", "column total", 0.0, 3.0),
    }
    cells = gate.violations.filter(pl.col("scope") == "column total")["cells"][0]
    assert cells.startswith("2023 application.carried_forward[total]=0 (doc ")
    assert cells.endswith("2024 application.carried_over[total]=3 (doc " + y2024["document_id"][0] + ", line 134)")


def test_no_previous_year_means_nothing_to_check(y2023):
    gate = validate_year_carry(y2023)
    assert gate.checked == 0 and gate.violations.is_empty() and gate.per_document.is_empty()
