"""Readings of a row the printed characters allow, chosen by the row's own identity.

Text that lost its cell borders prints a row of table 三 as ``801000081`` (a crawler's page
text), ``5     5`` (blank cells as spaces) or six numbers for seven columns. Several readings
of the characters are possible; the template's identities (total = the six applicant
columns; a group of table 四: total = the four outcomes) rule most of them out. A cell is
placed only where every reading that satisfies the identity gives it the same content: an
ambiguous cell stays not placed, and a wrong number is never made up.

Blank cells may stand where the row shows nothing (before and after the values, and in the
spaces between them). Where the spaces show them one for one (one space per blank cell,
or two), the readings that agree with the spaces are preferred: that is what was printed.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from xxgk.extract.tokens import Kind, Token

MAX_DIGITS = 7  # no cell of the three tables counts ten million of anything
MAX_READINGS = 64
OCR_SURE = 0.9  # an OCR cell read with less confidence is the first suspect when its row does not add up  # past this many readings a row is ambiguous anyway

Check = Callable[[list[float]], bool]  # the values placed so far (blank = 0): False rules the reading out


@dataclass(frozen=True)
class _Atom:
    token: Token
    digits: str | None = None  # a digit run that may hold several numbers
    opaque: bool = False  # a decimal or signed number glued to others (14325.6): where it ends is unknown


@dataclass(frozen=True)
class _Gap:
    spaces: int  # space characters printed there
    shown: bool  # whether the print could show a blank here (spaces inside text); else it would be invisible
    end: bool = False  # after the last value of a run of spaced values: its trailing spaces may have been cut with the line


def _items(run: list[Token]) -> list[_Atom | _Gap]:
    """The run as value atoms with a gap before, between and after them."""
    from xxgk.extract.tokens import classify

    out: list[_Atom | _Gap] = []
    first_row = next((t.row for t in run if t.kind is not Kind.EMPTY), None)

    def gap(spaces: int, shown: bool) -> None:
        if out and isinstance(out[-1], _Gap):
            last = out.pop()
            spaces, shown = last.spaces + spaces, last.shown or shown
        out.append(_Gap(spaces, shown))

    for token in run:
        if token.kind is Kind.RUN:
            for m in re.finditer(r"\s+|\S+", token.printed):
                piece = m.group(0)
                if piece.isspace():
                    gap(len(piece), True)
                    continue
                gap(0, False)
                if piece.isdigit():
                    out.append(_Atom(token, digits=piece))
                else:
                    kind, value, unit = classify(piece)
                    out.append(_Atom(replace(token, kind=kind, text=piece, printed=piece, value=value, unit=unit),
                                     opaque=kind is not Kind.NULL_MARK))
            continue
        if token.kind is Kind.EMPTY:  # an empty cell of the row shows a blank; one of another line is layout
            gap(1, True) if token.row == first_row else gap(0, False)
            continue
        gap(0, False)
        out.append(_Atom(token))  # a cell of its own is one value: only a run's digits are cut
    gap(0, False)
    last = out.pop()
    out.append(_Gap(last.spaces, last.shown, end=bool(run) and run[-1].kind is Kind.RUN))
    return out


def _number(token: Token, digits: str) -> Token:
    folded = unicodedata.normalize("NFKC", digits)  # full-width digits (８０) count as theirs
    return replace(token, kind=Kind.NUMBER, text=folded, printed=digits, value=float(folded), unit=None, segmented=True)


def _blank(token: Token) -> Token:
    return replace(token, kind=Kind.EMPTY, text="", printed="", value=None, unit=None, segmented=True)


def readings(run: list[Token], expected: int, check: Check) -> list[tuple[list[Token], bool]]:
    """Every reading of `run` as `expected` cells that `check` allows, with whether its blanks
    stand where the printed spaces show them (at most MAX_READINGS + 1)."""
    items = _items(run)
    found: list[tuple[list[Token], bool]] = []
    if expected > 1 and any(isinstance(i, _Atom) and i.opaque for i in items):
        return found
    cells: list[Token] = []
    values: list[float] = []
    used: list[tuple[_Gap, int]] = []  # the blanks put in each gap

    def push(t: Token) -> bool:
        cells.append(t)
        values.append(t.value if t.kind is Kind.NUMBER and t.value is not None else 0.0)
        return check(values)

    def pop(n: int = 1) -> None:
        del cells[len(cells) - n:]
        del values[len(values) - n:]

    def visit(i: int) -> None:
        if len(found) > MAX_READINGS:
            return
        if i == len(items):
            if len(cells) == expected:
                found.append((list(cells), _spaces_agree(used)))
            return
        item = items[i]
        if isinstance(item, _Gap):  # 0, 1, 2 ... blanks here, while the identity allows them
            pushed = 0
            while True:
                used.append((item, pushed))
                visit(i + 1)
                used.pop()
                if len(cells) >= expected:
                    break
                pushed += 1
                if not push(_blank(run[0] if i == 0 else run[-1])):
                    break
            pop(pushed)
            return
        if item.digits is None:
            if len(cells) < expected:
                if push(item.token):
                    visit(i + 1)
                pop()
            return
        split(item, 0, i)

    def split(item: _Atom, at: int, i: int) -> None:
        digits = item.digits
        if at == len(digits):
            visit(i + 1)
            return
        for length in range(1, min(MAX_DIGITS, len(digits) - at) + 1):
            piece = digits[at : at + length]
            if (length > 1 and unicodedata.digit(piece[0]) == 0) or len(cells) >= expected or len(found) > MAX_READINGS:
                return
            if push(_number(item.token, piece)):
                split(item, at + length, i)
            pop()

    visit(0)
    return found


def _spaces_agree(used: list[tuple[_Gap, int]]) -> bool:
    """The blanks stand where the print shows them: one per space (or per two spaces) in every
    gap of spaces, or the spaces only separate values; none where a blank could not be seen."""
    if any(b and not gap.shown and not gap.end for gap, b in used):
        return False
    spaced = [(gap.spaces, b) for gap, b in used if gap.shown and not gap.end]
    return any(all(b * unit == w for w, b in spaced) for unit in (1, 2)) or all(b == 0 for _, b in spaced)


@dataclass
class Placement:
    """A row's cells (None: not placed), what was done, and the readings that were possible."""

    cells: list[Token | None]
    problem: str | None
    readings: list[list[Token]] | None = None  # the identity's readings, when the print left a choice


