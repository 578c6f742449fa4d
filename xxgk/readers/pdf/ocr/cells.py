"""The rows of an OCR'd table: every (row, column) a number read there or UNREAD, the row
labels beside them; the rows of a table none of whose numbers was found; the other text as lines."""
from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import replace
from itertools import pairwise

from xxgk.marks import UNREAD
from xxgk.readers.pdf.ocr.boxes import (
    VALUE_MIN_SCORE,
    Box,
    OcrRow,
    Rules,
    normalise_number,
    y_overlap,
)
from xxgk.readers.pdf.ocr.columns import (
    GridRow,
    Reread,
    ValueRow,
    column_of,
    is_column_header,
    value_columns,
)


def table_rows(table: list[ValueRow], texts: list[Box], h: float, above: float, used: set[int],
                where: str, reread: Reread | None = None, rules: Rules | None = None) -> Iterable[tuple[float, OcrRow]]:
    """The grid rows of one table; marks the boxes it takes (labels, strays) `used`."""
    columns = value_columns(table, texts, h, above)
    values_left = columns[0][0]
    grid = [GridRow(r.yc, r.y0, r.y1, list(r.boxes)) for r in table]
    # Only amounts (金额, 万元) have decimals; a point in a count is a speck read as one
    # ("250" read "25.0"), so there the number is not taken as read. A column's header
    # for a row is the nearest column header above the row (tables 二 come one under another).
    heads = [t for t in texts if above < t.yc < table[-1].y0 and (is_column_header(t.text) or _AMOUNT.search(t.text))]

    def decimals_allowed(g: GridRow, c: int) -> bool:
        x0, x1 = columns[c]
        over = [t for t in heads if t.yc < g.y0 and t.x0 < x1 and x0 < t.x1]
        return bool(over) and bool(_AMOUNT.search(max(over, key=lambda t: t.yc).text))
    pitch = statistics.median([b.yc - a.yc for a, b in pairwise(grid)]) if len(grid) > 1 else 2 * h
    top, bottom = grid[0].y0 - 0.5 * pitch, grid[-1].y1 + 0.5 * pitch

    def band_overlap(t: Box, g: GridRow) -> float:
        return y_overlap(t.y0, t.y1, g.y0, g.y1)

    # Text where a value goes (a number the engine misread as letters): the cell is UNREAD.
    for t in texts:
        if id(t) in used or t.x1 <= values_left or not (top < t.yc < bottom):
            continue
        # in a column: its centre there, or most of it (a long label running up to the
        # first value is a label, not a misread value)
        inside = [c for c in columns if c[0] <= t.xc <= c[1] or min(c[1], t.x1) - max(c[0], t.x0) >= 0.5 * t.w]
        if not inside:
            continue
        g = max(grid, key=lambda g: band_overlap(t, g))
        if band_overlap(t, g) >= 0.5 * t.h and len(t.text) <= 8:
            g.strays.append(t)
            used.add(id(t))

    # Row labels: text left of the values, on the row whose band it overlaps most.
    candidates = [
        t for t in texts
        if id(t) not in used and t.xc < values_left and t.x1 <= values_left + 2 * h and top - pitch < t.yc < bottom + pitch
    ]
    orphans: list[Box] = []
    row_of: dict[int, GridRow] = {}
    by_id = {id(t): t for t in candidates}
    for t in sorted(candidates, key=lambda t: t.yc):
        tall = t.h > 2.5 * max(t.w, 1) and t.h > 2 * h
        overlaps = [(band_overlap(t, g), i) for i, g in enumerate(grid)]
        if tall:  # vertical text in a cell that spans rows: on the first of them
            hit = [i for o, i in overlaps if o > 0]
            if hit:
                grid[hit[0]].labels.append(t)
                used.add(id(t))
            continue
        best, i = max(overlaps)
        if best > 0:
            grid[i].labels.append(t)
            row_of[id(t)] = grid[i]
            used.add(id(t))
        else:
            orphans.append(t)

    # Label text on no row's band is, in this order: the next line of a label just above it
    # (joined to that label's row); the label of a row whose values were all lost, between
    # two rows labelled in the same column (its own row, every value UNREAD); else a line
    # of text of its own (a group heading printed between rows), never a guess.
    def stacked_on(t: Box, above: Box) -> bool:
        return t.x0 < above.x1 and above.x0 < t.x1 and -0.3 * h < t.y0 - above.y1 < 0.5 * h

    def ruled_with(t: Box) -> GridRow | None:
        """The one row with values between the same two ruling lines as t (the rest of a
        label wrapped in its ruled cell), if the image shows rules above and below t."""
        if rules is None:
            return None
        over = rules.across(t.x0, t.x1, -math.inf, t.yc)
        under = rules.across(t.x0, t.x1, t.yc, math.inf)
        if not over or not under:
            return None
        inside = [g for g in grid if g.values and max(over) < g.yc < min(under)]
        return inside[0] if len(inside) == 1 else None

    for t in orphans:
        g = ruled_with(t)
        if g is not None:
            g.labels.append(t)
            row_of[id(t)] = g
            used.add(id(t))
            continue
        stacked = [key for key in row_of if stacked_on(t, by_id[key])]
        if stacked:
            g = row_of[stacked[0]]
            g.labels.append(t)
            row_of[id(t)] = g
            used.add(id(t))
            continue
        before = [g for g in grid if g.y1 + 0.25 * h <= t.y0]
        after = [g for g in grid if g.y0 >= t.y1 + 0.25 * h]
        if before and after and before[-1].values and after[0].values:
            same_column = all(any(t.x0 < l.x1 and l.x0 < t.x1 for l in g.labels) for g in (before[-1], after[0]))
            if same_column:
                g = GridRow(t.yc, t.y0, t.y1, [], [t])
                grid.append(g)
                grid.sort(key=lambda g: g.yc)
                row_of[id(t)] = g
                used.add(id(t))
    grid.sort(key=lambda g: g.yc)

    for g in grid:
        cells: list[str] = []
        confidences: list[float | None] = []
        for label in _label_cells(g.labels, h):
            cells.append(label)
            confidences.append(None)
        slots: list[list[Box]] = [[] for _ in columns]
        unread: set[int] = set()
        for b in g.values:
            if " " in b.text:
                parts = b.text.split()
                cols = [i for i, (x0, x1) in enumerate(columns) if b.x0 < x1 and x0 < b.x1]
                if len(parts) == len(cols):
                    for part, c in zip(parts, cols):
                        slots[c].append(replace(b, text=part))
                else:
                    unread.update(cols)
                continue
            c = column_of(b, columns, h)
            if c is not None:
                slots[c].append(b)
        strays: list[list[Box]] = [[] for _ in columns]
        for t in g.strays:
            c = column_of(t, columns, h)
            if c is not None:
                strays[c].append(t)
        for c, found in enumerate(slots):
            text, score = None, 0.0
            if c not in unread:
                text, score = _cell_value(found, strays[c], h)
                if text is None and reread is not None:
                    text, score = _reread_cell(reread, columns, c, g, h, found, strays[c])
            if text is None or ("." in text and not decimals_allowed(g, c)):
                cells.append(UNREAD)
                confidences.append(0.0)
            else:
                cells.append(text)
                confidences.append(score)
        yield g.yc, OcrRow(cells, confidences, where)


