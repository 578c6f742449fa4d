"""Boxes -> rows: the tables of an OCR'd page rebuilt from the positions of its boxes
(never from the order the engine returns them in), the rest as lines of text."""
from __future__ import annotations

import math
import re
from dataclasses import replace

from xxgk.marks import UNITS
from xxgk.readers.pdf.ocr.boxes import (
    PAGE_NUMBER,
    Box,
    OcrRow,
    Rules,
    median_height,
    normalise_number,
    y_overlap,
)
from xxgk.readers.pdf.ocr.cells import rows_under_headers, table_rows, text_lines
from xxgk.readers.pdf.ocr.columns import Reread, ValueRow

_CJK = re.compile(r"[\u3400-\u9fff]")
_UNITS = frozenset(UNITS)


def _merge_vertical_stacks(boxes: list[Box], h: float) -> list[Box]:
    """Join one- and two-character boxes stacked in a narrow column into one box:
    vertical text (三/、/本/年/度/…) and header cells wrapped a word per line (商业/企业)."""
    short = sorted(
        (b for b in boxes if len(b.text) <= 2 and _CJK.search(b.text) and not re.search(r"\d", b.text)
         and b.h <= 2.5 * max(b.w, 1)),
        key=lambda b: b.y0,
    )
    used: set[int] = set()
    merged: list[Box] = []
    for i, b in enumerate(short):
        if id(b) in used:
            continue
        chain = [b]
        for c in short[i + 1 :]:
            last = chain[-1]
            if id(c) in used:
                continue
            if c.y0 - last.y1 > 0.6 * h:
                if c.y0 > last.y1 + 2 * h:
                    break
                continue
            if abs(c.xc - last.xc) <= 0.5 * h and c.y0 >= last.y0 + 0.5 * last.h:
                chain.append(c)
        if len(chain) >= 2:
            used.update(id(c) for c in chain)
            merged.append(
                Box(min(c.x0 for c in chain), chain[0].y0, max(c.x1 for c in chain), chain[-1].y1,
                    "".join(c.text for c in chain), min(c.score for c in chain))
            )
    return [b for b in boxes if id(b) not in used] + merged




def _join_units(boxes: list[Box], h: float) -> list[Box]:
    """A unit the detector boxed apart from its number (7545 | 万元) joins it."""
    units = [b for b in boxes if b.text.strip() in _UNITS]
    if not units:
        return boxes
    joined: dict[int, Box] = {}
    gone: set[int] = set()
    for u in units:
        for b in boxes:
            if b is u or id(b) in gone or normalise_number(b.text) is None or " " in b.text:
                continue
            if y_overlap(b.y0, b.y1, u.y0, u.y1) >= 0.5 * min(b.h, u.h) and -0.2 * h <= u.x0 - b.x1 < 0.6 * h:
                base = joined.get(id(b), b)
                joined[id(b)] = Box(base.x0, min(base.y0, u.y0), u.x1, max(base.y1, u.y1),
                                    base.text + u.text.strip(), min(base.score, u.score))
                gone.add(id(u))
                break
    return [joined.get(id(b), b) for b in boxes if id(b) not in gone]

def layout_rows(boxes: list[Box], page_number: int, page_size: tuple[float, float] | None = None,
                reread: Reread | None = None, rules: Rules | None = None) -> list[OcrRow]:
    """Rebuild table rows and text lines of one page from the positions of its boxes.

    ``reread(x0, y0, x1, y1, keep)``, if given, reads again the ink of a grid cell the
    boxes did not settle (none found, a low score, text that is no number). ``rules``, the
    ruling lines found in the image, if given, tell which row a line of label text off
    every row's band belongs to: the one between the same two rules.
    """
    where = f"page {page_number} (ocr)"
    if not boxes:
        return []
    h = median_height(boxes)
    boxes = _merge_vertical_stacks(list(boxes), h)
    boxes = _join_units(boxes, h)
    texts: list[Box] = []
    values: list[Box] = []
    for b in boxes:
        number = normalise_number(b.text)
        parts = [normalise_number(p) for p in b.text.split()]
        if number is not None:
            values.append(replace(b, text=number))
        elif len(parts) > 1 and all(parts):  # "0 0": two cells the detector took as one box
            values.append(replace(b, text=" ".join(parts)))
        else:
            texts.append(b)

    # A number the words of its line go on from is part of a sentence, not a table cell.
    # (Words just *before* a number are no sign: a long row label can run up to its value.)
    def in_sentence(v: Box) -> bool:
        return any(
            len(t.text) >= 2
            and y_overlap(v.y0, v.y1, t.y0, t.y1) >= 0.5 * min(v.h, t.h)
            and -0.2 * h <= t.x0 - v.x1 < 0.6 * h
            for t in texts
        )

    glued = [v for v in values if in_sentence(v)]
    if glued:
        values = [v for v in values if all(v is not g for g in glued)]
        texts += glued
    # Page numbers in the top or bottom margin, alone on their line, are no table cells:
    # "- 3 -" stays a line of text, a bare "3" is dropped (it would read as a value).
    if page_size is not None:
        height = page_size[1]
        for v in list(values):
            in_margin = v.yc > 0.9 * height or v.yc < 0.06 * height
            alone = not any(o is not v and y_overlap(v.y0, v.y1, o.y0, o.y1) > 0 for o in values + texts)
            if in_margin and alone and PAGE_NUMBER.match(v.text):
                values.remove(v)
                if not v.text.isdigit():
                    texts.append(v)

    rows = _value_rows(values, h)
    tables = _tables(rows, texts, h)
    used: set[int] = set()
    out: list[tuple[float, OcrRow]] = []
    for index, table in enumerate(tables):
        above = tables[index - 1][-1].y1 if index else -math.inf
        for yc, row in table_rows(table, texts, h, above, used, where, reread, rules):
            out.append((yc, row))
    table_spans = [(t[0].y0, t[-1].y1) for t in tables]
    out.extend(rows_under_headers(texts, values, table_spans, used, h, where, reread))
    rest = [t for t in texts if id(t) not in used]
    for yc, row in text_lines(rest, h, where):
        out.append((yc, row))
    out.sort(key=lambda item: item[0])
    return [row for _, row in out]


def _value_rows(values: list[Box], h: float) -> list[ValueRow]:
    rows: list[ValueRow] = []
    for b in sorted(values, key=lambda b: b.yc):
        if rows and b.yc - rows[-1].yc <= 0.5 * h:
            rows[-1].boxes.append(b)
            rows[-1].refresh()
        else:
            rows.append(ValueRow([b]))
    return rows


def _tables(rows: list[ValueRow], texts: list[Box], h: float) -> list[list[ValueRow]]:
    """Runs of value rows with no title or header printed across their values in between."""
    tables: list[list[ValueRow]] = []
    for row in rows:
        if tables:
            prev = tables[-1][-1]
            x0 = min(b.x0 for b in prev.boxes + row.boxes)
            x1 = max(b.x1 for b in prev.boxes + row.boxes)
            separated = any(
                prev.y1 < t.yc < row.y0 and t.x1 > x0 and t.x0 < x1
                and y_overlap(t.y0, t.y1, prev.y0, prev.y1) < 0.3 * t.h
                and y_overlap(t.y0, t.y1, row.y0, row.y1) < 0.3 * t.h
                for t in texts
            )
            if not separated:
                tables[-1].append(row)
                continue
        tables.append([row])
    return tables


