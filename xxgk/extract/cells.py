"""Extracted cells and warnings: the records every reader of the tables writes, and how a
run of printed values is placed in a row's columns.

Damage is recorded, never repaired:

- a row with as many values as columns is placed in order (empty cells between
  tabs are layout, not data);
- a row with one value more than columns: column c can hold either of the values
  c, c+1; it is placed only where both agree (more stray values: none placed);
- a row with *fewer* values: placed only where the row's own cells show the gap
  (an empty cell in the position of the missing value), else not placed;
- 元 printed in a 万元 column is converted, with a warning;
- blank, "/", "—" cells keep what was printed, with value null.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from xxgk.extract.tokens import Kind, Token
from xxgk.vocabulary import implausible

CELL_SCHEMA = {
    "document_id": pl.String,
    "table_name": pl.String,
    "category_code": pl.String,
    "applicant_type": pl.String,
    "measure": pl.String,
    "value": pl.Float64,
    "printed": pl.String,
    "cell_status": pl.String,  # read | converted | implausible | null_mark | blank | not_placed | not_read | inferred | derived | segmented
    "location": pl.String,
    "provenance": pl.String,  # text | ocr
    "confidence": pl.Float64,  # the OCR score of the cell; null for text
}
WARNING_SCHEMA = {
    "document_id": pl.String,
    "table_name": pl.String,
    "category_code": pl.String,
    "kind": pl.String,
    "message": pl.String,
    "printed": pl.String,
    "location": pl.String,
}

# What the report states in prose, against its tables (xxgk.extract.narrative)
STATEMENT_SCHEMA = {
    "document_id": pl.String,
    "statement_no": pl.Int32,  # order in the document
    "quantity": pl.String,  # what it states (narrative.QUANTITIES)
    "sentence": pl.String,  # folded
    "matched": pl.String,  # the words that state it, folded
    "location": pl.String,
    "stated": pl.Float64,
    "cells": pl.String,  # the cells it is compared with, and their values
    "table_value": pl.Float64,
    "verdict": pl.String,  # agree | disagree | cannot_compare
    "reason": pl.String,
}


@dataclass
class Extraction:
    document_id: str
    cells: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the reading itself (grid vs stream): for reader_check
    statements: list[dict] = field(default_factory=list)  # the prose against the tables (STATEMENT_SCHEMA)

    def warn(self, table: str, code: str | None, kind: str, message: str, tokens: list[Token] = ()) -> None:
        self.warnings.append(
            {
                "document_id": self.document_id,
                "table_name": table,
                "category_code": code,
                "kind": kind,
                "message": message,
                "printed": " ".join(t.printed if t.printed else "∅" for t in tokens) or None,
                "location": _span(tokens),
            }
        )

    def cells_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.cells, schema=CELL_SCHEMA)

    def warnings_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.warnings, schema=WARNING_SCHEMA)


def _span(tokens) -> str | None:
    wheres = list(dict.fromkeys(t.where for t in tokens))
    if not wheres:
        return None
    return wheres[0] if len(wheres) == 1 else f"{wheres[0]}–{wheres[-1].split(' ')[-1]}"


def place(run: list[Token], expected: int) -> tuple[list[Token | None], str | None]:
    """Assign a run of value cells to `expected` columns, only where that is unambiguous."""
    filled = [t for t in run if t.kind is not Kind.EMPTY]
    n = len(filled)
    if n == expected:
        return filled, None
    if n > expected:
        if expected == 1 and len({(t.kind, t.value, t.printed) for t in filled}) == 1:
            # a merged cell a converter repeated in each column it spans (pymupdf4llm, docling)
            return filled[:1], None
        k = n - expected
        if k > 1:  # more than one stray value: the run has run into another row's values
            return [None] * expected, f"{n} values printed for {expected} columns; none placed"
        placed: list[Token | None] = []
        for c in range(expected):
            options = filled[c : c + k + 1]
            same = all((o.kind, o.value, o.printed) == (options[0].kind, options[0].value, options[0].printed) for o in options)
            placed.append(options[0] if same else None)
        done = sum(p is not None for p in placed)
        return placed, f"{n} values printed for {expected} columns; {done} placed where every reading agrees"
    first_row = run[0].row
    slots = [t for t in run if t.row == first_row]
    while slots and slots[0].kind is Kind.EMPTY:
        slots.pop(0)
    while len(slots) > expected and slots[-1].kind is Kind.EMPTY:
        slots.pop()
    if len(slots) == expected and sum(t.kind is not Kind.EMPTY for t in slots) == n:
        blanks = [c + 1 for c, t in enumerate(slots) if t.kind is Kind.EMPTY]
        return slots, f"{n} values printed for {expected} columns; the row's empty cell(s) at column(s) {blanks} recorded as blank"
    return [None] * expected, f"{n} values printed for {expected} columns; positions ambiguous, none placed"


def emit(out: Extraction, table: str, code: str, applicant: str | None, measure: str, token: Token | None,
          fallback_where: str | None, ten_thousand_yuan: bool = False) -> None:
    provenance = token.provenance if token is not None else "text"
    confidence = token.confidence if token is not None else None
    if token is None:
        value, printed, status, where = None, None, "not_placed", fallback_where
    elif token.kind is Kind.UNREAD:
        value, printed, status, where = None, None, "not_read", token.where
        out.warn(table, code, "not_read", "OCR found this cell but could not read it: recorded as null, not 0", [token])
    else:
        where = token.where
        printed = token.printed
        if token.kind is Kind.NUMBER:
            value, status = token.value, "segmented" if token.segmented else "read"
            if ten_thousand_yuan and token.unit == "元":
                value, status = round(token.value / 10000, 6), "converted"
                out.warn(table, code, "unit_converted", f"{token.printed} printed in a 万元 column: read as {value:g} 万元", [token])
            why = implausible(value, measure)
            if why:
                value, status = (value if math.isfinite(value) else None), "implausible"
                out.warn(table, code, "implausible_value", f"{token.printed}: {why}; loaded as printed", [token])
        elif token.kind is Kind.NULL_MARK:
            value, status = None, "null_mark"
        else:
            value, status, printed = None, "blank", ""
    record(out, table, code, applicant, measure, value, printed, status, where, provenance, confidence)


def record(out: Extraction, table: str, code: str, applicant: str | None, measure: str, value: float | None,
           printed: str | None, status: str, where: str | None, provenance: str = "text", confidence: float | None = None) -> None:
    out.cells.append({
        "document_id": out.document_id, "table_name": table, "category_code": code, "applicant_type": applicant,
        "measure": measure, "value": value, "printed": printed, "cell_status": status, "location": where,
        "provenance": provenance, "confidence": confidence,
    })
