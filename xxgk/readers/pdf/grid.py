"""Ruled tables of a PDF page as grids, from pdfium's objects at pdfium's speed.

pdfplumber finds a ruled table from the page's ruling lines: the edges of its line,
rectangle and curve objects are snapped and joined, their crossings are the corners of
cells, and touching cells make a table. Its finder is pure geometry over dicts; what
makes pdfplumber slow is pdfminer's parse that feeds it. Here the same finder
(:class:`pdfplumber.table.TableFinder`, unchanged) is fed pdfium's path objects, classified
into lines, rectangles and curves by pdfminer's own rules (:func:`page_edges`), and
pdfium's characters, so the two readers find the same cells.

A table comes out twice: as rows of cell texts exactly as pdfplumber's ``Table.extract``
gives them (a merged cell's text in its first row, None where a merged cell covers), and
as a :class:`xxgk.grid.Grid` whose cells carry their spans, counted on the table's own
ruling lines.
"""
from __future__ import annotations

import ctypes
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from operator import itemgetter

import pypdfium2.raw as pdfium_c
from pdfplumber.table import Table, TableSettings
from pdfplumber.utils import extract_text
from pdfplumber.utils.text import DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE, LIGATURES

from xxgk.grid import Grid, GridCell
from xxgk.readers.pdf.objects import by_address

_MOVETO, _LINETO, _BEZIERTO = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
_TOLERANCE = min(DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE)  # both 3: extract_text's defaults


@cache
def _segment_calls():
    address, i = ctypes.c_void_p, ctypes.c_int
    return (by_address(pdfium_c.FPDFPath_CountSegments, i, address),
            by_address(pdfium_c.FPDFPath_GetPathSegment, address, address, i),
            by_address(pdfium_c.FPDFPathSegment_GetType, i, address),
            by_address(pdfium_c.FPDFPathSegment_GetPoint, i, address, address, address),
            by_address(pdfium_c.FPDFPathSegment_GetClose, i, address))


def _subpaths(obj, matrix) -> list[tuple[str, list[tuple[float, float]]]]:
    """The subpaths of a path object as pdfminer sees them: the operators' letters (a
    Bézier curve's three points are one ``c``, whose point is its end) and the points, in
    page space; ``h`` closes a subpath at its start. pdfium asked by address (four calls
    a segment)."""
    count, get_segment, get_type, get_point, get_close = _segment_calls()
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    x_at, y_at = ctypes.addressof(x), ctypes.addressof(y)
    path = ctypes.cast(obj, ctypes.c_void_p).value
    out: list[tuple[str, list[tuple[float, float]]]] = []
    shape, points, bezier = "", [], 0
    for k in range(count(path)):
        segment = get_segment(path, k)
        kind = get_type(segment)
        get_point(segment, x_at, y_at)
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        if kind == _MOVETO:
            if shape:
                out.append((shape, points))
            shape, points, bezier = "m", [point], 0
            continue
        if not shape:  # a path must begin with a move: pdfminer ignores one that does not
            continue
        if kind == _BEZIERTO:
            bezier += 1
            if bezier % 3:
                continue
            shape += "c"
        else:
            shape += "l"
        points.append(point)
        if get_close(segment):
            shape += "h"
            points.append(points[0])
    if shape:
        out.append((shape, points))
    return out


