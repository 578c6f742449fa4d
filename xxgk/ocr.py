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
- a table none of whose numbers was found (a one-row table whose lone 0 the detector
  missed) still gives its rows: the labels under a line of column headers, one value per
  header, each read again from the ink or UNREAD;
- everything else is text lines in reading order, one cell per line (a line of column
  headers keeps one cell per header).

Where the detector found nothing, the page's ink is looked at again: a box whose line goes
on in ink next to it is recognised again, wider (the bold 三、 of a heading is easily lost,
and with it the section); a grid cell with no box whose ink (other boxes and ruling lines
left out) reads as a number with confidence gets that number. A cell with no ink stays
UNREAD: a blank printed cell and a lost number cannot be told apart on a scan.

Layout (:func:`layout_rows`) is pure geometry over :class:`Box` lists, testable without OCR.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

UNREAD = "\ufffd"  # the text of a value cell whose place was found but whose number was not read
VALUE_MIN_SCORE = 0.5  # a numeric box scored lower than this is UNREAD, not a number
DEFAULT_DPI = 200

__all__ = [
    "UNREAD",
    "VALUE_MIN_SCORE",
    "Box",
    "OcrRow",
    "OcrUnavailable",
    "as_rows",
    "bundled_models",
    "layout_rows",
    "make_engine",
    "normalise_number",
    "ocr_page",
    "ocr_pdf_pages",
    "page_image_coverage",
    "page_needs_ocr",
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
    if len(t) > 1 and t[-1] in ".,、" and t[-2].isdigit():
        t = t[:-1]  # a speck after a number reads as a full stop: no number ends in one
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


_ENGINE = None  # this process's engine, made on first use
_ENGINE_THREADS: int | None = None
_ENGINES_MADE = 0  # engines made in this process (then workers are spawned, not forked)


def make_engine(threads: int | None = None):
    """A RapidOCR engine on the bundled models, by explicit path (no download code path)."""
    try:
        import onnxruntime  # noqa: F401  (RapidOCR's default engine)
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable("OCR needs the packages rapidocr and onnxruntime (pip install rapidocr onnxruntime)") from exc
    global _ENGINES_MADE
    models = bundled_models()
    _ENGINES_MADE += 1
    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # no 180° text in these reports; vertical text is rotated by the crop step
        "Global.text_score": 0.0,  # keep every box: low scores are judged here (VALUE_MIN_SCORE)
        "Det.model_path": str(models["Det"]),
        "Rec.model_path": str(models["Rec"]),
        # one crop per batch: a batch pads its crops to the widest, so with batches a box's
        # reading would depend on what else is on the page (and it is no slower here)
        "Rec.rec_batch_num": 1,
    }
    if threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return RapidOCR(params=params)


def _engine():
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = make_engine(_ENGINE_THREADS)
    return _ENGINE


@dataclass
class _Page:
    """A page image prepared for OCR: RGB for the engine, grayscale and ink, deskewed."""

    rgb: object  # numpy (h, w, 3) uint8
    gray: object  # numpy (h, w) uint8, rotated by `angle` once it is known
    dark: object  # numpy (h, w) bool: ink
    angle: float = 0.0  # radians; the skew that was rotated away


def _prepare(image) -> _Page:
    import numpy as np

    if isinstance(image, np.ndarray):
        gray = image if image.ndim == 2 else np.asarray(_pil().fromarray(image).convert("L"))
    else:
        gray = np.asarray(image.convert("L"))
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    return _Page(rgb, gray, _ink(gray))


def _pil():
    from PIL import Image

    return Image


def _ink(gray):
    """Dark pixels, at Otsu's threshold (clamped, so a blank page finds no ink)."""
    import numpy as np

    hist = np.bincount(gray.ravel(), minlength=256).astype(float)
    total = hist.sum()
    levels = np.arange(256)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    w1 = total - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((m0[-1] * w0 / total - m0) ** 2 / (w0 * w1), nan=-1.0, posinf=-1.0)
    threshold = int(np.argmax(between[:-1])) if total and between[:-1].max() > 0 else 128
    return gray <= min(max(threshold, 80), 200)