def _agreed(pool: list[list[Token]], expected: int) -> list[Token | None]:
    placed: list[Token | None] = []
    for column in range(expected):
        options = {(t.kind, t.value, t.printed) for t in (cells[column] for cells in pool)}
        placed.append(pool[0][column] if len(options) == 1 else None)
    return placed


def describe(pool: list[list[Token]], placed: list[Token | None], by: str = "the identity") -> str:
    shown = " | ".join(" ".join(t.printed or "∅" for t in cells) for cells in pool[:3])
    more = f" (+{len(pool) - 3} more)" if len(pool) > 3 else ""
    done = sum(p is not None for p in placed)
    return (f"{len(pool)} reading(s) of the printed characters satisfy {by}: {shown}{more};"
            f" {done} of {len(placed)} cells placed where they agree")


def choose(run: list[Token], expected: int, check: Check) -> Placement | None:
    """The cells every allowed reading agrees on (None where readings differ); None when no
    reading satisfies the identity."""
    found = readings(run, expected, check)
    if not found or len(found) > MAX_READINGS:
        return None
    agreeing = [cells for cells, spaces in found if spaces]
    pool = agreeing if agreeing else [cells for cells, _ in found]
    placed = _agreed(pool, expected)
    return Placement(placed, describe(pool, placed), pool)


def row_sum(values: list[float]) -> bool:
    """Table 三: the seventh column is the sum of the six."""
    return len(values) < 7 or abs(values[6] - sum(values[:6])) < 1e-9


def group_sums(values: list[float]) -> bool:
    """Table 四: each group of five ends with the sum of its four outcomes."""
    n = len(values)
    if n % 5 or n == 0:
        return True
    group = values[n - 5 : n]
    return abs(group[4] - sum(group[:4])) < 1e-9


def no_identity(values: list[float]) -> bool:
    return True