def _edge(kind: str, x0: float, top: float, x1: float, bottom: float, orientation: str | None) -> dict:
    return {"object_type": kind, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def page_edges(paths: list, page_height: float) -> list[dict]:
    """The edges pdfplumber's ``page.edges`` holds, from pdfium's painted path objects
    (:attr:`xxgk.readers.pdf.objects.PageObjects.paths`: each with its matrix to page space).

    pdfminer's classification (``PDFLayoutAnalyzer.paint_path``): a subpath ``ml`` or
    ``mlh`` is a line; ``mlllh`` or ``mllll`` closed on axis-aligned corners is a rectangle
    (four edges); anything else a curve, an edge between each two of its points.
    """
    edges: list[dict] = []
    for obj, matrix in paths:
        for shape, pts in _subpaths(obj, matrix):
            pts = [(px, page_height - py) for px, py in pts]  # top from the top, as pdfplumber
            if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
                shape = shape[:-2] + "h"
                pts.pop(-2)
            if shape in ("ml", "mlh"):
                (ax, ay), (bx, by) = pts[0], pts[1]
                edges.append(_edge("line", min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), "h" if ay == by else "v"))
            elif shape in ("mlllh", "mllll") and pts[0] == pts[4] and _square(pts):
                x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
                top, bottom = min(p[1] for p in pts), max(p[1] for p in pts)
                edges += [_edge("rect_edge", x0, top, x1, top, "h"), _edge("rect_edge", x0, bottom, x1, bottom, "h"),
                          _edge("rect_edge", x0, top, x0, bottom, "v"), _edge("rect_edge", x1, top, x1, bottom, "v")]
            else:
                for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                    orientation = "v" if ax == bx else ("h" if ay == by else None)
                    edges.append(_edge("curve_edge", min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), orientation))
    return edges


def _square(pts) -> bool:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
    return (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)


@dataclass
class _Objects:
    """What pdfplumber's table finder reads of a page: its edges and its characters."""

    edges: list[dict]
    chars: list[dict]
    bbox: tuple[float, float, float, float]


@dataclass
class RuledTable:
    """One ruled table of a page: its box, its rows as pdfplumber extracts them, its grid."""

    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom
    rows: list[list[str | None]]
    grid: Grid


def ruled_tables(edges: list[dict], chars: list[dict], page_size: tuple[float, float], where: str) -> list[RuledTable]:
    """The ruled tables of a page (edges as :func:`page_edges`, chars with x0, x1, top,
    bottom, doctop, upright, text), found and read as pdfplumber does with its defaults.
    A table of one column (WPS draws a ruled frame around body text) is no table."""
    found = find_tables(_Objects(edges, chars, (0.0, 0.0, *page_size)))
    out = []
    middles, keys = _by_middle(chars)
    for table in found:
        table = mend_cells(table, chars, (middles, keys))
        rows = outside_cells(table, _extract(table, chars, middles, keys), chars, (middles, keys))
        if max((len(r) for r in rows), default=0) < 2:
            continue
        out.append(RuledTable(table.bbox, rows, table_grid(table, rows, where)))
    return out


def find_tables(page) -> list[Table]:
    """``TableFinder(page).tables`` with pdfplumber's defaults, the same tables, by its
    steps (edges merged, their crossings, the cells between crossings, cells grouped into
    tables), each done as pdfplumber does it but by index or in place: pdfplumber spends
    ~20 ms a table page in them, in copies of dicts and scans that are quadratic."""
    settings = TableSettings.resolve(None)
    edges = merged_edges(page.edges, settings)
    cells = intersections_to_cells(
        edges_to_intersections(edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance))
    return [Table(page, group) for group in cells_to_tables(cells)]


def merged_edges(edges: list[dict], settings: TableSettings) -> list[dict]:
    """``TableFinder.get_edges()`` for the "lines" strategies: the same edges in the same
    order (each as x0, x1, top, bottom, orientation). pdfplumber snaps edges within
    ``snap_tolerance`` to their mean, joins those on one line within ``join_tolerance``
    and keeps those at least ``edge_min_length`` long, copying every edge's dict at each
    step; here an edge is a list changed in place, with the same arithmetic."""
    out: list[tuple[tuple[str, float], list]] = []
    for orientation, pos, other, lo, hi, size, snap, _join in (
            ("v", "x0", "x1", "top", "bottom", "height", settings.snap_x_tolerance, settings.join_y_tolerance),
            ("h", "top", "bottom", "x0", "x1", "width", settings.snap_y_tolerance, settings.join_x_tolerance)):
        items = [[e[pos], e[other], e[lo], e[hi], e[size]] for e in edges
                 if e["orientation"] == orientation and e[size] >= settings.edge_min_length_prefilter]
        if snap > 0:
            snapped = []
            for cluster in _clusters(items, itemgetter(0), snap):
                mean = sum(item[0] for item in cluster) / len(cluster)
                for item in cluster:
                    shift = mean - item[0]
                    item[0], item[1] = item[0] + shift, item[1] + shift
                snapped += cluster
            items = snapped
        out += [((orientation, item[0]), item) for item in items]
    merged: list[dict] = []
    out.sort(key=lambda pair: pair[0])  # pdfplumber's groups: "h" lines before "v", each by position
    for (orientation, _), group in groupby(out, key=lambda pair: pair[0]):
        line = sorted((item for _, item in group), key=lambda item: item[2])
        joined = [line[0]]
        tolerance = settings.join_y_tolerance if orientation == "v" else settings.join_x_tolerance
        for item in line[1:]:
            last = joined[-1]
            if item[2] <= last[3] + tolerance:
                if item[3] > last[3]:  # pdfplumber's resize_object: a vertical's height grows by the
                    # difference, a horizontal's width is computed again
                    length = last[4] + (item[3] - last[3]) if orientation == "v" else item[3] - last[2]
                    joined[-1] = [last[0], last[1], last[2], item[3], length]
            else:
                joined.append(item)
        for p, q, start, end, length in joined:
            if length >= settings.edge_min_length:
                merged.append({"orientation": "v", "x0": p, "x1": q, "top": start, "bottom": end} if orientation == "v"
                              else {"orientation": "h", "top": p, "bottom": q, "x0": start, "x1": end})
    return merged


