"""Cells of a normalised document as a flat stream of typed tokens.

Tables arrive in every shape (tab-separated lines, one cell per line, PDF table
rows, HTML rows), so extraction reads a stream: a row label is followed by the
run of value cells that belongs to it, wherever the row breaks fall.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from xxgk.marks import NULL_MARKS, NUMBER, UNREAD
from xxgk.normalise import NormalisedDocument


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"
    NULL_MARK = "null_mark"  # "/", "—", "-", "无": printed, but not a number
    EMPTY = "empty"  # an empty cell between tabs or in a ruled table
    UNREAD = "unread"  # OCR found the cell's place but could not read it


UNREAD_TEXT = UNREAD  # what OCR puts where it could not read a value


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # folded, for matching
    printed: str
    row: int  # index of the source row, to tell which cells shared a line
    where: str
    value: float | None = None
    unit: str | None = None
    provenance: str = "text"
    confidence: float | None = None


def classify(text: str) -> tuple[Kind, float | None, str | None]:
    if not text:
        return Kind.EMPTY, None, None
    if text == UNREAD_TEXT:
        return Kind.UNREAD, None, None
    if text in NULL_MARKS:
        return Kind.NULL_MARK, None, None
    m = NUMBER.match(text)
    if m:
        return Kind.NUMBER, float(m.group(1).replace(",", "")), m.group(2)
    return Kind.TEXT, None, None


def tokenize(doc: NormalisedDocument) -> list[Token]:
    tokens: list[Token] = []
    for i, row in enumerate(doc.rows):
        if not any(c.text for c in row.cells):
            continue
        for j, cell in enumerate(row.cells):
            kind, value, unit = classify(cell.text)
            confidence = row.confidences[j] if row.confidences and j < len(row.confidences) else None
            tokens.append(Token(kind, cell.text, cell.printed, i, row.where, value, unit, row.provenance, confidence))
    return tokens