def read_boxes(image, engine=None, *, page: _Page | None = None) -> list[Box]:
    """Run OCR on an image (PIL image or numpy array): axis-aligned boxes, skew removed.

    The skew is the median angle of the long text boxes; boxes are rotated by it about the
    page centre (and, when ``page`` is given, so is its grayscale image), so rows stay
    rows on a scan fed in at a slight angle.
    """
    import numpy as np

    page = page or _prepare(image)
    # every call states its steps: RapidOCR keeps the flags of the last call
    result = (engine or _engine())(page.rgb, use_det=True, use_cls=False, use_rec=True)
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
    if abs(angle) <= math.radians(0.1):
        angle = 0.0
    h, w = page.gray.shape
    cx, cy = w / 2, h / 2
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for q, text, score in zip(quads, result.txts, result.scores):
        xs = cx + (q[:, 0] - cx) * cos - (q[:, 1] - cy) * sin
        ys = cy + (q[:, 0] - cx) * sin + (q[:, 1] - cy) * cos
        boxes.append(Box(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), str(text).strip(), float(score)))
    if angle:
        rotated = _pil().fromarray(page.gray).rotate(math.degrees(angle), resample=2, fillcolor=255)
        page.gray = np.asarray(rotated)
        page.dark = _ink(page.gray)
        page.angle = angle
    return [b for b in boxes if b.text]


def _recognise(engine, gray, x0: float, y0: float, x1: float, y1: float) -> tuple[str, float] | None:
    """The recognition model alone on one crop of the (deskewed) page."""
    import numpy as np

    h, w = gray.shape
    x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = np.repeat(np.ascontiguousarray(gray[y0:y1, x0:x1])[:, :, None], 3, axis=2)
    out = engine(crop, use_det=False, use_cls=False, use_rec=True)
    texts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
    if not texts or not texts[0] or not str(texts[0]).strip():
        return None
    return str(texts[0]).strip(), float(scores[0])


def _ink_bounds(dark, x0: float, y0: float, x1: float, y1: float, min_height: float, specks: bool = False):
    """Bounds of the glyph ink in a rectangle, ruling lines and specks left out; None if none."""
    import numpy as np

    h, w = dark.shape
    X0, Y0, X1, Y1 = max(0, int(x0)), max(0, int(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))
    if X1 - X0 < 2 or Y1 - Y0 < 2:
        return None
    region = dark[Y0:Y1, X0:X1].copy()
    # ruling lines across the rectangle, with the pixel either side (a scan's rule is blurred)
    for axis in (1, 0):
        rule = _widen(region.mean(axis=axis) > 0.6)
        if axis == 1:
            region[rule, :] = False
        else:
            region[:, rule] = False
    if specks:
        region = _without_specks(region, min_height)
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if len(rows) == 0 or rows[-1] - rows[0] + 1 < min_height or region.sum() < 0.5 * min_height:
        return None
    return X0 + cols[0], Y0 + rows[0], X0 + cols[-1] + 1, Y0 + rows[-1] + 1


def _without_specks(region, min_height: float):
    """Ink less the blobs too small to be a digit or part of one (dust, JPEG noise).

    Only the bounds are taken from what is left: a decimal point between two digits
    stays in the crop that is read.
    """
    import cv2
    import numpy as np

    _, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    speck = 0.75 * min_height  # of a glyph's least height: 0.3 of a line's height
    small = (stats[:, cv2.CC_STAT_HEIGHT] < speck) & (stats[:, cv2.CC_STAT_WIDTH] < speck)
    small[0] = False  # the background
    if not small.any():
        return region
    return region & ~small[labels]


