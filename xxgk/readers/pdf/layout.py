"""Lines of a PDF page cut into cells by the gaps between words.

Outside ruled tables this gives one cell per narrative line; for a table it gives
the cells of each row from the words' positions. Two readers feed it:

- pdfplumber's words (the reference reader, for the text around its ruled tables);
- pdfium's characters (:func:`pdfium_page_words`), ~20x faster than pdfminer's parse:
  words are built from them by pdfplumber's own rules (lines clustered on ``top``
  within 3 pt, a new word at a space, a backward step or a gap wider than 3 pt, a
  change of font size), so both readers see the same words.
"""
from __future__ import annotations

import ctypes
from functools import cache
from itertools import groupby

from xxgk.model import Row
from xxgk.readers.pdf.objects import by_address

X_TOLERANCE = 3.0  # pdfplumber's extract_words defaults
Y_TOLERANCE = 3.0
CELL_GAP = 1.0  # a gap wider than this many characters separates two cells


def cluster(items: list[dict], key: str, tolerance: float) -> list[list[dict]]:
    """Groups of items whose `key` values chain within `tolerance` (pdfplumber's cluster_objects)."""
    ordered = sorted(items, key=lambda item: item[key])
    groups: list[list[dict]] = []
    last = None
    for item in ordered:
        if last is None or item[key] > last + tolerance:
            groups.append([])
        groups[-1].append(item)
        last = item[key]
    return groups


def gap_lines(words: list[dict]) -> list[tuple[float, list[str]]]:
    """(top, cells) of every line of words (dicts with text, x0, x1, top, size), top to bottom."""
    lines = []
    for line in cluster(words, "top", Y_TOLERANCE):
        line.sort(key=lambda w: w["x0"])
        cells = [[line[0]]]
        for prev, word in zip(line, line[1:]):
            if word["x0"] - prev["x1"] > CELL_GAP * max(prev["size"], word["size"]):
                cells.append([word])
            else:
                cells[-1].append(word)
        lines.append((min(w["top"] for w in line), [join_words(c) for c in cells]))
    lines.sort(key=lambda x: x[0])
    return lines


def join_words(words: list[dict]) -> str:
    """Words of one cell; a space only where the source had one between Latin words or digits."""
    out = words[0]["text"]
    for prev, word in zip(words, words[1:]):
        gap = word["x0"] - prev["x1"]
        out += (" " if gap > 0.15 * word["size"] else "") + word["text"]
    return out


def words_from_chars(chars: list[dict]) -> list[dict]:
    """pdfplumber's extract_words(extra_attrs=["size"]) over chars in content-stream order."""
    words: list[dict] = []
    for _, run in groupby(chars, key=lambda c: c["size"]):
        for line in cluster(list(run), "top", Y_TOLERANCE):
            line.sort(key=lambda c: c["x0"])
            word: list[dict] = []
            for char in line:
                if char["text"].isspace():
                    _flush(word, words)
                    word = []
                    continue
                if word:
                    prev = word[-1]
                    if char["x0"] < prev["x0"] or char["x0"] > prev["x1"] + X_TOLERANCE or abs(char["top"] - prev["top"]) > Y_TOLERANCE:
                        _flush(word, words)
                        word = []
                word.append(char)
            _flush(word, words)
    return words


def _flush(chars: list[dict], words: list[dict]) -> None:
    if len(chars) == 1:
        c = chars[0]
        words.append({"text": c["text"], "x0": c["x0"], "x1": c["x1"], "top": c["top"], "size": c["size"]})
    elif chars:
        words.append({
            "text": "".join([c["text"] for c in chars]),
            "x0": chars[0]["x0"],  # chars of a word are in x order
            "x1": max([c["x1"] for c in chars]),
            "top": min([c["top"] for c in chars]),
            "size": chars[0]["size"],
        })


@cache
def _char_calls():
    import pypdfium2.raw as pdfium_c

    address, i, double = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    return (by_address(pdfium_c.FPDFText_GetLooseCharBox, i, address, i, address),
            by_address(pdfium_c.FPDFText_GetTextObject, address, address, i),
            by_address(pdfium_c.FPDFText_GetFontSize, double, address, i),
            by_address(pdfium_c.FPDFText_GetMatrix, i, address, i, address),
            by_address(pdfium_c.FPDFText_GetCharOrigin, i, address, i, address, address))


