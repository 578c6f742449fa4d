"""Cells the report fixes without printing them, kept apart from what it printed.

- **inferred**: a row of table 三 printing six zeros for its seven columns. Whichever cell
  is missing, the row sum (total = the six applicant columns) and non-negativity force it
  to 0, so all seven are 0. Where the row's own cells show the gap, the six printed zeros
  are read and only the gap is inferred; where they do not, which six were printed is not
  known, so all seven are inferred (printed null).
- **derived**: （六）其他处理 printed as its three items (the 2021 template) also gets the
  row ``result.other`` as their sum, printed null, so that a query on ``result.other``
  covers both templates.

Neither status counts as read; the identity gates never use such a cell to confirm the
cells it came from (expectations/identities.py).
"""
from __future__ import annotations

from xxgk.extract.cells import Extraction, emit, record
from xxgk.extract.tokens import Kind, Token
from xxgk.vocabulary import APPLICANT_COLUMNS

OTHER_ITEMS = ("result.other.no_correction", "result.other.no_fee", "result.other.other")


def _forced_zero(placed: list[Token | None], printed: list[Token]) -> bool:
    numbers = [t for t in printed if t.kind is Kind.NUMBER]
    return (len(printed) == len(numbers) == len(APPLICANT_COLUMNS) - 1 and all(t.value == 0 for t in numbers)
            and sum(t is not None and t.kind is Kind.NUMBER for t in placed) in (0, len(APPLICANT_COLUMNS) - 1))


def emit_applicant_row(out: Extraction, code: str, placed: list[Token | None], run: list[Token], where: str | None) -> bool:
    """The seven cells of a table-三 row; a row of six printed zeros gives seven zeros (True:
    it did, and said so in a warning)."""
    printed = [t for t in run if t.kind is not Kind.EMPTY]
    if not _forced_zero(placed, printed):
        for applicant, token in zip(APPLICANT_COLUMNS, placed):
            emit(out, "applications", code, applicant, "count", token, where)
        return False
    inferred = []
    for applicant, token in zip(APPLICANT_COLUMNS, placed):
        if token is not None and token.kind is Kind.NUMBER:
            emit(out, "applications", code, applicant, "count", token, where)
            continue
        inferred.append(applicant)
        shown = "" if token is not None and token.kind is Kind.EMPTY else None
        record(out, "applications", code, applicant, "count", 0.0, shown, "inferred", token.where if token else where,
               printed[0].provenance)
    out.warn("applications", code, "inferred_zero",
             f"six zeros printed for seven columns: the row sum and non-negativity force {', '.join(inferred)} to 0"
             " (cell_status inferred)", printed)
    return True


def derive_other(out: Extraction, format_version: str) -> None:
    """result.other as the sum of its three printed items, where the report did not print it."""
    rows = [c for c in out.cells if c["table_name"] == "applications"]
    if any(c["category_code"] == "result.other" for c in rows):
        return
    items = {(c["category_code"], c["applicant_type"]): c for c in rows if c["category_code"] in OTHER_ITEMS}
    if not items:
        return
    where = next(c["location"] for c in rows if c["category_code"] in OTHER_ITEMS)
    for applicant in APPLICANT_COLUMNS:
        values = [items.get((code, applicant), {}).get("value") for code in OTHER_ITEMS]
        total = sum(values) if all(v is not None for v in values) else None
        record(out, "applications", "result.other", applicant, "count", total, None, "derived", where)