def _widen(mask):
    """A 1-d mask grown by one position each way."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def _extend_clipped(boxes: list[Box], page: _Page, engine, h: float) -> list[Box]:
    """Read again, wider, a box whose line goes on in ink the detector left out.

    The detector can miss the first characters of a line (the bold 三、 of a heading reads
    as three ruling strokes) or a digit at a number's edge. Ink next to a box on its line
    (within half a line height of a number, a whole one of words; at least a third of the
    line tall; not a ruling line; in no other box) is taken into a wider crop and read
    again. Words keep the new reading where it contains the old one and adds no digit; a
    number keeps it where it is a number containing the old one, and is UNREAD (score 0)
    where the wider crop reads otherwise.
    """
    import numpy as np

    dark = page.dark
    H, W = dark.shape
    out = []
    for b in boxes:
        bh = b.h
        if bh > 2.5 * max(b.w, 1) or bh < 8:
            out.append(b)
            continue
        others = [o for o in boxes if o is not b and _y_overlap(o.y0, o.y1, b.y0, b.y1) > 0.3 * bh]
        number = normalise_number(b.text)
        # a digit sits close to the next; words can be a full character apart (三、 收到…)
        max_gap = (0.5 if number is not None else 1.0) * bh
        new_x0, new_x1 = b.x0, b.x1
        for side in (-1, 1):
            reach = 4 * bh
            lo = int(max(0, b.x0 - reach)) if side < 0 else int(min(W, b.x1))
            hi = int(max(0, b.x0)) if side < 0 else int(min(W, b.x1 + reach))
            if hi - lo < 2:
                continue
            y0, y1 = int(max(0, b.y0 + 0.1 * bh)), int(min(H, b.y1 - 0.1 * bh))
            band = dark[y0:y1, lo:hi].copy()
            band[band.mean(axis=1) > 0.7, :] = False
            column = dark[int(max(0, b.y0 - 0.5 * bh)):int(min(H, b.y1 + 0.5 * bh)), lo:hi]
            pair = column.copy()
            pair[:, 1:] |= column[:, :-1]  # a rule blurred over two pixel columns
            tall = _widen(pair.mean(axis=0) >= 0.75)
            ink = band.any(axis=0)
            blocked = np.zeros(hi - lo, dtype=bool)
            for o in others:
                a, z = int(max(lo, o.x0)) - lo, int(min(hi, o.x1)) - lo
                if z > a:
                    blocked[a:z] = True
            order = range(hi - lo - 1, -1, -1) if side < 0 else range(hi - lo)
            gap, last = 0, None
            for i in order:
                if tall[i] or blocked[i]:
                    break
                if ink[i]:
                    gap, last = 0, i
                else:
                    gap += 1
                    if gap > max_gap:
                        break
            if last is None:
                continue
            edge = lo + last + (0 if side < 0 else 1)
            span = (b.x0 - edge) if side < 0 else (edge - b.x1)
            if span < 0.3 * bh:
                continue
            a, z = sorted((edge, b.x0 if side < 0 else b.x1))
            glyph = _ink_bounds(dark, a, b.y0, z, b.y1, 0.35 * bh)
            if glyph is None:
                continue
            if side < 0:
                new_x0 = edge
            else:
                new_x1 = edge
        if (new_x0, new_x1) == (b.x0, b.x1):
            out.append(b)
            continue
        pad = 0.15 * bh
        read = _recognise(engine, page.gray, new_x0 - pad, b.y0 - 0.05 * bh, new_x1 + pad, b.y1 + 0.05 * bh)
        if read is None or read[0] == b.text or (number is not None and normalise_number(read[0]) == number):
            out.append(b)  # the ink adds nothing that reads
        elif len(read[0]) > len(b.text) and b.text in read[0] and read[1] >= 0.8:
            if number is None and re.search(r"\d", read[0].replace(b.text, "", 1)):
                out.append(b)  # words do not take in a number printed beside them
            elif number is not None and normalise_number(read[0]) is None:
                out.append(replace(b, score=0.0))  # a number with ink beside it that is no number
            else:
                out.append(Box(new_x0, b.y0, new_x1, b.y1, read[0], read[1]))
        elif number is not None:
            out.append(replace(b, score=0.0))  # a number read two ways: not read
        else:
            out.append(b)
    return out


def ocr_page(image, page_number: int, *, engine=None) -> list[OcrRow]:
    """OCR one rendered page. ``page_number`` is 1-based, as printed in ``where``.

    After detection and recognition, two checks read again from the ink: boxes whose line
    goes on past them (see :func:`_extend_clipped`), and every grid cell where no number
    was found: if the cell holds glyph ink (ruling lines and other boxes left out), the
    recognition model reads that ink alone, and a number read with confidence fills the
    cell. A cell with no ink, or ink that reads as no number, stays UNREAD.
    """
    engine = engine or _engine()
    page = _prepare(image)
    boxes = read_boxes(None, engine, page=page)
    if not boxes:
        return []
    h = _median_height(boxes)
    boxes = _extend_clipped(boxes, page, engine, h)

    def reread(x0: float, y0: float, x1: float, y1: float, keep: list[Box] = ()) -> tuple[str, float] | None:
        """Read the glyph ink in a rectangle, blanking every box there but `keep`'s."""
        import numpy as np

        pad = 0.3 * h
        H, W = page.gray.shape
        X0, Y0 = max(0, int(min(x0, x1) - pad)), max(0, int(min(y0, y1) - pad))
        X1, Y1 = min(W, math.ceil(max(x0, x1) + pad)), min(H, math.ceil(max(y0, y1) + pad))
        gray = page.gray[Y0:Y1, X0:X1].copy()
        dark = page.dark[Y0:Y1, X0:X1].copy()
        kept = np.zeros_like(dark)
        for b in keep:
            kept[max(0, int(b.y0) - Y0):max(0, math.ceil(b.y1) - Y0), max(0, int(b.x0) - X0):max(0, math.ceil(b.x1) - X0)] = True
        for b in boxes:
            if b.x1 > X0 and b.x0 < X1 and b.y1 > Y0 and b.y0 < Y1:
                sl = (slice(max(0, int(b.y0 - 1) - Y0), max(0, math.ceil(b.y1 + 1) - Y0)),
                      slice(max(0, int(b.x0 - 1) - X0), max(0, math.ceil(b.x1 + 1) - X0)))
                gray[sl] = np.where(kept[sl], gray[sl], 255)
                dark[sl] &= kept[sl]
        glyph = _ink_bounds(dark, x0 - X0, y0 - Y0, x1 - X0, y1 - Y0, 0.4 * h, specks=True)
        if glyph is None:
            return None
        gx0, gy0, gx1, gy1 = glyph
        return _recognise(engine, gray, gx0 - pad, gy0 - pad, gx1 + pad, gy1 + pad)

    height, width = page.gray.shape
    return layout_rows(boxes, page_number, page_size=(float(width), float(height)), reread=reread)


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
    """A header's text, or a piece of one (商业 of 商业企业); 法人或其他组织 is not 其他."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    t = re.sub(r"[(（][^)）]*[)）]", "", t)  # (单位：万元)
    if len(t) < 2:
        return False
    return any(t in h or (len(h) >= 4 and h in t) for h in _COLUMN_HEADERS)


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


_CJK = re.compile(r"[\u3400-\u9fff]")
_UNITS = frozenset({"万元", "元", "件", "个", "条", "项", "次", "人"})


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
            if _y_overlap(b.y0, b.y1, u.y0, u.y1) >= 0.5 * min(b.h, u.h) and -0.2 * h <= u.x0 - b.x1 < 0.6 * h:
                base = joined.get(id(b), b)
                joined[id(b)] = Box(base.x0, min(base.y0, u.y0), u.x1, max(base.y1, u.y1),
                                    base.text + u.text.strip(), min(base.score, u.score))
                gone.add(id(u))
                break
    return [joined.get(id(b), b) for b in boxes if id(b) not in gone]


# reread(x0, y0, x1, y1, keep): (text, score) of the glyph ink in a rectangle, the ink of
# every box there blanked out but the boxes in `keep`; None where there is no glyph ink.
Reread = Callable[..., "tuple[str, float] | None"]


def layout_rows(boxes: list[Box], page_number: int, page_size: tuple[float, float] | None = None,
                reread: Reread | None = None) -> list[OcrRow]:
    """Rebuild table rows and text lines of one page from the positions of its boxes.

    ``reread(x0, y0, x1, y1, keep)``, if given, reads again the ink of a grid cell the
    boxes did not settle (none found, a low score, text that is no number).
    """
    where = f"page {page_number} (ocr)"
    if not boxes:
        return []
    h = _median_height(boxes)
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
            and _y_overlap(v.y0, v.y1, t.y0, t.y1) >= 0.5 * min(v.h, t.h)
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
            alone = not any(o is not v and _y_overlap(v.y0, v.y1, o.y0, o.y1) > 0 for o in values + texts)
            if in_margin and alone and _PAGE_NUMBER.match(v.text):
                values.remove(v)
                if not v.text.isdigit():
                    texts.append(v)

    rows = _value_rows(values, h)
    tables = _tables(rows, texts, h)
    used: set[int] = set()
    out: list[tuple[float, OcrRow]] = []
    for index, table in enumerate(tables):
        above = tables[index - 1][-1].y1 if index else -math.inf
        for yc, row in _table_rows(table, texts, h, above, used, where, reread):
            out.append((yc, row))
    table_spans = [(t[0].y0, t[-1].y1) for t in tables]
    out.extend(_rows_under_headers(texts, values, table_spans, used, h, where, reread))
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
    widths = [b.w for r in table for b in r.boxes]
    half = statistics.median(widths) / 2 if widths else h / 2
    for t in texts:
        if not (top < t.yc < first.y0) or first.y0 - t.y1 > 6 * h:
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


def _table_rows(table: list[_ValueRow], texts: list[Box], h: float, above: float, used: set[int],
                where: str, reread: Reread | None = None) -> Iterable[tuple[float, OcrRow]]:
    """The grid rows of one table; marks the boxes it takes (labels, strays) `used`."""
    columns = _columns(table, texts, h, above)
    values_left = columns[0][0]
    grid = [_GridRow(r.yc, r.y0, r.y1, list(r.boxes)) for r in table]
    # Only amounts (金额, 万元) have decimals; a point in a count is a speck read as one
    # ("250" read "25.0"), so there the number is not taken as read. A column's header
    # for a row is the nearest column header above the row (tables 二 come one under another).
    heads = [t for t in texts if above < t.yc < table[-1].y0 and (_is_column_header(t.text) or _AMOUNT.search(t.text))]

    def decimals_allowed(g: _GridRow, c: int) -> bool:
        x0, x1 = columns[c]
        over = [t for t in heads if t.yc < g.y0 and t.x0 < x1 and x0 < t.x1]
        return bool(over) and bool(_AMOUNT.search(max(over, key=lambda t: t.yc).text))
    pitch = statistics.median([b.yc - a.yc for a, b in pairwise(grid)]) if len(grid) > 1 else 2 * h
    top, bottom = grid[0].y0 - 0.5 * pitch, grid[-1].y1 + 0.5 * pitch

    def band_overlap(t: Box, g: _GridRow) -> float:
        return _y_overlap(t.y0, t.y1, g.y0, g.y1)

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
    row_of: dict[int, _GridRow] = {}
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

    for t in orphans:
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
                g = _GridRow(t.yc, t.y0, t.y1, [], [t])
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
            c = _column_of(b, columns, h)
            if c is not None:
                slots[c].append(b)
        strays: list[list[Box]] = [[] for _ in columns]
        for t in g.strays:
            c = _column_of(t, columns, h)
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


def _rows_under_headers(texts: list[Box], values: list[Box], table_spans: list[tuple[float, float]], used: set[int],
                        h: float, where: str, reread: Reread | None) -> Iterable[tuple[float, OcrRow]]:
    """Rows of a table none of whose numbers was found: under a line of column headers
    (本年处理决定数量, 本年收费金额…), the row labels on its left, up to the next line that
    reaches under the headers. Every value is read again from the ink under its header, or
    is UNREAD. (A one-row table such as 行政事业性收费 | 0 is lost whole if its lone 0 is.)"""
    free = [t for t in texts if id(t) not in used]
    heads = sorted((t for t in free if _is_column_header(t.text)), key=lambda t: t.yc)
    done: set[int] = set()
    for head in heads:
        if id(head) in done:
            continue
        line = sorted((t for t in heads if _y_overlap(t.y0, t.y1, head.y0, head.y1) >= 0.5 * min(t.h, head.h)),
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
            if any(_y_overlap(v.y0, v.y1, t.y0, t.y1) > 0.3 * t.h for v in values) or id(t) in used:
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


def _reread_cell(reread: Reread, columns: list[tuple[float, float]], c: int, g: _GridRow, h: float,
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
        if line and _y_overlap(b.y0, b.y1, min(o.y0 for o in line), max(o.y1 for o in line)) >= 0.5 * min(b.h, line[0].h):
            line.append(b)
        else:
            lines.append([b])
    return [b for line in lines for b in sorted(line, key=lambda b: b.x0)]


def _text_lines(boxes: list[Box], h: float, where: str) -> Iterable[tuple[float, OcrRow]]:
    """Boxes not in a table as lines: one cell per line, cut where the line has a wide gap or
    at a column header (自然人 | 商业企业 | …), so a heading cut in two boxes stays whole."""
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
        for a, b in pairwise(line):
            if b.x0 - a.x1 > 1.5 * h or _is_column_header(a.text) or _is_column_header(b.text):
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


def as_rows(rows: list[OcrRow]) -> list:
    """OCR rows as :class:`xxgk.documents.Row` (provenance "ocr", confidences kept)."""
    from xxgk.documents import Row

    return [Row(list(r.cells), r.where, list(r.confidences), "ocr") for r in rows]


# --- PDFs -------------------------------------------------------------------------------

def render_page(pdf, index: int, dpi: int = DEFAULT_DPI):
    """A page of an open pypdfium2 document as a grayscale PIL image."""
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()


_WORKER_PDFS: dict = {}  # this worker's open documents, by source
_WORKER_DPI = DEFAULT_DPI

Progress = Callable[[int, int, tuple], None]


def _init_worker(dpi: int, threads: int) -> None:
    global _WORKER_DPI, _ENGINE_THREADS
    _WORKER_DPI = dpi
    _ENGINE_THREADS = threads
    _engine()  # once per worker process, before the first page


def _open(source):
    import hashlib

    import pypdfium2 as pdfium

    key = source if isinstance(source, str) else hashlib.sha256(source).digest()
    if key not in _WORKER_PDFS:
        while len(_WORKER_PDFS) >= 4:  # the pages of a document arrive together: keep a few open
            _WORKER_PDFS.pop(next(iter(_WORKER_PDFS))).close()
        _WORKER_PDFS[key] = pdfium.PdfDocument(source)
    return _WORKER_PDFS[key]


def _ocr_task(source, index: int) -> tuple[list[OcrRow], float]:
    start = time.perf_counter()
    rows = ocr_page(render_page(_open(source), index, _WORKER_DPI), index + 1)
    return rows, time.perf_counter() - start


def ocr_pages(tasks: list[tuple[object, int]], *, dpi: int = DEFAULT_DPI, workers: int = 1,
              progress: Progress | None = None, timings: dict[tuple, float] | None = None) -> dict[tuple, list[OcrRow]]:
    """OCR pages of one or many PDFs: tasks are (source, 0-based page), source a path or bytes.

    Returns {(task index, page): rows}. With ``workers`` > 1 the pages are spread over that
    many processes, each holding one engine (onnxruntime threads split between them).
    ``progress(done, total, task)`` is called as pages finish; ``timings`` (if given)
    receives the seconds each page took.
    """
    results: dict[tuple, list[OcrRow]] = {}
    total = len(tasks)
    if not tasks:
        return results
    workers = max(1, min(workers, total))
    threads = max(1, (os.cpu_count() or 1) // workers)

    def done(n: int, key: tuple, rows: list[OcrRow], seconds: float) -> None:
        results[key] = rows
        if timings is not None:
            timings[key] = seconds
        if progress:
            progress(n, total, key)

    if workers == 1:
        global _WORKER_DPI
        _WORKER_DPI = dpi
        try:
            for n, (i, (source, index)) in enumerate(enumerate(tasks), start=1):
                rows, seconds = _ocr_task(source, index)
                done(n, (i, index), rows, seconds)
        finally:
            while _WORKER_PDFS:
                _WORKER_PDFS.popitem()[1].close()
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # A process that has run the engine has onnxruntime's thread pools: fork no copy of
    # them (spawn); otherwise the platform's default start method, as ingest() uses.
    context = multiprocessing.get_context("spawn" if _ENGINES_MADE else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(dpi, threads)) as pool:
        futures = {pool.submit(_ocr_task, source, index): (i, index) for i, (source, index) in enumerate(tasks)}
        for n, future in enumerate(as_completed(futures), start=1):
            rows, seconds = future.result()
            done(n, futures[future], rows, seconds)
    return results


def ocr_pdf_pages(data: bytes, pages: list[int], *, dpi: int = DEFAULT_DPI, workers: int = 1,
                  progress: Callable[[int, int, int], None] | None = None,
                  timings: dict[int, float] | None = None) -> dict[int, list[OcrRow]]:
    """OCR the given 0-based pages of one PDF; {page index: rows}, in page order.

    ``progress(done, total, page_index)`` is called as pages finish; ``timings`` (if given)
    receives the seconds each page took.
    """
    pages = sorted(set(pages))
    per_task: dict[tuple, float] = {}
    results = ocr_pages([(data, index) for index in pages], dpi=dpi, workers=workers, timings=per_task,
                        progress=(lambda n, total, key: progress(n, total, key[1])) if progress else None)
    if timings is not None:
        timings.update({index: seconds for (_, index), seconds in per_task.items()})
    return {index: results[(i, index)] for i, index in enumerate(pages)}


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
    """The share (0..1) of a pypdfium2 page covered by images, overlaps counted once.

    Images drawn on the page count by their bounds; a form XObject that holds an image
    (some scanners wrap the scan in one) counts by the form's bounds. Raw pdfium calls:
    a page of a text PDF can hold thousands of objects (one per character).
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0
    left0, bottom0, _, _ = page.get_bbox()
    image, form = pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM

    def holds_image(obj) -> bool:
        return any(pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFFormObj_GetObject(obj, i)) == image
                   for i in range(max(pdfium_c.FPDFFormObj_CountObjects(obj), 0)))

    covered = [[False] * grid for _ in range(grid)]
    found = False
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind != image and not (kind == form and holds_image(obj)):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        found = True
        c0 = max(0, int((left.value - left0) / width * grid))
        c1 = min(grid, math.ceil((right.value - left0) / width * grid))
        r0 = max(0, int((bottom.value - bottom0) / height * grid))
        r1 = min(grid, math.ceil((top.value - bottom0) / height * grid))
        for r in range(r0, r1):
            row = covered[r]
            for c in range(c0, c1):
                row[c] = True
    if not found:
        return 0.0
    return sum(map(sum, covered)) / (grid * grid)


GRID_DPI = 72  # at 50 dpi the thin ruling lines of a 200-dpi scan fade to light grey


def has_table_grid(gray, min_lines: int = 3) -> bool:
    """Whether a page image shows a ruled table: several long horizontal and vertical lines.

    Cheap (a page at 72 dpi, ~40 ms): it chooses which image pages are worth the seconds of OCR.
    """
    import numpy as np

    dark = np.asarray(gray) < 200
    if dark.ndim == 3:
        dark = dark[:, :, 0]
    h, w = dark.shape

    def lines(mask, length: float) -> int:
        """Rows of `mask` holding a run of ink at least `length` long."""
        edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        count = 0
        for row in edges:
            starts = np.flatnonzero(row == 1)
            if len(starts) and (np.flatnonzero(row == -1) - starts).max() >= length:
                count += 1
        return count

    return lines(dark, 0.4 * w) >= min_lines and lines(dark.T, 0.08 * h) >= min_lines


def pages_with_table_grid(source, pages: list[int]) -> list[int]:
    """Those of `pages` (0-based) of a PDF whose image shows a ruled table."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    try:
        return [i for i in pages if has_table_grid(render_page(pdf, i, GRID_DPI))]
    finally:
        pdf.close()


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