def pdfium_page_chars(textpage, page_height: float) -> list[dict]:
    """The characters of a pypdfium2 text page, in pdfplumber's coordinates (top from the top)
    and with the keys its text and table functions read (doctop as top: one page at a time).

    Loose boxes (the font's advance and ascent, not the glyph's ink) keep their width when the
    font is not embedded; the size is the font size scaled by the text matrix, as pdfplumber's.
    Line ends that pdfium generates are left out (the spaces it infers at gaps end a word, as
    a printed space does); a character drawn twice at the same place (fake bold) is kept
    once, as pdfplumber's dedupe_chars does. Raw pdfium calls, two per character: its box,
    and its text object, whose font size and matrix (the same for all its characters) are
    asked once.
    """
    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    if count <= 0:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    text = bytes(buffer)[: 2 * count].decode("utf-16-le", errors="replace")
    get_box, get_object, get_size, get_matrix, get_origin = _char_calls()
    page = ctypes.cast(raw, ctypes.c_void_p).value
    box, matrix, ox, oy = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX(), ctypes.c_double(), ctypes.c_double()
    box_at, matrix_at, ox_at, oy_at = (ctypes.addressof(x) for x in (box, matrix, ox, oy))
    styles: dict[int, tuple[float, float, bool, float]] = {}  # text object -> font size, size, upright, size rounded
    chars: list[dict] = []
    seen: dict[str, dict[tuple[int, int], list[tuple[float, float]]]] = {}  # char -> (x, y on a 1-pt grid) -> places
    for i, ch in enumerate(text):
        if ch in "\r\n\x00\ufffe\uffff" or not get_box(page, i, box_at):
            continue
        obj = get_object(page, i)
        style = styles.get(obj) if obj else None
        if style is None:
            font_size = size = get_size(page, i)
            upright = True
            if get_matrix(page, i, matrix_at):
                size *= (matrix.c * matrix.c + matrix.d * matrix.d) ** 0.5
                upright = matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0  # as pdfminer's LTChar
            style = (font_size, size, upright, round(size, 3))
            if obj:
                styles[obj] = style
        font_size, size, upright, rounded = style
        left, right, low = box.left, box.right, box.bottom
        if right - left > 2 * size > 0:
            # pdfium sizes the loose box of some characters (WPS's vertical labels) by the
            # font size before the text matrix: scale it about the character's origin
            get_origin(page, i, ox_at, oy_at)
            k = size / font_size
            left, right, low = ox.value + (left - ox.value) * k, ox.value + (right - ox.value) * k, oy.value + (low - oy.value) * k
        bottom = page_height - low
        x0 = left
        kx, ky = int(x0), int(bottom)
        grid = seen.get(ch)
        if grid is None:  # the first of its kind on the page
            seen[ch] = {(kx, ky): [(x0, bottom)]}
        else:
            # a char within 1 pt of this one lies in one of the four grid cells around it
            nx, ny = (kx - 1 if x0 - kx < 0.5 else kx + 1), (ky - 1 if bottom - ky < 0.5 else ky + 1)
            near = [grid.get(k) for k in ((kx, ky), (nx, ky), (kx, ny), (nx, ny))]
            if any(near) and any(abs(x - x0) <= 1 and abs(y - bottom) <= 1 for places in near if places for x, y in places):
                continue
            if near[0]:
                near[0].append((x0, bottom))
            else:
                grid[(kx, ky)] = [(x0, bottom)]
        top = bottom - rounded
        chars.append({"text": ch, "x0": x0, "x1": right, "top": top, "bottom": bottom, "doctop": top,
                      "size": rounded, "upright": upright})
    return chars


def pdfium_page_words(page) -> list[dict]:
    """Words of a pypdfium2 page (text, x0, x1, top, size)."""
    textpage = page.get_textpage()
    try:
        return words_from_chars(pdfium_page_chars(textpage, page.get_size()[1]))
    finally:
        textpage.close()


def page_rows(tables: list[tuple[tuple[float, float, float, float], list[list[str | None]]]], words: list[dict],
              where: str) -> tuple[list[Row], list[int]]:
    """A page's rows in reading order: each ruled table's rows (a cell a merged cell covers
    is empty) and the lines of the words outside the tables, cut into cells by gaps.

    ``tables`` are (bbox, rows) with bbox (x0, top, x1, bottom); returns the rows and, for
    each table, the index of its first row.
    """
    blocks: list[tuple[float, int, list[Row]]] = []
    for n, (bbox, rows) in enumerate(tables):
        blocks.append((bbox[1], n, [Row([c if c is not None else "" for c in r], where) for r in rows]))
    for top, cells in gap_lines(words):
        blocks.append((top, -1, [Row(cells, where)]))
    blocks.sort(key=lambda b: b[0])  # stable: a table and a line at one height keep this order
    out: list[Row] = []
    starts = [0] * len(tables)
    for _, n, block in blocks:
        if n >= 0:
            starts[n] = len(out)
        out.extend(block)
    return out, starts


def outside(bboxes: list[tuple[float, float, float, float]]):
    """A test of whether an object's centre is outside every box (pdfplumber's filter of the
    text around ruled tables)."""
    def test(obj: dict) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in bboxes)
    return test