def cells_to_tables(cells: list[tuple]) -> list[list[tuple]]:
    """pdfplumber's ``cells_to_tables``, the same groups of cells: passes over the cells
    left, each adding those that share a corner with the group, until one adds none (it
    removes each cell from a list, quadratic; here each pass keeps a new list)."""
    tables, current, corners = [], [], set()
    remaining = list(cells)
    while remaining:
        before, left = len(current), []
        for cell in remaining:
            x0, top, x1, bottom = cell
            mine = ((x0, top), (x0, bottom), (x1, top), (x1, bottom))
            if not current or not corners.isdisjoint(mine):
                corners.update(mine)
                current.append(cell)
            else:
                left.append(cell)
        remaining = left
        if len(current) == before:
            tables.append(current)
            current, corners = [], set()
    if current:
        tables.append(current)
    return [t for t in sorted(tables, key=lambda t: min((c[1], c[0]) for c in t)) if len(t) > 1]


def edges_to_intersections(edges: list[dict], x_tolerance: float, y_tolerance: float) -> dict:
    """pdfplumber's ``edges_to_intersections``, the same points and edge lists in the same
    order; it sorts the horizontal edges again for every vertical one, here once."""
    out: dict = {}
    verticals = sorted((e for e in edges if e["orientation"] == "v"), key=lambda e: (e["x0"], e["top"]))
    horizontals = sorted((e for e in edges if e["orientation"] == "h"), key=lambda e: (e["top"], e["x0"]))
    tops = [h["top"] for h in horizontals]
    for v in verticals:
        x, v_top, v_bottom = v["x0"], v["top"], v["bottom"]
        # the horizontals whose top is near the vertical's span, tested as pdfplumber tests them
        for h in horizontals[bisect_left(tops, v_top - y_tolerance - 1):bisect_right(tops, v_bottom + y_tolerance + 1)]:
            if (v_top <= h["top"] + y_tolerance and v_bottom >= h["top"] - y_tolerance
                    and x >= h["x0"] - x_tolerance and x <= h["x1"] + x_tolerance):
                point = out.setdefault((x, h["top"]), {"v": [], "h": []})
                point["v"].append(v)
                point["h"].append(h)
    return out


