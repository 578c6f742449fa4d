"""OCR of scanned report pages into the same rows of cells as the text-layer readers.

Offline only: the engine is RapidOCR (``rapidocr`` + ``onnxruntime``) with the models that
ship *inside* the ``rapidocr`` wheel, passed by path, so nothing is ever downloaded; if they
are missing, :class:`OcrUnavailable` says so instead of reaching for the network.

The guarantees are those of text extraction: a cell is what was printed, or it is marked
as not read. Rows and columns are rebuilt from the *positions* of the boxes (never from the
order the engine returns them in):

- value rows are the y-clusters of numeric boxes; tables are runs of value rows not
  separated by a title or header printed across their value columns;
- a table's value columns are the x-clusters of its numeric boxes plus the columns that
  only a header cell (自然人, 总计, 本年制发件数, …) shows;
- every (row, column) of that grid holds a value: the number read there, or :data:`UNREAD`
  (nothing found, confidence too low, or text that is not a number) — never a neighbour's
  value and never 0;
- the row labels are the text boxes left of the values, on the row whose band they overlap
  most (wrapped lines of one cell are joined; a label column's cells are ordered left to
  right, so a group heading such as （三）不予公开 comes before its item 1.属于国家秘密);
- everything else is text lines in reading order, one cell per line (header lines of a
  table keep one cell per header box).

Layout (:func:`layout_rows`) is pure geometry over :class:`Box` lists, testable without OCR.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

UNREAD = "\ufffd"  # the text of a value cell whose place was found but whose number was not read
VALUE_MIN_SCORE = 0.5  # a numeric box scored lower than this is UNREAD, not a number
DEFAULT_DPI = 200

__all__ = [
    "UNREAD",
    "VALUE_MIN_SCORE",
    "Box",
    "OcrRow",
    "OcrUnavailable",
    "ocr_page",
    "ocr_pdf_pages",
    "layout_rows",
    "normalise_number",
    "page_needs_ocr",
    "page_image_coverage",
    "pages_needing_ocr",
    "render_page",
]


class OcrUnavailable(RuntimeError):
    """The OCR engine or its bundled models are not installed."""


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

# What the extractor reads as a number (xxgk.extract.tokens) or as a printed null mark.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|元|件|个|条|项|次|人)?$")
_NULL_MARKS = frozenset({"/", "\\", "-", "--", "—", "——", "―", "–", "无", "-/-", "×"})
_CONFUSABLE = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1"})
_NUMERIC_LOOKING = re.compile(r"^[+-]?[\dOo〇lI][\dOo〇lI,.]*(?:万元|元|件|个|条|项|次|人)?$")
# Page numbers: "- 3 -", "—3—", "第3页", "3/5", "第 3 页 共 5 页"
_PAGE_NUMBER = re.compile(r"^(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页.*|\d{1,3}\s*/\s*\d{1,3}|\d{1,3})$")


def normalise_number(text: str) -> str | None:
    """The cell's text if the whole box reads as a number or a null mark, else None.

    Full-width digits and punctuation are folded (NFKC); O/o/〇 -> 0 and l/I -> 1 only when
    the whole box looks numeric (so "Oil" stays text); spaces inside are dropped only
    around thousands separators.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    t = re.sub(r"\s*([,.])\s*", r"\1", t)
    if t in _NULL_MARKS:
        return t
    if " " in t:
        return None
    if _NUMBER.match(t):
        return t
    if _NUMERIC_LOOKING.match(t):
        fixed = t.translate(_CONFUSABLE)
        if _NUMBER.match(fixed):
            return fixed
    return None


# --- the engine (one per process) ---------------------------------------------------------

_MODEL_PATTERNS = {"Det": "*det*.onnx", "Rec": "*rec*.onnx"}


