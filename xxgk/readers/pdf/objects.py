"""What a PDF page draws, from pdfium's page objects in one pass.

Three questions are asked of every page's objects: are its fonts embedded (pdfium loses
characters of a non-embedded CJK font), how much of it do images cover (a scan to OCR),
and which paths does it paint (the ruling lines of its tables, :mod:`xxgk.readers.pdf.grid`).
A text PDF holds thousands of objects a page (WPS writes one per character), so they are
walked once, by raw pdfium calls, and each object's type is asked once.
"""
from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field
from functools import cache

import pypdfium2.raw as pdfium_c

_TEXT, _PATH, _IMAGE, _FORM = (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH,
                               pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

# The PDF standard's 14 fonts: never embedded, and known to every reader.
STANDARD_FONTS = re.compile(r"^(Times|Helvetica|Courier)(-.*)?$|^(Symbol|ZapfDingbats)$")


@dataclass
class PageObjects:
    paths: list = field(default_factory=list)  # (path object, its matrix to page space): stroked or filled
    fonts_embedded: bool = True  # every font embedded, or one of the standard 14
    images: list = field(default_factory=list)  # (left, bottom, right, top) of each image on the page


def multiply(m, n) -> tuple:
    """The matrix that applies m, then n (PDF order: row vector times matrix)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _matrix(obj) -> tuple:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def by_address(function, restype, *argtypes):
    """A pdfium function called with and returning plain addresses (ints): pypdfium2's
    typed pointers cost a conversion at every call, and cannot be dictionary keys."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(function, ctypes.c_void_p).value)


@cache
def _object_calls():
    address, i = ctypes.c_void_p, ctypes.c_int
    return (by_address(pdfium_c.FPDFPage_GetObject, address, address, i),
            by_address(pdfium_c.FPDFFormObj_GetObject, address, address, ctypes.c_ulong),
            by_address(pdfium_c.FPDFPageObj_GetType, i, address),
            by_address(pdfium_c.FPDFTextObj_GetFont, address, address))


def page_objects(page_raw) -> PageObjects:
    """One walk over a page's objects and, inside form XObjects, theirs (a clipping path is
    no object). An image counts by its bounds; so does a form on the page that holds an
    image (some scanners wrap the scan in one). A text object (thousands a page) is asked
    by address for its type and font; the few others are typed for pypdfium2's calls."""
    out = PageObjects()
    page_object, form_object, get_type, get_font = _object_calls()
    typed_object, typed_font = pdfium_c.FPDF_PAGEOBJECT, pdfium_c.FPDF_FONT
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    name = ctypes.create_string_buffer(128)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    fonts_seen: set[int] = set()

    def bounds(obj) -> None:
        if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            out.images.append((left.value, bottom.value, right.value, top.value))

    def walk(count, get, outer, on_page: bool) -> None:
        for i in range(count):
            address = get(i)
            kind = get_type(address)
            if kind == _TEXT:
                if not out.fonts_embedded:
                    continue
                font = get_font(address)
                if font in fonts_seen:
                    continue
                fonts_seen.add(font)
                typed = ctypes.cast(font, typed_font)
                if font and not pdfium_c.FPDFFont_GetIsEmbedded(typed):
                    pdfium_c.FPDFFont_GetBaseFontName(typed, name, len(name))
                    out.fonts_embedded = bool(STANDARD_FONTS.match(name.value.decode("latin-1")))
                continue
            obj = ctypes.cast(address, typed_object)
            if kind == _PATH:
                pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
                if fill.value or stroke.value:
                    out.paths.append((obj, multiply(_matrix(obj), outer)))
            elif kind == _IMAGE:
                if on_page:
                    bounds(obj)
            elif kind == _FORM:
                n = max(pdfium_c.FPDFFormObj_CountObjects(obj), 0)
                if on_page and any(get_type(form_object(address, j)) == _IMAGE for j in range(n)):
                    bounds(obj)
                walk(n, lambda j, form=address: form_object(form, j), multiply(_matrix(obj), outer), False)

    page = ctypes.cast(page_raw, ctypes.c_void_p).value
    walk(pdfium_c.FPDFPage_CountObjects(page_raw), lambda i: page_object(page, i), IDENTITY, True)
    return out


def image_coverage(images: list, page_box: tuple[float, float, float, float], grid: int = 64) -> float:
    """The share (0..1) of the page box (left, bottom, width, height) that the image bounds
    cover, overlaps counted once (on a grid of grid x grid squares)."""
    left0, bottom0, width, height = page_box
    if width <= 0 or height <= 0 or not images:
        return 0.0
    covered = [[False] * grid for _ in range(grid)]
    for left, bottom, right, top in images:
        c0 = max(0, int((left - left0) / width * grid))
        c1 = min(grid, math.ceil((right - left0) / width * grid))
        r0 = max(0, int((bottom - bottom0) / height * grid))
        r1 = min(grid, math.ceil((top - bottom0) / height * grid))
        for r in range(r0, r1):
            row = covered[r]
            for c in range(c0, c1):
                row[c] = True
    return sum(map(sum, covered)) / (grid * grid)