def intersections_to_cells(intersections: dict) -> list[tuple]:
    """pdfplumber's ``intersections_to_cells``, the same cells in the same order: for each
    point, the first point below and the first to its right (in its order) joined to it by
    an edge, whose corner opposite is a point joined to both. pdfplumber builds the sets of
    edges of two points anew at every test and scans all later points for each point; here
    each point's edge sets and its column and row are built once."""
    def boxes(edges):
        return frozenset((e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges)

    v = {p: boxes(d["v"]) for p, d in intersections.items()}
    h = {p: boxes(d["h"]) for p, d in intersections.items()}
    columns: dict[float, list] = {}
    rows: dict[float, list] = {}
    for point in sorted(intersections):
        columns.setdefault(point[0], []).append(point)
        rows.setdefault(point[1], []).append(point)
    cells = []
    for x, column in sorted(columns.items()):
        for i, point in enumerate(column):
            row = rows[point[1]]
            right = [r for r in row[row.index(point) + 1:] if not h[point].isdisjoint(h[r])]
            cell = None
            for below in column[i + 1:]:
                if v[point].isdisjoint(v[below]):
                    continue
                for r in right:
                    corner = (r[0], below[1])
                    if corner in v and not v[corner].isdisjoint(v[r]) and not h[corner].isdisjoint(h[below]):
                        cell = (x, point[1], r[0], below[1])
                        break
                if cell:
                    break
            if cell:
                cells.append(cell)
    return cells


def _extract(table: Table, chars: list[dict], middles: list[tuple[float, int]], keys: list[float]) -> list[list[str | None]]:
    """``Table.extract()``, the same texts: a cell's characters are those whose middle is in
    it (left and top edges in, right and bottom out), in page order, through pdfplumber's
    extract_text. pdfplumber tests every character of the page against every row and cell;
    here only the characters of the cell's band of the page (by bisection) are tested."""
    out = []
    for group in table.rows:
        texts: list[str | None] = []
        for cell in group.cells:
            if cell is None:
                texts.append(None)
                continue
            x0, top, x1, bottom = cell
            lo, hi = bisect_left(keys, top), bisect_left(keys, bottom)
            inside = sorted(i for _, i in middles[lo:hi] if x0 <= (chars[i]["x0"] + chars[i]["x1"]) / 2 < x1)
            texts.append(cell_text([chars[i] for i in inside]) if inside else "")
        out.append(texts)
    return out


def outside_cells(table: Table, rows: list[list[str | None]], chars: list[dict],
                  by_middle: tuple[list[tuple[float, int]], list[float]] | None = None) -> list[list[str | None]]:
    """The rows, with the words a row prints inside the table's box but in none of its cells
    put in its first column where the table has no cell: a browser draws no border around
    the item labels of a group (Chromium's print of a Word page), so they stand in the table
    beside their values, in no ruled cell, and pdfplumber drops them."""
    groups = table.rows  # pdfplumber computes them anew at every access
    wanted = [r for r, group in enumerate(groups) if rows[r] and rows[r][0] is None and any(group.cells)]
    if not wanted:
        return rows
    middles, keys = by_middle or _by_middle(chars)  # (middle y, index) sorted, and the middles alone
    out = [list(r) for r in rows]
    for r in wanted:
        cells = [c for c in groups[r].cells if c is not None]
        band_top, band_bottom = min(c[1] for c in cells), max(c[3] for c in cells)
        first_x = min(c[0] for c in cells)
        # the row's band, left of its first cell: in no cell of this row, nor of a cell spanning into it
        band = (chars[i] for _, i in middles[bisect_left(keys, band_top) : bisect_left(keys, band_bottom)])
        near = [cell for cell in table.cells if cell[1] < band_bottom and cell[3] > band_top and cell[0] < first_x]
        left = [c for c in band if c["x1"] <= first_x + 1 and table.bbox[0] <= (c["x0"] + c["x1"]) / 2
                and c.get("upright", True) and not _in_a_cell(c, near)]
        mine = _words_only(left)
        if mine:
            out[r][0] = cell_text(sorted(mine, key=lambda c: (round(c["top"]), c["x0"])))
    return out


_NUMBER_RUN = re.compile(r"\d+(?:\.\d+)?")
_MEND_AT_MOST = 2000  # cells: the template's tables have ~250; a larger table is not the template's (and costs rows x cells)


def mend_cells(table: Table, chars: list[dict], by_middle: tuple[list[tuple[float, int]], list[float]] | None = None) -> Table:
    """The table, with the cells a row lost to missing rulings: Chromium, printing a table cut
    by a page break, may draw no borders between a row's value cells, so pdfplumber finds no
    cell there (the values fall in none) or one cell across two columns ('0 5'). A number in no
    cell, within one column's span of the row, gets a cell of that column; a cell across columns
    holding one number inside each is cut into them. A number across a column's edge (centred
    in a merged cell), words (left to :func:`outside_cells`) and text cells are never cut."""
    if len(table.cells) > _MEND_AT_MOST:
        return table
    middles, keys = by_middle or _by_middle(chars)
    edges = sorted({c[0] for c in table.cells} | {c[2] for c in table.cells})
    columns = list(zip(edges, edges[1:]))
    cells = list(table.cells)
    by_top = sorted(table.cells, key=itemgetter(1))
    tops = [c[1] for c in by_top]
    changed = False
    for group in table.rows:
        present = [c for c in group.cells if c is not None]
        if not present or len(present) == len(group.cells):  # a cell starts at every column: ruled in full
            continue
        top, bottom = present[0][1], min(c[3] for c in present)
        near = [c for c in by_top[: bisect_left(tops, bottom - 1)] if c[3] > top + 1]
        open_columns = [(a, b) for a, b in columns if not any(c[0] <= a + 1 and c[2] >= b - 1 for c in near)]
        # a cell across a column's edge
        wide = [cell for cell in present if bisect_right(edges, cell[2] - 1) - bisect_left(edges, cell[0] + 1) > 0]
        if not open_columns and not wide:  # a row ruled in full: most rows
            continue
        band = [chars[i] for _, i in middles[bisect_left(keys, top) : bisect_left(keys, bottom)] if chars[i].get("upright", True)]
        loose = [run for run in _runs([c for c in band if not _in_a_cell(c, near)]) if _is_number(run)] if open_columns else []
        for a, b in open_columns:
            if len([run for run in loose if a <= run[0]["x0"] and run[-1]["x1"] <= b]) == 1:
                cells.append((a, top, b, bottom))
                changed = True
        for cell in wide:
            inside = [c for c in band if _in_a_cell(c, [cell])]
            if not inside or not all(_numeric(c) or c["text"].isspace() for c in inside):
                continue  # a label, a header: text is never cut
            inner = [(a, b) for a, b in columns if cell[0] - 1 <= a and b <= cell[2] + 1]
            runs = _runs(inside)
            if len(runs) != len(inner) or not all(map(_is_number, runs)):
                continue
            if all(a <= run[0]["x0"] and run[-1]["x1"] <= b for run, (a, b) in zip(runs, inner)):
                cells.remove(cell)
                cells += [(a, cell[1], b, cell[3]) for a, b in inner]
                changed = True
    return Table(table.page, cells) if changed else table


def _runs(chars: list[dict]) -> list[list[dict]]:
    """Characters as the runs of a line they make: a gap wider than a character's width ends
    one, and so does a digit after a word's character or the reverse (a label printed up to its
    row's first value)."""
    out: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (round(c["top"] / 4), c["x0"])):
        last = out[-1][-1] if out else None
        if (last is not None and abs(c["top"] - last["top"]) <= 3 and c["x0"] - last["x1"] <= (last["x1"] - last["x0"])
                and _numeric(c) == _numeric(last)):
            out[-1].append(c)
        else:
            out.append([c])
    return out


