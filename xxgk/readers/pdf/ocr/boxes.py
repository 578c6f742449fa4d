"""What OCR finds on a page (boxes) and gives back (rows), and the numbers it accepts."""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass

from xxgk.marks import NULL_MARKS, NUMBER, UNITS
from xxgk.model import Row

VALUE_MIN_SCORE = 0.5  # a numeric box scored lower than this is UNREAD, not a number




@dataclass
class OcrRow:
    """One table row or text line read by OCR.

    ``confidences`` is parallel to ``cells``: None for labels, header and text cells, the
    OCR score for value cells, 0.0 for :data:`UNREAD` cells.
    """

    cells: list[str]
    confidences: list[float | None]
    where: str  # "page 3 (ocr)"


@dataclass
class Box:
    """One text box found by OCR, axis-aligned, in image pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


# --- numbers ------------------------------------------------------------------------

_CONFUSABLE = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1"})
_NUMERIC_LOOKING = re.compile(rf"^[+-]?[\dOo〇lI][\dOo〇lI,.]*(?:{'|'.join(UNITS)})?$")
# Page numbers: "- 3 -", "—3—", "第3页", "3/5", "第 3 页 共 5 页"
PAGE_NUMBER = re.compile(r"^(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页.*|\d{1,3}\s*/\s*\d{1,3}|\d{1,3})$")


def normalise_number(text: str) -> str | None:
    """The cell's text if the whole box reads as a number or a null mark, else None.

    Full-width digits and punctuation are folded (NFKC); O/o/〇 -> 0 and l/I -> 1 only when
    the whole box looks numeric (so "Oil" stays text); spaces inside are dropped only
    around thousands separators.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    t = re.sub(r"\s*([,.])\s*", r"\1", t)
    if len(t) > 1 and t[-1] in ".,、" and t[-2].isdigit():
        t = t[:-1]  # a speck after a number reads as a full stop: no number ends in one
    if t in NULL_MARKS:
        return t
    if " " in t:
        return None
    if NUMBER.match(t):
        return t
    if _NUMERIC_LOOKING.match(t):
        fixed = t.translate(_CONFUSABLE)
        if NUMBER.match(fixed):
            return fixed
    return None


@dataclass
class Rules:
    """The ruling lines found in a page image (deskewed), in image pixels."""

    horizontal: list[tuple[float, float, float]]  # (y, x0, x1)
    vertical: list[tuple[float, float, float]]  # (x, y0, y1)

    def across(self, x0: float, x1: float, y0: float, y1: float) -> list[float]:
        """The heights of the horizontal rules between y0 and y1 that run under most of [x0, x1]."""
        need = 0.5 * (x1 - x0)
        return [y for y, a, b in self.horizontal if y0 < y < y1 and min(b, x1) - max(a, x0) >= need]


def median_height(boxes: list[Box]) -> float:
    heights = [b.h for b in boxes if b.h <= 2.5 * max(b.w, 1)]
    return statistics.median(heights) if heights else 30.0


def y_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def as_rows(rows: list[OcrRow]) -> list[Row]:
    """OCR rows as :class:`xxgk.model.Row` (provenance "ocr", confidences kept)."""
    return [Row(list(r.cells), r.where, list(r.confidences), "ocr") for r in rows]

