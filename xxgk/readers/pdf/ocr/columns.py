"""The grid of a table on an OCR'd page: its value rows, its value columns (from the
numbers and the column headers), and which column a box is in."""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from xxgk.readers.pdf.ocr.boxes import Box
from xxgk.vocabulary import words_of

# Column headers of tables 二, 三, 四 (2021 and 2019 formats), possibly cut into pieces
# over lines (商业/企业): a header box names a value column if its text is part of one.
COLUMN_HEADERS = tuple(w for kind in ("measure", "applicant", "outcome") for w, _ in words_of(kind))


def is_column_header(text: str) -> bool:
    """A header's text, or a piece of one (商业 of 商业企业); 法人或其他组织 is not 其他."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    t = re.sub(r"[(（][^)）]*[)）]", "", t)  # (单位：万元)
    if len(t) < 2:
        return False
    return any(t in h or (len(h) >= 4 and h in t) for h in COLUMN_HEADERS)


@dataclass
class ValueRow:
    boxes: list[Box]
    y0: float = 0.0
    y1: float = 0.0
    yc: float = 0.0

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.y0 = min(b.y0 for b in self.boxes)
        self.y1 = max(b.y1 for b in self.boxes)
        self.yc = statistics.median(b.yc for b in self.boxes)


@dataclass
class GridRow:
    yc: float
    y0: float
    y1: float
    values: list[Box] = field(default_factory=list)
    labels: list[Box] = field(default_factory=list)
    strays: list[Box] = field(default_factory=list)  # text printed where a value goes


# reread(x0, y0, x1, y1, keep): (text, score) of the glyph ink in a rectangle, the ink of
# every box there blanked out but the boxes in `keep`; None where there is no glyph ink.
Reread = Callable[..., "tuple[str, float] | None"]


def value_columns(table: list[ValueRow], texts: list[Box], h: float, top: float) -> list[tuple[float, float]]:
    """Value columns: overlapping x-ranges of single numbers, plus columns shown only by a header."""
    spans = sorted((b.x0, b.x1) for r in table for b in r.boxes if " " not in b.text)
    if not spans:
        spans = sorted((b.x0, b.x1) for r in table for b in r.boxes)
    columns: list[list[float]] = []
    for x0, x1 in spans:
        if columns and x0 < columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    first = table[0]
    widths = [b.w for r in table for b in r.boxes]
    half = statistics.median(widths) / 2 if widths else h / 2
    for t in texts:
        if not (top < t.yc < first.y0) or first.y0 - t.y1 > 6 * h:
            continue
        if not is_column_header(t.text):
            continue
        overlapped = [c for c in columns if t.x0 < c[1] and c[0] < t.x1]
        if overlapped:
            continue
        columns.append([t.xc - half, t.xc + half])
    columns.sort()
    # a header-only column never overlaps a value column: drop any that crept into one
    merged: list[list[float]] = []
    for c in columns:
        if merged and c[0] < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], c[1])
        else:
            merged.append(c)
    return [(c[0], c[1]) for c in merged]


def column_of(b: Box, columns: list[tuple[float, float]], h: float) -> int | None:
    for i, (x0, x1) in enumerate(columns):
        if x0 <= b.xc <= x1:
            return i
    best, overlap = None, 0.0
    for i, (x0, x1) in enumerate(columns):
        o = max(0.0, min(x1, b.x1) - max(x0, b.x0))
        if o > overlap:
            best, overlap = i, o
    return best