def _numeric(c: dict) -> bool:
    return c["text"].isdigit() or c["text"] == "."


def _is_number(run: list[dict]) -> bool:
    return bool(_NUMBER_RUN.fullmatch("".join(c["text"] for c in run)))


def _by_middle(chars: list[dict]) -> tuple[list[tuple[float, int]], list[float]]:
    middles = sorted(((c["top"] + c["bottom"]) / 2, i) for i, c in enumerate(chars))
    return middles, [m for m, _ in middles]


def _in_a_cell(c: dict, cells: list[tuple[float, float, float, float]]) -> bool:
    x, y = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return any(a <= x < b and t <= y < u for a, t, b, u in cells)


def _words_only(chars: list[dict]) -> list[dict]:
    """The characters of the runs that hold a word: a number in no cell could be any cell's."""
    out: list[dict] = []
    run: list[dict] = []
    for c in sorted(chars, key=lambda c: (round(c["top"] / 4), c["x0"])) + [None]:
        if run and (c is None or abs(c["top"] - run[-1]["top"]) > 3 or c["x0"] > run[-1]["x1"] + 3):
            if not re.fullmatch(r"[\d\s.,/-]*", "".join(x["text"] for x in run)):
                out += run
            run = []
        if c is not None:
            run.append(c)
    return out