def place_row(run: list[Token], expected: int, check: Check, label_row: int | None = None) -> Placement:
    """A row's value cells in its `expected` columns: in order where the print is plain
    (:func:`xxgk.extract.cells.place`), else by the readings `check` allows. `label_row`: the
    source row of the row's label, when known."""
    from xxgk.extract.cells import place

    spaced = any(t.kind is Kind.RUN for t in run)
    placed, problem = place(run, expected) if not spaced else ([None] * expected, None)
    if not spaced and problem is None:  # lines in another order: a reading only an identity can choose
        if check is no_identity:
            return Placement(placed, problem)
        reordered = _line_order(run, expected, check)
        if reordered:
            return reordered
        if not check(_values(placed)) and any(t.provenance == "ocr" for t in placed):
            unsure = [i for i, t in enumerate(placed) if t.confidence is not None and t.confidence < OCR_SURE]
            if unsure:  # a row OCR read that does not add up: its least sure cells may be misread
                kept = [None if i in unsure else t for i, t in enumerate(placed)]
                return Placement(kept, f"the row read by OCR does not add up; {len(unsure)} cell(s) read with confidence "
                                       f"under {OCR_SURE} not placed ({' '.join(placed[i].printed for i in unsure)})")
        if _mixed_lines(run, label_row) and not check(_values(placed)):
            return Placement([None] * expected, f"values on {len({t.row for t in run})} lines, beside the label's words,"
                             " add up in no order of the lines: none placed (the lines may mix two rows)")
        return Placement(placed, problem)
    if not spaced and all(p is not None for p in placed):
        return Placement(placed, problem)
    chosen = choose(run, expected, check)
    if not spaced:  # a cell missing from separate values may be a blank, or printed elsewhere
        chosen = _one_lost(run, expected, check, chosen)
    if chosen is None:
        if spaced:
            problem = f"values run together ({' '.join(t.printed for t in run)}): no reading satisfies the identity"
        return Placement(placed, problem)
    chosen.cells = [p if p is not None else c for p, c in zip(placed, chosen.cells)]
    return chosen


def _sums(check: Check, n: int) -> list[tuple[range, int]] | None:
    """The identity `check` stands for, as (the items, the total) of each of its sums."""
    if check is row_sum:
        return [(range(6), 6)] if n == 7 else None
    if check is group_sums:
        return [(range(g, g + 4), g + 4) for g in range(0, n, 5)] if n % 5 == 0 else None
    return None


def _one_lost(run: list[Token], expected: int, check: Check, blank: Placement | None) -> Placement | None:
    """One value fewer than the columns: the missing cell may be a blank (`blank`: the readings
    that add up with it) or a cell the extractor printed elsewhere (a wrapped row's total on
    another line, a last value after the next section). The readings of the second kind are the
    places of the lost cell (its value unknown, never 0) where the identity can still hold: a sum
    it is not in holds as printed, and one it is in leaves it a value of 0 or more. Cells are
    placed where the readings of both kinds agree; the lost cell stays not placed."""
    filled = [t for t in run if t.kind is not Kind.EMPTY]
    sums = _sums(check, expected)
    if len(filled) != expected - 1 or sums is None or any(t.kind is not Kind.NUMBER for t in filled):
        return blank
    pool: list[list[Token | None]] = []
    for lost in range(expected):
        cells: list[Token | None] = [*filled[:lost], None, *filled[lost:]]
        if all(_can_hold([t.value if t is not None else None for t in cells], items, total) for items, total in sums):
            pool.append(cells)
    readings = len(pool) + (len(blank.readings or []) if blank else 0)
    if blank:
        pool += blank.readings or [blank.cells]
    if not pool:
        return None
    first = pool[0]
    placed = [replace(first[c], segmented=True)
              if all(r[c] is not None and (r[c].kind, r[c].value, r[c].printed) == (first[c].kind, first[c].value, first[c].printed)
                     for r in pool) else None
              for c in range(expected)]
    shown = " | ".join(" ".join(t.printed or "∅" if t is not None else "?" for t in r) for r in pool[:3])
    more = f" (+{len(pool) - 3} more)" if len(pool) > 3 else ""
    done = sum(p is not None for p in placed)
    return Placement(placed, f"{len(filled)} values printed for {expected} columns, one blank or printed elsewhere (?): "
                             f"{readings} reading(s) satisfy the identity: {shown}{more}; {done} of {expected} cells placed "
                             "where they agree")


def _can_hold(values: list[float | None], items: range, total: int) -> bool:
    if values[total] is None:
        return True
    known = [values[i] for i in items if values[i] is not None]
    rest = values[total] - sum(known)
    return abs(rest) < 1e-9 if len(known) == len(items) else rest > -1e-9


