"""Cells of a normalised document as a flat stream of typed tokens.

Tables arrive in every shape (tab-separated lines, one cell per line, PDF table
rows, HTML rows), so extraction reads a stream: a row label is followed by the
run of value cells that belongs to it, wherever the row breaks fall.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache

from xxgk.marks import NULL_MARKS, NUMBER, UNREAD
from xxgk.normalise import NormalisedDocument, fold
from xxgk.vocabulary import row_label_words, template_words


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"
    NULL_MARK = "null_mark"  # "/", "—", "-", "无": printed, but not a number
    EMPTY = "empty"  # an empty cell between tabs or in a ruled table
    UNREAD = "unread"  # OCR found the cell's place but could not read it
    RUN = "run"  # values run together with spaces between (5     5): a row's cells, cut by xxgk.extract.segment


UNREAD_TEXT = UNREAD  # what OCR puts where it could not read a value


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # folded, for matching
    printed: str
    row: int  # index of the source row, to tell which cells shared a line
    where: str
    value: float | None = None
    unit: str | None = None
    provenance: str = "text"
    confidence: float | None = None
    segmented: bool = False  # cut out of a run of characters by the identities (xxgk.extract.segment)


def classify(text: str) -> tuple[Kind, float | None, str | None]:
    if not text:
        return Kind.EMPTY, None, None
    if text == UNREAD_TEXT:
        return Kind.UNREAD, None, None
    if text in NULL_MARKS:
        return Kind.NULL_MARK, None, None
    m = NUMBER.match(text)
    if m:
        return Kind.NUMBER, float(m.group(1).replace(",", "")), m.group(2)
    return Kind.TEXT, None, None


def tokenize(doc: NormalisedDocument) -> list[Token]:
    tokens: list[Token] = []
    for i, row in enumerate(doc.rows):
        if not any(c.text for c in row.cells):
            continue
        for j, cell in enumerate(row.cells):
            confidence = row.confidences[j] if row.confidences and j < len(row.confidences) else None
            pieces = recut(cell.text, cell.printed)
            for text, printed in pieces:
                kind, value, unit = classify(text)
                if _is_run(printed) or (len(pieces) > 1 and _VALUES.fullmatch(printed) and len(text) > 1):
                    kind, value, unit = Kind.RUN, None, None  # values cut out of the words around them
                tokens.append(Token(kind, text, printed, i, row.where, value, unit, row.provenance, confidence))
    return tokens


# What may stand between two of the template's words in a cell whose borders were lost.
_VALUES = re.compile(r"[\d\s./\\—–-]*\d[\d\s./\\—–-]*")


_SPACES = (" ", "\t", "\xa0", "\u3000")
_WORD_THEN_DIGIT = re.compile(r"[\u3400-\u9fff)）\]】”]\d")
_NEXT_SECTION = re.compile(r"\d((?:[五六七八])、)")
_ITEM_NUMBER = re.compile(r"\d+[.、]")
_PAGE_NUMBER = re.compile(r"\s*[-—–]\s*\d+\s*[-—–]\s*")


def _is_run(printed: str) -> bool:
    """Values printed with spaces between them (``5     5``), not a page number (``- 2 -``)."""
    if not any(ch in printed for ch in _SPACES):
        return False
    if printed.isspace():  # blank cells shown by spaces alone
        return True
    return (bool(re.search(r"\s", printed)) and _VALUES.fullmatch(printed) is not None
            and _PAGE_NUMBER.fullmatch(printed) is None)


@cache
def _template_words() -> re.Pattern:
    return re.compile("|".join(re.escape(fold(w)) for w in template_words()))


def recut(text: str, printed: str) -> list[tuple[str, str]]:
    """A cell that runs a table's words and numbers together (a crawler's page text:
    ``一、本年新收政府信息公开申请数量801000081``), cut at the template's words; the
    (folded, printed) pieces, a row's values with the spaces printed among them (they show
    blank cells), and a row label followed only by spaces gets those spaces as its values.
    A cell where nothing but words stands between them is one piece."""
    if not _WORD_THEN_DIGIT.search(text):  # values follow a word (or a heading's bracket) at once
        return [(text, printed)]
    spans = [m.span() for m in _template_words().finditer(text)]
    if not spans:
        return _label_then_value(text, printed) or [(text, printed)]
    # the next section's heading ends the last row's values (…总计002242030520125五、存在的主要问题…)
    spans += [(m.start(1), m.start(1)) for m in _NEXT_SECTION.finditer(text)]
    cuts = sorted({0, len(text), *(p for span in spans for p in span)})
    pieces = [(a, b) for a, b in zip(cuts, cuts[1:])]
    labels = set(spans)
    # values follow a word of the template; an item's number (2.) leads the words after it
    values = {(a, b) for (a, b), before in zip(pieces, [None, *pieces]) if before in labels and (a, b) not in labels
              and _VALUES.fullmatch(text[a:b]) and not _ITEM_NUMBER.fullmatch(text[a:b])}
    if not values:
        rows = _row_labels()
        if sum(text[a:b] in rows for a, b in spans) >= 2 and all(p in labels for p in pieces):
            return [(text[a:b], text[a:b]) for a, b in pieces]  # several rows' labels in one cell, one per line
        return _label_then_value(text, printed) or [(text, printed)]
    where = _printed_positions(printed, len(text))
    rows = _row_labels()
    out: list[tuple[str, str]] = []
    for (a, b), after in zip(pieces, [*pieces[1:], None]):
        piece = text[a:b]
        if (a, b) in values and where is not None:
            end = where[b] if b < len(where) else len(printed)
            out.append((piece, _spaces(printed[where[a]:end])))
            continue
        out.append((piece, piece))
        if where is not None and (a, b) in labels and piece in rows and (after is None or after in labels):
            gap = printed[where[b - 1] + 1 : where[b] if b < len(where) else len(printed)]
            if gap.strip() == "" and gap:  # 1.属于国家秘密       2.其他…: seven blank cells
                out.append(("", _spaces(gap)))
    return out


def _label_then_value(text: str, printed: str) -> list[tuple[str, str]] | None:
    """A wrapped label's later line with its row's first value glued on (PyMuPDF, plain
    pdftotext: ``政机关不再处理其政府信息公开申请1``): the words, part of a row's label, and the
    value. None for any other cell."""
    m = _TAIL_VALUE.fullmatch(text)
    where = _printed_positions(printed, len(text)) if m else None
    if m is None or where is None or len(m.group(1)) < 4 or not any(m.group(1) in label for label in _row_labels()):
        return None
    cut = where[m.start(2)]
    return [(m.group(1), printed[:cut].rstrip()), (m.group(2), printed[cut:].strip())]


_TAIL_VALUE = re.compile(r"(.*[\u3400-\u9fff)）])(\d+(?:\.\d+)?)")


def _spaces(printed: str) -> str:
    return printed.replace("\u3000", " ").replace("\xa0", " ")


@cache
def _row_labels() -> frozenset[str]:
    return frozenset(fold(w) for w in row_label_words())


def _printed_positions(printed: str, length: int) -> list[int] | None:
    """For each character of the folded text, where it starts in the printed text (None when
    folding changed more than spaces, e.g. a character NFKC spells as two)."""
    positions: list[int] = []
    for k, ch in enumerate(printed):
        positions.extend([k] * len(fold(ch)))
    return positions if len(positions) == length else None
