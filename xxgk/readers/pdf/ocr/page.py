"""One rendered page through OCR: boxes, ink the detector left out read again, rows laid out."""
from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from xxgk.readers.pdf.ocr.boxes import Box, OcrRow, median_height, normalise_number, y_overlap
from xxgk.readers.pdf.ocr.engine import read_boxes, recognise, shared_engine
from xxgk.readers.pdf.ocr.image import Page, ink_bounds, prepare, ruling_lines, widen
from xxgk.readers.pdf.ocr.layout import layout_rows


def extend_clipped(boxes: list[Box], page: Page, engine, h: float) -> list[Box]:
    """Read again, wider, a box whose line goes on in ink the detector left out.

    The detector can miss the first characters of a line (the bold 三、 of a heading reads
    as three ruling strokes) or a digit at a number's edge. Ink next to a box on its line
    (within half a line height of a number, a whole one of words; at least a third of the
    line tall; not a ruling line; in no other box) is taken into a wider crop and read
    again. Words keep the new reading where it contains the old one and adds no digit; a
    number keeps it where it is a number containing the old one, and is UNREAD (score 0)
    where the wider crop reads otherwise.
    """
    dark = page.dark
    H, W = dark.shape
    out = []
    for b in boxes:
        bh = b.h
        if bh > 2.5 * max(b.w, 1) or bh < 8:
            out.append(b)
            continue
        others = [o for o in boxes if o is not b and y_overlap(o.y0, o.y1, b.y0, b.y1) > 0.3 * bh]
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
            tall = widen(pair.mean(axis=0) >= 0.75)
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
            glyph = ink_bounds(dark, a, b.y0, z, b.y1, 0.35 * bh)
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
        read = recognise(engine, page.gray, new_x0 - pad, b.y0 - 0.05 * bh, new_x1 + pad, b.y1 + 0.05 * bh)
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
    engine = engine or shared_engine()
    page = prepare(image)
    boxes = read_boxes(None, engine, page=page)
    if not boxes:
        return []
    h = median_height(boxes)
    boxes = extend_clipped(boxes, page, engine, h)

    def reread(x0: float, y0: float, x1: float, y1: float, keep: list[Box] = ()) -> tuple[str, float] | None:
        """Read the glyph ink in a rectangle, blanking every box there but `keep`'s."""
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
        glyph = ink_bounds(dark, x0 - X0, y0 - Y0, x1 - X0, y1 - Y0, 0.4 * h, specks=True)
        if glyph is None:
            return None
        gx0, gy0, gx1, gy1 = glyph
        return recognise(engine, gray, gx0 - pad, gy0 - pad, gx1 + pad, gy1 + pad)

    height, width = page.gray.shape
    rules = ruling_lines(page.dark, h)
    return layout_rows(boxes, page_number, page_size=(float(width), float(height)), reread=reread, rules=rules)