def _mixed_lines(run: list[Token], label_row: int | None) -> bool:
    """Values on several lines laid out unlike one row (some lines with several values, some
    with one, or the first beside the label's words): what a text extractor makes of a wrapped
    row. A row printed one value a line (a web page's text) is not."""
    counts: dict[int, int] = {}
    for t in run:
        if t.kind is not Kind.EMPTY:
            counts[t.row] = counts.get(t.row, 0) + 1
    if len(counts) < 2:
        return False
    return len(set(counts.values())) > 1 or (label_row is not None and label_row == run[0].row)


def _values(cells: list[Token]) -> list[float]:
    return [t.value if t.kind is Kind.NUMBER and t.value is not None else 0.0 for t in cells]


def _line_order(run: list[Token], expected: int, check: Check) -> Placement | None:
    """A row whose values stand on several lines (a total printed on the line of a wrapped
    label, the six applicant values on the next): its lines may be read in any order, and the
    orders that add up are the readings. None when only the print order does."""
    from itertools import permutations

    from xxgk.extract.cells import place

    lines: dict[int, list[Token]] = {}
    for t in run:
        lines.setdefault(t.row, []).append(t)
    if len(lines) < 2 or len(lines) > 4:
        return None
    pool: dict[tuple, list[Token]] = {}
    for order in permutations(lines.values()):
        cells, problem = place([t for line in order for t in line], expected)
        if problem is None and check(_values(cells)):
            pool.setdefault(tuple((t.kind, t.value, t.printed) for t in cells), cells)
    printed, _ = place(run, expected)
    in_print_order = tuple((t.kind, t.value, t.printed) for t in printed)
    if not pool or list(pool) == [in_print_order]:
        return None
    readings = list(pool.values())
    placed = [None if cell is None else (cell if cell is printed[i] else replace(cell, segmented=True))
              for i, cell in enumerate(_agreed(readings, expected))]
    return Placement(placed, describe(readings, placed, "the identity in some order of the row's lines"), readings)


def resolve_columns(rows: dict[str, Placement], identities: list[tuple[list[str], list[str]]], columns: int,
                    limit: int = 50_000) -> None:
    """Rows left ambiguous by their own identity, chosen by the identities across rows
    (each ``(sum side, total side)`` of row codes holds in every column): where exactly the
    readings that satisfy them agree, the cells are placed. Changes `rows` in place.

    Every combination of the open rows' readings is tried at once, as arrays (numpy), up to
    `limit` combinations; a cell not placed is left out of the identities it is in."""
    import numpy as np

    open_rows = [code for code, p in rows.items() if p.readings and len(p.readings) > 1 and None in p.cells]
    useful = [(left, right) for left, right in identities
              if set(left + right) <= set(rows) and set(open_rows) & set(left + right)]
    if not open_rows or not useful:
        return
    sizes = [len(rows[code].readings) for code in open_rows]
    if float(np.prod(sizes, dtype=float)) > limit:
        return

    def vector(cells) -> list[float]:
        return [np.nan if t is None else (t.value if t.kind is Kind.NUMBER and t.value is not None else 0.0) for t in cells]

    choice = np.indices(sizes).reshape(len(sizes), -1).T  # combination x open row -> reading
    values = {code: np.array([vector(r) for r in rows[code].readings])[choice[:, k]] for k, code in enumerate(open_rows)}
    fixed = {code: np.array(vector(p.cells)) for code, p in rows.items() if code not in values}
    ok = np.ones(len(choice), dtype=bool)
    for left, right in useful:
        diff = sum(values.get(code, fixed.get(code)) for code in left) - sum(values.get(code, fixed.get(code)) for code in right)
        ok &= np.all(np.isnan(diff) | (np.abs(diff) < 1e-9), axis=-1)
    if not ok.any():
        return
    for k, code in enumerate(open_rows):
        pool = [rows[code].readings[i] for i in sorted(set(choice[ok, k].tolist()))]
        agreed = _agreed(pool, columns)
        placement = rows[code]
        if sum(a is not None for a in agreed) > sum(c is not None for c in placement.cells):
            placement.cells = [c if c is not None else a for c, a in zip(placement.cells, agreed)]
            placement.problem = describe(pool, placement.cells, "the identities of the row and of the columns")
