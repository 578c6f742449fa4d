"""Plain text and markdown: encodings as Chinese publishers save them, one row per line.

Text reaches us from every extractor there is (pdftotext, pypdf, pdfminer, PyMuPDF, markitdown,
pandoc, w3m, a crawler's page text), so a line's cells are cut wherever any of them cuts:

- at tabs (text copied out of a table);
- at pipes of a markdown table row (``| 规章 | 0 | 0 | 0 |``); rule lines (``|---|``, ``+===+``) go;
- at spaces around printed values (``规章 0 0 0``): a value printed between words (``共 5 件``,
  ``2023 年``) stays in its sentence.

Markdown and HTML debris (``**``, ``#``, ``<br>``, ``&nbsp;``, backslash escapes) is taken out
of the cells; an empty cell between pipes or tabs stays, as the blank it shows.
"""
from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

from xxgk.marks import NULL_MARKS, NUMBER
from xxgk.model import DocumentRejected, Row
from xxgk.readers import Reading, ReadOptions


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK/GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise DocumentRejected("text encoding not recognised (tried UTF-8, GB18030)") from None
        return str(best)


_RULE_LINE = re.compile(r"^\s*[|+]?\s*:?[-=+]{3,}[-=+:| ]*$")  # |---|:---:|, +====+====+, ------ ------
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|</?(?:b|strong|em|i|u|span|font|sup|sub)\b[^>]*>", re.I)
_MD_BREAK = re.compile(r"<br\s*/?>", re.I)
_BARE_PIPES = re.compile(r"\S\s+\|\s+\S")  # html2text's tables: 规章 |  2 |  0 |  13
# a page's number on a line of its own (- 3 -, — 3 —, 第3页 共5页), which would read as values
_PAGE_NUMBER = re.compile(r"\s*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?)\s*")
# the same number first on a line of a page laid out in columns, before words (- 3 -   2.没有现成信息…)
_PAGE_NUMBER_FIRST = re.compile(r"^\s*[-—–]\s*\d{1,3}\s*[-—–]\s{2,}(?=[^\d\s.+-]|\d{1,2}[.、][^\d\s])")
_MD_LINE_START = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)+")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")


def _clean(cell: str) -> str:
    cell = _MD_ESCAPE.sub(r"\1", _MD_EMPHASIS.sub("", _MD_BREAK.sub(" ", cell)))
    return html.unescape(cell).replace("\xa0", " ").replace("\u3000", " ")


def is_value(piece: str) -> bool:
    """A number or a null mark as it can stand alone in a table cell."""
    folded = unicodedata.normalize("NFKC", piece)
    return folded in NULL_MARKS or NUMBER.match(folded) is not None


_GLUED = re.compile(r"[\u3400-\u9fff）)]\d+$")  # 数量801000081: a crawler ran a table's cells together


def split_values(cell: str) -> list[str]:
    """A cell cut at the spaces around printed values: ``规章 0 0 0`` is four cells; a lone value
    followed by words (``共 5 件``, ``2023 年``) stays in its sentence. A cell whose values are
    glued to its words is left whole, spaces and all: its spaces show blank cells
    (xxgk.extract.tokens.recut)."""
    pieces = [(m.start(), m.end()) for m in re.finditer(r"\S+", cell)]
    if len(pieces) < 2 or not any(is_value(cell[a:b]) for a, b in pieces):
        return [cell.strip()]
    if any(_GLUED.search(cell[a:b]) for a, b in pieces):
        return [cell.strip()]
    out: list[str] = []
    text_from: int | None = None  # where the words not yet emitted begin
    i = 0
    while i < len(pieces):
        a, b = pieces[i]
        if not is_value(cell[a:b]):
            text_from = a if text_from is None else text_from
            i += 1
            continue
        j = i
        while j < len(pieces) and is_value(cell[pieces[j][0]:pieces[j][1]]):
            j += 1
        if j - i == 1 and j < len(pieces):  # 共 5 件, 2023 年: a value inside a sentence
            text_from = a if text_from is None else text_from
            i += 1
            continue
        if text_from is not None:
            out.append(cell[text_from : pieces[i - 1][1]])
            text_from = None
        out.extend(cell[x:y] for x, y in pieces[i:j])
        i = j
    if text_from is not None:
        out.append(cell[text_from : pieces[-1][1]])
    return out


def line_cells(line: str) -> list[str] | None:
    """The cells of one line, or None for a line that holds none (blank, a table's rule line)."""
    line = _MD_LINE_START.sub("", line.rstrip("\r"))
    if not line.strip() or _RULE_LINE.match(line) or _PAGE_NUMBER.fullmatch(line):
        return None
    line = _PAGE_NUMBER_FIRST.sub("", line)
    stripped = line.strip()
    if (stripped.startswith("|") and stripped.count("|") >= 2) or _BARE_PIPES.search(stripped):
        parts = re.split(r"(?<!\\)\|", stripped)
        if parts and not parts[0].strip():
            parts = parts[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
    else:
        parts = line.split("\t")
    cells: list[str] = []
    for part in parts:
        cells.extend(split_values(_clean(part)) if part.strip() else [""])
    return _label_apart(cells) if any(cells) else None


def _label_apart(cells: list[str]) -> list[str]:
    """A row's label at the end of the words before its values (a page's text on one line:
    ``… 现行有效件 数 规章 0 0 36``) is a cell of its own."""
    out: list[str] = []
    for cell, after in zip(cells, [*cells[1:], None]):
        head, _, tail = cell.rpartition(" ")
        if head.strip() and after is not None and NUMBER.fullmatch(after.strip()) and tail in _row_labels():
            out += [head.rstrip(), tail]
        else:
            out.append(cell)
    return out


@cache
def _row_labels() -> frozenset[str]:
    from xxgk.vocabulary import row_label_words

    return frozenset(row_label_words())


def text_rows(text: str) -> list[Row]:
    """One row per line (see the module's docstring for where a line is cut into cells); a
    page's text on one line (BeautifulSoup's ``get_text(" ")``) is a line per section."""
    rows = []
    for n, line in enumerate(text.split("\n"), start=1):
        for part in _sections(line) if len(line) > _LONG_LINE else [line]:
            cells = line_cells(part)
            if cells is not None:
                rows.append(Row(cells, f"line {n}"))
    return rows


_LONG_LINE = 500  # longer than any line of a report's prose or tables


def _sections(line: str) -> list[str]:
    """The line cut before and after each heading of the report's sections."""
    at = sorted({0, len(line), *(p for m in _section_headings().finditer(line) for p in m.span())})
    return [line[a:b] for a, b in zip(at, at[1:])]


@cache
def _section_headings() -> re.Pattern:
    from xxgk.vocabulary import words_of

    tables = [w for w, _ in words_of("heading") if re.fullmatch(r"[二三四]、.*情况", w)]
    return re.compile("|".join(map(re.escape, tables)) + r"|[五六七八]、\S+?情况")


def read(data: bytes, options: ReadOptions) -> Reading:
    return Reading(text_rows(decode_text(data)), reader="txt")