def bundled_models() -> dict[str, Path]:
    """The detection and recognition models inside the installed rapidocr package."""
    try:
        import rapidocr
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OcrUnavailable("OCR needs the packages rapidocr and onnxruntime (pip install rapidocr onnxruntime)") from exc
    folder = Path(rapidocr.__file__).parent / "models"
    found: dict[str, Path] = {}
    for task, pattern in _MODEL_PATTERNS.items():
        paths = sorted(folder.glob(pattern))
        if not paths:
            raise OcrUnavailable(f"no {task.lower()} model in {folder}: the pipeline never downloads models")
        # prefer the newest PP-OCR version shipped
        found[task] = max(paths, key=lambda p: [int(n) for n in re.findall(r"\d+", p.stem)] or [0])
    return found


def make_engine(threads: int | None = None):
    """A RapidOCR engine on the bundled models, by explicit path (no download code path)."""
    try:
        from rapidocr import RapidOCR
        import onnxruntime  # noqa: F401  (RapidOCR's default engine)
    except ImportError as exc:
        raise OcrUnavailable("OCR needs the packages rapidocr and onnxruntime (pip install rapidocr onnxruntime)") from exc
    models = bundled_models()
    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # no 180° text in these reports; vertical text is rotated by the crop step
        "Global.text_score": 0.0,  # keep every box: low scores are judged here (VALUE_MIN_SCORE)
        "Det.model_path": str(models["Det"]),
        "Rec.model_path": str(models["Rec"]),
        "Rec.rec_batch_num": 16,
    }
    if threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return RapidOCR(params=params)


_ENGINE = None
_ENGINE_THREADS: int | None = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = make_engine(_ENGINE_THREADS)
    return _ENGINE


def read_boxes(image, engine=None) -> list[Box]:
    """Run OCR on an image (PIL image or numpy array); boxes as axis-aligned quads' bounds.

    Skew is removed from the coordinates (not the image): the median angle of the long
    text boxes is rotated away, so rows stay rows on a scan fed in at a slight angle.
    """
    import numpy as np

    if not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("RGB"))
    result = (engine or _engine())(image)
    if result is None or getattr(result, "boxes", None) is None or result.txts is None:
        return []
    quads = [np.asarray(q, dtype=float) for q in result.boxes]
    angles = []
    for q in quads:
        dx, dy = q[1][0] - q[0][0], q[1][1] - q[0][1]
        height = abs(q[3][1] - q[0][1])
        if dx > 4 * max(height, 1):
            angles.append(math.atan2(dy, dx))
    angle = statistics.median(angles) if len(angles) >= 3 else 0.0
    h, w = image.shape[:2]
    cx, cy = w / 2, h / 2
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for q, text, score in zip(quads, result.txts, result.scores):
        if abs(angle) > math.radians(0.1):
            xs = cx + (q[:, 0] - cx) * cos - (q[:, 1] - cy) * sin
            ys = cy + (q[:, 0] - cx) * sin + (q[:, 1] - cy) * cos
        else:
            xs, ys = q[:, 0], q[:, 1]
        boxes.append(Box(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), str(text).strip(), float(score)))
    return [b for b in boxes if b.text]


def ocr_page(image, page_number: int, *, engine=None) -> list[OcrRow]:
    """OCR one rendered page. ``page_number`` is 1-based, as printed in ``where``."""
    boxes = read_boxes(image, engine)
    size = image.shape[1::-1] if hasattr(image, "shape") else image.size
    return layout_rows(boxes, page_number, page_size=(float(size[0]), float(size[1])))


# --- layout: boxes -> rows ---------------------------------------------------------------

# Column headers of tables 二, 三, 四 (2021 and 2019 formats), possibly cut into pieces
# over lines (商业/企业): a header box names a value column if its text is part of one.
_COLUMN_HEADERS = (
    "本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额", "处理决定数量",
    "本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "本年增减",
    "采购项目数量", "采购总金额", "项目数量", "总金额",
    "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计",
    "结果维持", "结果纠正", "其他结果", "尚未审结",
)


def _is_column_header(text: str) -> bool:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    t = re.sub(r"[(（][^)）]*[)）]", "", t)  # (单位：万元)
    if len(t) < 2:
        return False
    return any(t in h or h in t for h in _COLUMN_HEADERS)