def cell_text(chars: list[dict]) -> str:
    """pdfplumber's ``extract_text`` of a cell's characters (in page order), with its
    defaults: the same text. Upright characters (all of a ruled table's, but a label
    printed in a vertical-writing font) are done here by its rules: lines clustered on
    ``top`` within 3 pt, each sorted left to right and cut into words at a space, a step
    back or a gap over 3 pt; the words' lines clustered again, joined by spaces and line
    ends. extract_text itself costs ~0.25 ms a cell in set-up alone (a page has ~200)."""
    if not chars:
        return ""
    if not all(c["upright"] for c in chars):
        return extract_text(chars)
    tops = [c["top"] for c in chars]
    # one line (most cells: a number, a short label): the lines of characters and of words
    # are that line, without clustering
    lines = [list(chars)] if max(tops) - min(tops) <= _TOLERANCE else _clusters(chars, _top, _TOLERANCE)
    words = []
    for line in lines:
        line.sort(key=_x0)
        word: list[dict] = []
        for char in line:
            if char["text"].isspace():
                _word(word, words)
                word = []
            elif word and (char["x0"] < word[-1]["x0"] or char["x0"] > word[-1]["x1"] + _TOLERANCE
                           or abs(char["top"] - word[-1]["top"]) > _TOLERANCE):
                _word(word, words)
                word = [char]
            else:
                word.append(char)
        _word(word, words)
    if len(lines) == 1:
        return " ".join(w["text"] for w in words)
    return "\n".join(" ".join(w["text"] for w in line) for line in _clusters(words, _top, _TOLERANCE))


_x0, _top = itemgetter("x0"), itemgetter("top")


def _word(chars: list[dict], words: list[dict]) -> None:
    if chars:
        words.append({"text": "".join(LIGATURES.get(c["text"], c["text"]) for c in chars),
                      "top": min(c["top"] for c in chars)})


def _clusters(objs: list, key, tolerance: float) -> list[list]:
    """pdfplumber's ``cluster_objects``: the distinct values of ``key(obj)`` chained within
    `tolerance`, the groups in the order of their values, each in the objects' order."""
    group, last, n = {}, None, -1
    for value in sorted({key(o) for o in objs}):
        if last is None or value > last + tolerance:
            n += 1
        group[value], last = n, value
    return [list(g) for _, g in groupby(sorted(objs, key=lambda o: group[key(o)]), key=lambda o: group[key(o)])]


def table_grid(table: Table, rows: list[list[str | None]], where: str) -> Grid:
    """A pdfplumber table as a grid: rows and columns between the table's own ruling lines
    (every cell's edges), a merged cell at its top-left with its spans, an empty cell kept."""
    xs = sorted({x for c in table.cells for x in (c[0], c[2])})
    ys = sorted({y for c in table.cells for y in (c[1], c[3])})
    col, row = {x: i for i, x in enumerate(xs)}, {y: i for i, y in enumerate(ys)}
    text: dict[tuple, str] = {}
    for group, texts in zip(table.rows, rows):
        for bbox, cell_text in zip(group.cells, texts):
            if bbox is not None:
                text[bbox] = cell_text or ""
    cells = [
        GridCell(row[c[1]], col[c[0]], _joined(text.get(c, "")), row[c[3]] - row[c[1]], col[c[2]] - col[c[0]], where)
        for c in table.cells
    ]
    taken = {(r, k) for g in cells for r in range(g.row, g.row + g.rowspan) for k in range(g.col, g.col + g.colspan)}
    # a position no ruled cell covers (a table drawn irregularly) is an empty cell
    cells += [GridCell(r, k, "", where=where) for r in range(len(ys) - 1) for k in range(len(xs) - 1) if (r, k) not in taken]
    cells.sort(key=lambda g: (g.row, g.col))
    return Grid(len(ys) - 1, len(xs) - 1, cells, where=where)


def _joined(text: str) -> str:
    """A cell's lines as one text: a label wrapped over lines, or printed one character a
    line in a tall merged cell, is one label (a space only between Latin words or digits)."""
    return re.sub(r"(?<=[0-9A-Za-z]) *\n *(?=[0-9A-Za-z])", " ", text).replace("\n", "")