def _cell_value(found: list[Box], strays: list[Box], h: float) -> tuple[str | None, float]:
    """The number the boxes of one cell read as, if they read as one, confidently."""
    if not found or strays:
        return None, 0.0
    found = sorted(found, key=lambda b: b.x0)
    if any(b.x0 - a.x1 > 0.3 * h for a, b in pairwise(found)):
        return None, 0.0  # two things in one cell
    text = normalise_number("".join(b.text for b in found)) if len(found) > 1 else found[0].text
    score = min(b.score for b in found)
    if text is None or score < VALUE_MIN_SCORE:
        return None, 0.0
    return text, round(score, 4)


_AMOUNT = re.compile(r"金额|元")
_SECTION_HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,2}\s*[、.．]")


def rows_under_headers(texts: list[Box], values: list[Box], table_spans: list[tuple[float, float]], used: set[int],
                        h: float, where: str, reread: Reread | None) -> Iterable[tuple[float, OcrRow]]:
    """Rows of a table none of whose numbers was found: under a line of column headers
    (本年处理决定数量, 本年收费金额…), the row labels on its left, up to the next line that
    reaches under the headers. Every value is read again from the ink under its header, or
    is UNREAD. (A one-row table such as 行政事业性收费 | 0 is lost whole if its lone 0 is.)"""
    free = [t for t in texts if id(t) not in used]
    heads = sorted((t for t in free if is_column_header(t.text)), key=lambda t: t.yc)
    done: set[int] = set()
    for head in heads:
        if id(head) in done:
            continue
        line = sorted((t for t in heads if y_overlap(t.y0, t.y1, head.y0, head.y1) >= 0.5 * min(t.h, head.h)),
                      key=lambda t: t.x0)
        done.update(id(t) for t in line)
        left = line[0].x0
        bottom = max(t.y1 for t in line)
        if any(y0 - 0.5 * h <= bottom <= y1 + 0.5 * h or y0 - 4 * h <= bottom <= y0 for y0, y1 in table_spans):
            continue  # the header of a table that was found
        columns = []
        for i, t in enumerate(line):
            x0 = (line[i - 1].x1 + t.x0) / 2 if i else t.x0
            x1 = (t.x1 + line[i + 1].x0) / 2 if i + 1 < len(line) else t.x1
            columns.append((x0, x1))
        below = sorted((t for t in free if t.y0 >= bottom - 0.2 * h and id(t) not in done), key=lambda t: t.yc)
        last, found = bottom, 0
        for t in below:
            if t.y0 - last > 3 * h or found == 3:
                break
            if t.x1 > left or _SECTION_HEADING.match(t.text):  # a title, the next header, a heading
                break
            if any(y_overlap(v.y0, v.y1, t.y0, t.y1) > 0.3 * t.h for v in values) or id(t) in used:
                break
            used.add(id(t))
            last, found = t.y1, found + 1
            cells: list[str] = [t.text]
            confidences: list[float | None] = [None]
            for (x0, x1), header in zip(columns, line):
                read = reread(x0, t.y0 - 0.1 * h, x1, t.y1 + 0.1 * h, []) if reread is not None else None
                number = normalise_number(read[0]) if read else None
                if number is None or read[1] < VALUE_MIN_SCORE or ("." in number and not _AMOUNT.search(header.text)):
                    cells.append(UNREAD)
                    confidences.append(0.0)
                else:
                    cells.append(number)
                    confidences.append(round(read[1], 4))
            yield t.yc, OcrRow(cells, confidences, where)