@dataclass
class _ValueRow:
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
class _GridRow:
    yc: float
    y0: float
    y1: float
    values: list[Box] = field(default_factory=list)
    labels: list[Box] = field(default_factory=list)
    strays: list[Box] = field(default_factory=list)  # text printed where a value goes


def _median_height(boxes: list[Box]) -> float:
    heights = [b.h for b in boxes if b.h <= 2.5 * max(b.w, 1)]
    return statistics.median(heights) if heights else 30.0


def _y_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _merge_vertical_stacks(boxes: list[Box], h: float) -> list[Box]:
    """Join one- and two-character boxes stacked in a narrow column into one box:
    vertical text (三/、/本/年/度/…) and header cells wrapped a word per line (商业/企业)."""
    short = sorted(
        (b for b in boxes if len(b.text) <= 2 and normalise_number(b.text) is None and b.h <= 2.5 * max(b.w, 1)),
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


def layout_rows(boxes: list[Box], page_number: int, page_size: tuple[float, float] | None = None) -> list[OcrRow]:
    """Rebuild table rows and text lines of one page from the positions of its boxes."""
    where = f"page {page_number} (ocr)"
    if not boxes:
        return []
    h = _median_height(boxes)
    boxes = _merge_vertical_stacks(list(boxes), h)
    texts: list[Box] = []
    values: list[Box] = []
    for b in boxes:
        number = normalise_number(b.text)
        if number is not None:
            values.append(replace(b, text=number))
        else:
            texts.append(b)

    # A number glued to words on its line is part of a sentence, not a table cell.
    def in_sentence(v: Box) -> bool:
        return any(
            len(t.text) >= 2
            and _y_overlap(v.y0, v.y1, t.y0, t.y1) >= 0.5 * min(v.h, t.h)
            and (0 <= v.x0 - t.x1 < 0.6 * h or 0 <= t.x0 - v.x1 < 0.6 * h)
            for t in texts
        )

    glued = [v for v in values if in_sentence(v)]
    if glued:
        values = [v for v in values if all(v is not g for g in glued)]
        texts += glued
    # Page numbers in the top or bottom margin, alone on their line.
    if page_size is not None:
        height = page_size[1]
        for v in list(values):
            in_margin = v.yc > 0.9 * height or v.yc < 0.06 * height
            alone = not any(o is not v and _y_overlap(v.y0, v.y1, o.y0, o.y1) > 0 for o in values + texts)
            if in_margin and alone and _PAGE_NUMBER.match(v.text):
                values.remove(v)

    rows = _value_rows(values, h)
    tables = _tables(rows, texts, h)
    used: set[int] = set()
    out: list[tuple[float, OcrRow]] = []
    for index, table in enumerate(tables):
        above = tables[index - 1][-1].y1 if index else -math.inf
        below = tables[index + 1][0].y0 if index + 1 < len(tables) else math.inf
        for yc, row in _table_rows(table, texts, h, above, below, used, where):
            out.append((yc, row))
    rest = [t for t in texts if id(t) not in used]
    for yc, row in _text_lines(rest, h, where):
        out.append((yc, row))
    out.sort(key=lambda item: item[0])
    return [row for _, row in out]


def _value_rows(values: list[Box], h: float) -> list[_ValueRow]:
    rows: list[_ValueRow] = []
    for b in sorted(values, key=lambda b: b.yc):
        if rows and b.yc - rows[-1].yc <= 0.5 * h:
            rows[-1].boxes.append(b)
            rows[-1].refresh()
        else:
            rows.append(_ValueRow([b]))
    return rows


def _tables(rows: list[_ValueRow], texts: list[Box], h: float) -> list[list[_ValueRow]]:
    """Runs of value rows with no title or header printed across their values in between."""
    tables: list[list[_ValueRow]] = []
    for row in rows:
        if tables:
            prev = tables[-1][-1]
            x0 = min(b.x0 for b in prev.boxes + row.boxes)
            x1 = max(b.x1 for b in prev.boxes + row.boxes)
            separated = any(
                prev.y1 < t.yc < row.y0 and t.x1 > x0 and t.x0 < x1
                and _y_overlap(t.y0, t.y1, prev.y0, prev.y1) < 0.3 * t.h
                and _y_overlap(t.y0, t.y1, row.y0, row.y1) < 0.3 * t.h
                for t in texts
            )
            if not separated:
                tables[-1].append(row)
                continue
        tables.append([row])
    return tables


def _columns(table: list[_ValueRow], texts: list[Box], h: float, top: float) -> list[tuple[float, float]]:
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
    left = min(c[0] for c in columns)
    widths = [b.w for r in table for b in r.boxes]
    half = statistics.median(widths) / 2 if widths else h / 2
    for t in texts:
        if not (top < t.yc < first.y0) or t.xc < left - h or first.y0 - t.y1 > 6 * h:
            continue
        if not _is_column_header(t.text):
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


def _column_of(b: Box, columns: list[tuple[float, float]], h: float) -> int | None:
    for i, (x0, x1) in enumerate(columns):
        if x0 <= b.xc <= x1:
            return i
    best, overlap = None, 0.0
    for i, (x0, x1) in enumerate(columns):
        o = max(0.0, min(x1, b.x1) - max(x0, b.x0))
        if o > overlap:
            best, overlap = i, o
    return best


def _table_rows(table: list[_ValueRow], texts: list[Box], h: float, above: float, below: float,
                used: set[int], where: str) -> Iterable[tuple[float, OcrRow]]:
    columns = _columns(table, texts, h, above)
    values_left = columns[0][0]
    grid = [_GridRow(r.yc, r.y0, r.y1, list(r.boxes)) for r in table]
    pitch = statistics.median([b.yc - a.yc for a, b in zip(grid, grid[1:])]) if len(grid) > 1 else 2 * h
    top, bottom = grid[0].y0 - 0.5 * pitch, grid[-1].y1 + 0.5 * pitch

    def band_overlap(t: Box, g: _GridRow) -> float:
        return _y_overlap(t.y0, t.y1, g.y0, g.y1)

    # Text where a value goes (a number the engine misread as letters): the cell is UNREAD.
    for t in texts:
        if id(t) in used or t.x1 <= values_left or not (top < t.yc < bottom):
            continue
        col = _column_of(t, columns, h)
        if col is None:
            continue
        g = max(grid, key=lambda g: band_overlap(t, g))
        if band_overlap(t, g) >= 0.5 * t.h and len(t.text) <= 8:
            g.strays.append(t)
            used.add(id(t))

    # Row labels: text left of the values, on the row whose band it overlaps most.
    candidates = [
        t for t in texts
        if id(t) not in used and t.x1 <= values_left + 0.25 * h and top - pitch < t.yc < bottom + pitch
    ]
    label_x0s: list[float] = []
    orphans: list[Box] = []
    for t in sorted(candidates, key=lambda t: t.yc):
        tall = t.h > 2.5 * max(t.w, 1) and t.h > 2 * h
        overlaps = [(band_overlap(t, g), i) for i, g in enumerate(grid)]
        if tall:
            hit = [i for o, i in overlaps if o > 0]
            if hit:
                grid[hit[0]].labels.append(t)
                used.add(id(t))
            continue
        best, i = max(overlaps)
        if best > 0:
            grid[i].labels.append(t)
            used.add(id(t))
            label_x0s.append(t.x0)
        elif grid[0].y0 < t.yc < grid[-1].y1:
            orphans.append(t)
    # A label between two rows whose values were all lost: its own row, every value UNREAD.
    # (A group heading printed between rows, or a cell's second line, sits nearer a row.)
    for t in orphans:
        nearest = min(abs(t.yc - g.yc) for g in grid)
        aligned = any(abs(t.x0 - x) <= 0.75 * h for x in label_x0s)
        if nearest >= 0.7 * pitch and aligned:
            grid.append(_GridRow(t.yc, t.y0, t.y1, [], [t]))
            used.add(id(t))
        else:
            # nearest row, as a wrapped line or a group heading of it
            g = min(grid, key=lambda g: abs(t.yc - g.yc))
            g.labels.append(t)
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
            c = _column_of(b, columns, h)
            if c is not None:
                slots[c].append(b)
        for t in g.strays:
            c = _column_of(t, columns, h)
            if c is not None:
                unread.add(c)
        for c, found in enumerate(slots):
            text, score = _cell_value(found, h)
            if c in unread or text is None:
                cells.append(UNREAD)
                confidences.append(0.0)
            else:
                cells.append(text)
                confidences.append(score)
        yield g.yc, OcrRow(cells, confidences, where)


def _cell_value(found: list[Box], h: float) -> tuple[str | None, float]:
    if not found:
        return None, 0.0
    found = sorted(found, key=lambda b: b.x0)
    if len(found) > 1:
        # one number cut in two by the detector, or two numbers: join only pieces that touch
        if any(b.x0 - a.x1 > 0.3 * h for a, b in zip(found, found[1:])):
            return None, 0.0
        text = normalise_number("".join(b.text for b in found))
        if text is None:
            return None, 0.0
    else:
        text = found[0].text
    score = min(b.score for b in found)
    if score < VALUE_MIN_SCORE:
        return None, 0.0
    return text, round(score, 4)


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
    return ["".join(t.text for t in sorted(col, key=lambda t: t.y0)) for col in columns]


def _text_lines(boxes: list[Box], h: float, where: str) -> Iterable[tuple[float, OcrRow]]:
    """Boxes not in a table as lines: one cell per line, or one per box where a line has wide
    gaps (a table header printed across columns)."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.yc):
        for line in reversed(lines[-3:]):
            y0, y1 = min(o.y0 for o in line), max(o.y1 for o in line)
            if _y_overlap(b.y0, b.y1, y0, y1) >= 0.5 * min(b.h, y1 - y0) and b.h <= 2.5 * max(b.w, 1):
                line.append(b)
                break
        else:
            lines.append([b])
    for line in lines:
        line.sort(key=lambda b: b.x0)
        groups: list[list[Box]] = [[line[0]]]
        for a, b in zip(line, line[1:]):
            if b.x0 - a.x1 > 1.5 * h:
                groups.append([b])
            else:
                groups[-1].append(b)
        cells = []
        for group in groups:
            text = group[0].text
            for a, b in zip(group, group[1:]):
                text += (" " if b.x0 - a.x1 > 0.5 * h else "") + b.text
            cells.append(text)
        yc = statistics.median(b.yc for b in line)
        yield yc, OcrRow(cells, [None] * len(cells), where)


# --- PDFs -------------------------------------------------------------------------------

def render_page(pdf, index: int, dpi: int = DEFAULT_DPI):
    """A page of an open pypdfium2 document as a grayscale PIL image."""
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()


_WORKER_PDF = None
_WORKER_DPI = DEFAULT_DPI


def _init_worker(data: bytes, dpi: int, threads: int) -> None:
    global _WORKER_PDF, _WORKER_DPI, _ENGINE_THREADS
    import pypdfium2 as pdfium

    _WORKER_PDF = pdfium.PdfDocument(data)
    _WORKER_DPI = dpi
    _ENGINE_THREADS = threads
    _engine()  # once per worker process, before the first page


def _ocr_worker_page(index: int) -> tuple[int, list[OcrRow], float]:
    start = time.perf_counter()
    image = render_page(_WORKER_PDF, index, _WORKER_DPI)
    rows = ocr_page(image, index + 1)
    return index, rows, time.perf_counter() - start


Progress = Callable[[int, int, int], None]


def ocr_pdf_pages(data: bytes, pages: list[int], *, dpi: int = DEFAULT_DPI, workers: int = 1,
                  progress: Progress | None = None, timings: dict[int, float] | None = None) -> dict[int, list[OcrRow]]:
    """OCR the given 0-based pages of a PDF; {page index: rows}, in page order.

    With ``workers`` > 1 the pages are spread over that many processes, each rendering
    its own pages and holding one engine. ``progress(done, total, page_index)`` is called
    as pages finish; ``timings`` (if given) receives the seconds each page took.
    """
    pages = sorted(set(pages))
    total = len(pages)
    results: dict[int, list[OcrRow]] = {}
    if not pages:
        return results
    workers = max(1, min(workers, total))
    threads = max(1, (os.cpu_count() or 1) // workers)
    if workers == 1:
        global _ENGINE_THREADS
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            for done, index in enumerate(pages, start=1):
                start = time.perf_counter()
                results[index] = ocr_page(render_page(pdf, index, dpi), index + 1)
                if timings is not None:
                    timings[index] = time.perf_counter() - start
                if progress:
                    progress(done, total, index)
        finally:
            pdf.close()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: pdfium and onnxruntime are not fork-safe once a parent has used them
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                 initargs=(data, dpi, threads)) as pool:
            futures = [pool.submit(_ocr_worker_page, index) for index in pages]
            for done, future in enumerate(as_completed(futures), start=1):
                index, rows, seconds = future.result()
                results[index] = rows
                if timings is not None:
                    timings[index] = seconds
                if progress:
                    progress(done, total, index)
    return {index: results[index] for index in pages}


# --- which pages need OCR -----------------------------------------------------------------

# Words printed only in the tables (headers and row labels), not in the narrative.
_TABLE_WORDS = re.compile(
    r"本年制发件数|本年废止件数|现行有效件数|本年处理决定数量|本年收费金额|本年新制作数量|本年新公开数量|"
    r"对外公开总数量|申请人情况|商业企业|科研机构|社会公益组织|法律服务机构|结果维持|结果纠正|尚未审结|"
    r"未经复议直接起诉|复议后起诉|信息内容|本年新收政府信息公开申请数量|上年结转政府信息公开申请数量|"
    r"(?m:^\s*\d+(?:\s+\d+){4,}\s*$)"
)
MIN_TEXT_CHARS = 20
MIN_IMAGE_RATIO = 0.5


def page_needs_ocr(page_text: str, image_area_ratio: float) -> bool:
    """Whether a page's content must be read by OCR rather than from its text layer.

    True for a page with (almost) no text — a scan, or text drawn as outlines — and for a
    page an image covers most of whose text has none of the table words (a scanned table
    under a typed heading or a stamp's caption).
    """
    chars = len(re.sub(r"\s+", "", page_text or ""))
    if chars < MIN_TEXT_CHARS:
        return True
    folded = re.sub(r"[ \t\u3000]+", "", unicodedata.normalize("NFKC", page_text))
    return image_area_ratio >= MIN_IMAGE_RATIO and not _TABLE_WORDS.search(folded)


def page_image_coverage(page, grid: int = 64) -> float:
    """The share (0..1) of a pypdfium2 page covered by image objects, overlaps counted once."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0
    try:
        left0, bottom0, _, _ = page.get_bbox()
    except Exception:
        left0, bottom0 = 0.0, 0.0
    covered = [[False] * grid for _ in range(grid)]
    any_image = False
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1):
        try:
            left, bottom, right, top = obj.get_pos()
        except Exception:
            continue
        any_image = True
        c0 = max(0, int((left - left0) / width * grid))
        c1 = min(grid, math.ceil((right - left0) / width * grid))
        r0 = max(0, int((bottom - bottom0) / height * grid))
        r1 = min(grid, math.ceil((top - bottom0) / height * grid))
        for r in range(r0, r1):
            row = covered[r]
            for c in range(c0, c1):
                row[c] = True
    if not any_image:
        return 0.0
    return sum(map(sum, covered)) / (grid * grid)


def pages_needing_ocr(data: bytes) -> list[int]:
    """0-based indices of the pages of a PDF whose content must be read by OCR."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            if page_needs_ocr(text, page_image_coverage(page)):
                out.append(i)
            page.close()
        return out
    finally:
        pdf.close()
