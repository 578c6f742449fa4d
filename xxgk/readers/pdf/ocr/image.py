"""A page image rendered and prepared for OCR, and where its ink is: the glyphs in a rectangle with
ruling lines and specks left out."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from xxgk.readers.pdf.ocr.boxes import Rules

DEFAULT_DPI = 200


@dataclass
class Page:
    """A page image prepared for OCR: RGB for the engine, grayscale and ink, deskewed."""

    rgb: object  # numpy (h, w, 3) uint8
    gray: object  # numpy (h, w) uint8, rotated by `angle` once it is known
    dark: object  # numpy (h, w) bool: ink
    angle: float = 0.0  # radians; the skew that was rotated away


def prepare(image) -> Page:
    if isinstance(image, np.ndarray):
        gray = image if image.ndim == 2 else np.asarray(Image.fromarray(image).convert("L"))
    else:
        gray = np.asarray(image.convert("L"))
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    return Page(rgb, gray, ink(gray))


def ink(gray):
    """Dark pixels, at Otsu's threshold (clamped, so a blank page finds no ink)."""
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


def ink_bounds(dark, x0: float, y0: float, x1: float, y1: float, min_height: float, specks: bool = False):
    """Bounds of the glyph ink in a rectangle, ruling lines and specks left out; None if none."""
    h, w = dark.shape
    X0, Y0, X1, Y1 = max(0, int(x0)), max(0, int(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))
    if X1 - X0 < 2 or Y1 - Y0 < 2:
        return None
    region = dark[Y0:Y1, X0:X1].copy()
    # ruling lines across the rectangle, with the pixel either side (a scan's rule is blurred)
    for axis in (1, 0):
        rule = widen(region.mean(axis=axis) > 0.6)
        if axis == 1:
            region[rule, :] = False
        else:
            region[:, rule] = False
    if specks:
        region = without_specks(region, min_height)
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if len(rows) == 0 or rows[-1] - rows[0] + 1 < min_height or region.sum() < 0.5 * min_height:
        return None
    return X0 + cols[0], Y0 + rows[0], X0 + cols[-1] + 1, Y0 + rows[-1] + 1


def without_specks(region, min_height: float):
    """Ink less the blobs too small to be a digit or part of one (dust, JPEG noise).

    Only the bounds are taken from what is left: a decimal point between two digits
    stays in the crop that is read.
    """
    import cv2  # only on the cells read again: OpenCV takes a while to import

    _, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    speck = 0.75 * min_height  # of a glyph's least height: 0.3 of a line's height
    small = (stats[:, cv2.CC_STAT_HEIGHT] < speck) & (stats[:, cv2.CC_STAT_WIDTH] < speck)
    small[0] = False  # the background
    if not small.any():
        return region
    return region & ~small[labels]


def widen(mask):
    """A 1-d mask grown by one position each way."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def ruling_lines(dark, h: float) -> Rules:
    """The ruling lines of a page's ink: runs of ink at least three text heights long,
    horizontal or vertical, after gaps of a pixel or two (noise, JPEG) are closed."""
    import cv2  # OpenCV's morphology: a long thin opening keeps lines and drops glyphs

    ink = dark.astype(np.uint8)
    length = max(25, int(3 * h))
    out = []
    for kernel, close in (((length, 1), (5, 1)), ((1, length), (1, 5))):
        mask = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, close))
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        lines = []
        for x, y, w, hh, _ in stats[1:count]:
            if kernel[0] > 1:  # horizontal: thin, long
                if hh <= max(6, 0.4 * h):
                    lines.append((y + (hh - 1) / 2, float(x), float(x + w)))
            elif w <= max(6, 0.4 * h):
                lines.append((x + (w - 1) / 2, float(y), float(y + hh)))
        out.append(sorted(lines))
    return Rules(out[0], out[1])


def render_page(pdf, index: int, dpi: int = DEFAULT_DPI):
    """A page of an open pypdfium2 document as a grayscale PIL image."""
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()