def _reread_cell(reread: Reread, columns: list[tuple[float, float]], c: int, g: GridRow, h: float,
                 found: list[Box], strays: list[Box]) -> tuple[str | None, float]:
    """A number read again from the ink of a cell the boxes did not settle.

    The rectangle runs halfway to the neighbouring columns, over the row's band; the ink
    of every other box is left out. A cell with a box read with a low score takes the
    second reading only where both agree.
    """
    x0, x1 = columns[c]
    width = statistics.median(b - a for a, b in columns)
    left = (columns[c - 1][1] + x0) / 2 if c > 0 else x0 - 0.5 * width
    right = (x1 + columns[c + 1][0]) / 2 if c + 1 < len(columns) else x1 + 0.5 * width
    band = (g.y0, g.y1) if g.values else (min(t.y0 for t in g.labels), max(t.y1 for t in g.labels))
    read = reread(left, band[0] - 0.1 * h, right, band[1] + 0.1 * h, [*found, *strays])
    if read is None:
        return None, 0.0
    text = normalise_number(read[0])
    if text is None or read[1] < VALUE_MIN_SCORE:
        return None, 0.0
    if len(found) == 1 and not strays and found[0].text != text:
        return None, 0.0  # a doubtful reading, and a second that differs
    return text, round(read[1], 4)


def _label_cells(labels: list[Box], h: float) -> list[str]:
    """A row's labels as cells, left to right; the lines of one cell (x-overlapping) joined."""
    columns: list[list[Box]] = []
    for t in sorted(labels, key=lambda t: t.x0):
        for col in columns:
            if any(t.x0 < o.x1 and o.x0 < t.x1 for o in col):
                col.append(t)
                break
        else:
            columns.append([t])
    columns.sort(key=lambda col: min(t.x0 for t in col))
    return ["".join(t.text for t in _reading_order(col)) for col in columns]


def _reading_order(boxes: list[Box]) -> list[Box]:
    """Boxes line by line (a box on the line of the one before it if they overlap by half
    the smaller height), left to right within a line."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.yc):
        line = lines[-1] if lines else None
        if line and y_overlap(b.y0, b.y1, min(o.y0 for o in line), max(o.y1 for o in line)) >= 0.5 * min(b.h, line[0].h):
            line.append(b)
        else:
            lines.append([b])
    return [b for line in lines for b in sorted(line, key=lambda b: b.x0)]


def text_lines(boxes: list[Box], h: float, where: str) -> Iterable[tuple[float, OcrRow]]:
    """Boxes not in a table as lines: one cell per line, cut where the line has a wide gap or
    at a column header (自然人 | 商业企业 | …), so a heading cut in two boxes stays whole."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.yc):
        for line in reversed(lines[-3:]):
            y0, y1 = min(o.y0 for o in line), max(o.y1 for o in line)
            if y_overlap(b.y0, b.y1, y0, y1) >= 0.5 * min(b.h, y1 - y0) and b.h <= 2.5 * max(b.w, 1):
                line.append(b)
                break
        else:
            lines.append([b])
    for line in lines:
        line.sort(key=lambda b: b.x0)
        groups: list[list[Box]] = [[line[0]]]
        for a, b in pairwise(line):
            if b.x0 - a.x1 > 1.5 * h or is_column_header(a.text) or is_column_header(b.text):
                groups.append([b])
            else:
                groups[-1].append(b)
        cells = []
        for group in groups:
            text = group[0].text
            for a, b in pairwise(group):
                text += (" " if b.x0 - a.x1 > 0.5 * h else "") + b.text
            cells.append(text)
        yc = statistics.median(b.yc for b in line)
        yield yc, OcrRow(cells, [None] * len(cells), where)


