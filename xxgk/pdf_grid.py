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
from bisect import bisect_left
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c
from pdfplumber.table import Table, TableFinder
from pdfplumber.utils import extract_text
from pdfplumber.utils.text import DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE, LIGATURES

from xxgk.grid import Grid, GridCell

_PATH, _FORM = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
_MOVETO, _LINETO, _BEZIERTO = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_TOLERANCE = min(DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE)  # both 3: extract_text's defaults


def _multiply(m, n):
    """The matrix that applies m, then n (PDF order: row vector times matrix)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _matrix(obj) -> tuple:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _painted_paths(page_raw):
    """(path object, its matrix to page space) of every path that is stroked or filled,
    in forms too (a clipping path is no object)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()

    def walk(count, get, outer):
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == _FORM:
                inner = _multiply(_matrix(obj), outer)
                yield from walk(pdfium_c.FPDFFormObj_CountObjects(obj),
                                lambda j, o=obj: pdfium_c.FPDFFormObj_GetObject(o, j), inner)
            elif kind == _PATH:
                pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
                if fill.value or stroke.value:
                    yield obj, _multiply(_matrix(obj), outer)

    yield from walk(pdfium_c.FPDFPage_CountObjects(page_raw), lambda i: pdfium_c.FPDFPage_GetObject(page_raw, i), _IDENTITY)


def _subpaths(obj, matrix) -> list[tuple[str, list[tuple[float, float]]]]:
    """The subpaths of a path object as pdfminer sees them: the operators' letters (a
    Bézier curve's three points are one ``c``, whose point is its end) and the points, in
    page space; ``h`` closes a subpath at its start."""
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    out: list[tuple[str, list[tuple[float, float]]]] = []
    shape, points, bezier = "", [], 0
    for k in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
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
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            shape += "h"
            points.append(points[0])
    if shape:
        out.append((shape, points))
    return out


def _edge(kind: str, x0: float, top: float, x1: float, bottom: float, orientation: str | None) -> dict:
    return {"object_type": kind, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def page_edges(page_raw, page_height: float) -> list[dict]:
    """The edges pdfplumber's ``page.edges`` holds, from pdfium's path objects.

    pdfminer's classification (``PDFLayoutAnalyzer.paint_path``): a subpath ``ml`` or
    ``mlh`` is a line; ``mlllh`` or ``mllll`` closed on axis-aligned corners is a rectangle
    (four edges); anything else a curve, an edge between each two of its points.
    """
    edges: list[dict] = []
    for obj, matrix in _painted_paths(page_raw):
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
    found = TableFinder(_Objects(edges, chars, (0.0, 0.0, *page_size))).tables
    out = []
    middles = sorted(((c["top"] + c["bottom"]) / 2, i) for i, c in enumerate(chars))
    keys = [m for m, _ in middles]
    for table in found:
        rows = _extract(table, chars, middles, keys)
        if max((len(r) for r in rows), default=0) < 2:
            continue
        out.append(RuledTable(table.bbox, rows, table_grid(table, rows, where)))
    return out


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
            texts.append(_cell_text([chars[i] for i in inside]) if inside else "")
        out.append(texts)
    return out


def _cell_text(chars: list[dict]) -> str:
    """pdfplumber's ``extract_text`` of a cell's characters. Most cells hold one word on one
    line (a number, a short label): that case is settled here, with pdfplumber's own tests
    (tops within y_tolerance, each character starting within x_tolerance of the previous
    one's end, left to right, no space, no ligature); any other goes to extract_text."""
    if len(chars) > 1:
        tops = [c["top"] for c in chars]
        if max(tops) - min(tops) > _TOLERANCE or not all(c["upright"] for c in chars):
            return extract_text(chars)
        ordered = sorted(chars, key=lambda c: (c["x0"], c["x1"]))
        for prev, char in zip(ordered, ordered[1:]):
            if char["x0"] > prev["x1"] + _TOLERANCE or abs(char["top"] - prev["top"]) > _TOLERANCE:
                return extract_text(chars)
        chars = ordered
    text = "".join(c["text"] for c in chars)
    if any(ch.isspace() or ch in LIGATURES for ch in text):
        return extract_text(chars)
    return text


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
