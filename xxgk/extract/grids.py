"""Tables 二, 三 and 四 mapped from grids (xxgk.grid) by position.

The header rows give each column its meaning (table 三's applicant columns, table 四's
group and outcome, table 二's measures); the label columns give each row its label path
(group + item) — a group cell spanning twenty rows, or repeated after a page break, labels
every row it covers. Each value is read from the cell in its column: a blank cell is a blank
at its position (value null, printed ""), never a neighbour's value.

A table found on no grid, or read worse on its grid than from the text stream, is read from
the stream; where the two readings disagree, :func:`reconcile` says so in ``notes`` (they go
to the document's ``reader_check``).
"""
from __future__ import annotations

from xxgk.extract.cells import Extraction, emit, place
from xxgk.extract.inferred import emit_applicant_row
from xxgk.extract.labels import T3_REQUIRED, Table3Labeller, art20_labels, match_art20
from xxgk.extract.tokens import Kind, Token, classify
from xxgk.grid import Grid, GridCell
from xxgk.vocabulary import APPLICANT_COLUMNS, FORMAT_2019, REVIEW_CODES, TABLES, TEN_THOUSAND_YUAN_MEASURES, categories, words_of

_TITLES = {"art20": "二", "applications": "三", "review_litigation": "四"}
# 其他 and 总计 are words of more than one header: told apart by their place (below)
_APPLICANT_WORDS = [(w, a) for w, a in words_of("applicant") if a not in ("other_org", "total")]
_REVIEW_WORDS = [w for w, _ in words_of("group") + words_of("outcome") if w != "总计"]
_OUTCOMES = words_of("outcome")
_MEASURE_HEADERS = [(w, m) for w, m in words_of("measure") if w not in ("项目数量", "总金额")]
_READING = ("read", "converted", "null_mark", "blank", "inferred", "segmented")


def _distinct(cells) -> list[GridCell]:
    """Cells in order, each once (a merged cell covers several positions), Nones dropped."""
    seen: dict[int, GridCell] = {}
    for cell in cells:
        if cell is not None:
            seen.setdefault(id(cell), cell)
    return list(seen.values())


def _token(grid: Grid, cell: GridCell) -> Token:
    kind, value, unit = classify(cell.text)
    return Token(kind, cell.text, cell.shown, cell.row, cell.where or grid.where, value, unit, grid.provenance, cell.confidence)


def _value(grid: Grid, row: int, cols: list[int]) -> tuple[Token | None, str | None]:
    """The value printed in `cols` of `row`: the one cell there that is not empty, else the
    empty cell (a blank at its position); None with the reason when that is not one cell."""
    raw = [grid.cell_at(row, c) for c in cols]
    cells = _distinct(raw)
    if None in raw or any(c.row != row for c in cells):
        return None, "a merged cell from the row above covers the column"
    filled = [c for c in cells if c.text]
    if len(filled) > 1:
        return None, f"{len(filled)} values in one column"
    mine = [c for c in (filled or cells) if cols[0] <= c.col + c.colspan - 1 and c.col <= cols[-1]]
    if filled and (filled[0].col < cols[0] or filled[0].col + filled[0].colspan - 1 > cols[-1]):
        return None, "a value cell spans beyond its column"
    return _token(grid, mine[0]), None


def _header_block(grid: Grid, words) -> tuple[list[GridCell], int] | None:
    """The header cells naming `words` in the first header block, and the first row after it."""
    named = [c for c in grid.cells if any(w in c.text for w in words)]
    if not named:
        return None
    first = min(c.row for c in named)
    block = [c for c in named if c.row <= first + 3]
    return block, max(c.row + c.rowspan for c in block)


def _column_paths(grid: Grid, end: int) -> list[list[str]]:
    """Per column, the texts of the header cells above row `end` that cover it, top down."""
    return [[c.text for c in _distinct(grid.cell_at(r, col) for r in range(end)) if c.text]
            for col in range(grid.n_cols)]


# --- table 三 ------------------------------------------------------------------------------

def _applicant_columns(grid: Grid) -> tuple[dict[str, list[int]], int] | None:
    found = _header_block(grid, [w for w, _ in _APPLICANT_WORDS])
    if not found:
        return None
    _, end = found
    columns: dict[str, list[int]] = {}
    for col, path in enumerate(_column_paths(grid, end)):
        leaf = path[-1] if path else ""
        name = next((a for w, a in _APPLICANT_WORDS if w in leaf), None)
        if name is None and leaf.startswith("其他") and any("法人" in t or "组织" in t for t in path[:-1]):
            name = "other_org"
        if name is None and leaf in ("总计", "合计"):
            name = "total"
        if name:
            columns.setdefault(name, []).append(col)
    return (columns, end) if set(columns) == set(APPLICANT_COLUMNS) else None


def _read_applications(grids: list[Grid], doc, out: Extraction) -> bool:
    labeller = Table3Labeller()
    seen: set[str] = set()
    columns: dict[str, list[int]] | None = None
    width = None
    for grid in grids:
        header = _applicant_columns(grid)
        if header:
            (columns, start), width = header, grid.n_cols
            mine = columns
        elif columns is not None and grid.n_cols >= len(APPLICANT_COLUMNS) + 1:
            # the table's continuation in a grid of its own, without its header: the same
            # columns, or (another width) the applicant columns last, as the template has them
            start = 0
            mine = columns if grid.n_cols == width else {
                a: [grid.n_cols - len(APPLICANT_COLUMNS) + i] for i, a in enumerate(APPLICANT_COLUMNS)}
        else:
            continue
        label_cols = list(range(min(c for cols in mine.values() for c in cols)))
        for r in range(start, grid.n_rows):
            labels = [c for c in _distinct(grid.cell_at(r, col) for col in label_cols) if c.text]
            if any(w in c.text for c in grid.row_cells(r) for w, _ in _APPLICANT_WORDS):
                continue  # the header printed again after a page break
            values = {a: _value(grid, r, cols) for a, cols in mine.items()}
            placed = [values[a][0] for a in APPLICANT_COLUMNS]
            run = [t for t in placed if t is not None]
            code = labeller.row_code(cell.text for cell in labels)
            printed = [t for t in run if t.kind is not Kind.EMPTY]
            if code is None:
                if printed:
                    out.warn("applications", None, "unlabelled_values", "values with no row label in table 三", printed)
                continue
            if code in ("result.denied", "result.unavailable", "result.not_processed"):
                if printed:
                    out.warn("applications", code, "unlabelled_values", f"values printed on the group heading {code}", printed)
                continue
            if code in seen:
                if printed:
                    out.warn("applications", code, "duplicate_row", "row printed twice; the first is kept", printed)
                continue
            seen.add(code)
            for a in APPLICANT_COLUMNS:
                if values[a][1]:
                    out.warn("applications", code, "row_length", f"{a}: {values[a][1]}; not placed", run)
            emit_applicant_row(out, code, placed, run, grid.cell_at(r, 0).where if grid.cell_at(r, 0) else grid.where)
    if not seen:
        return False
    for code in [c for c in T3_REQUIRED if c not in seen]:
        out.warn("applications", code, "missing_row", f"row {categories()[code].label_2021} not found")
    other_items = {"result.other.no_correction", "result.other.no_fee", "result.other.other"}
    if doc.format_version != FORMAT_2019 and "result.other" not in seen and not (other_items & seen):
        out.warn("applications", "result.other", "missing_row", "row （六）其他处理 not found")
    return True


# --- table 四 ------------------------------------------------------------------------------

def _review_columns(grid: Grid) -> tuple[dict[str, list[int]], int] | None:
    found = _header_block(grid, _REVIEW_WORDS)
    if not found:
        return None
    _, end = found
    columns: dict[str, list[int]] = {}
    for col, path in enumerate(_column_paths(grid, end)):
        joined = "".join(path)
        group = ("litigation_after_review" if "复议后起诉" in joined else "litigation_direct" if "直接起诉" in joined
                 else "review" if "行政复议" in joined else None)
        outcome = next((o for w, o in _OUTCOMES if path and w in path[-1]), None)
        if group and outcome:
            columns.setdefault(f"{group}.{outcome}", []).append(col)
    return (columns, end) if set(columns) == set(REVIEW_CODES) else None


def _read_review(grids: list[Grid], doc, out: Extraction) -> bool:
    for grid in grids:
        header = _review_columns(grid)
        if not header:
            continue
        columns, start = header
        mapped = sorted(c for cols in columns.values() for c in cols)
        rows = [r for r in range(start, grid.n_rows)
                if any((cell := grid.cell_at(r, c)) is not None and cell.row == r for c in mapped)]
        if not rows:
            continue
        r = next((r for r in rows if any(grid.cell_at(r, c).text for c in mapped)), rows[0])
        for code in REVIEW_CODES:
            token, problem = _value(grid, r, columns[code])
            if problem:
                out.warn("review_litigation", code, "row_length", f"{problem}; not placed")
            emit(out, "review_litigation", code, None, "count", token, grid.cell_at(r, mapped[0]).where)
        return True
    return False


# --- table 二 ------------------------------------------------------------------------------

def _read_art20(grids: list[Grid], doc, out: Extraction) -> bool:
    labels = art20_labels(doc.format_version)
    seen: set[str] = set()
    header: dict[str, list[int]] = {}
    amount_in_yuan = False
    for grid in grids:
        for r in range(grid.n_rows):
            cells = _distinct(grid.cell_at(r, col) for col in range(grid.n_cols))
            for c in cells:
                if "单位" in c.text or "金额" in c.text:
                    amount_in_yuan = "元" in c.text and "万元" not in c.text
            named = {m: c for c in cells for w, m in _MEASURE_HEADERS if w in c.text}
            if named:
                header = {}
                for m, c in named.items():
                    header.setdefault(m, []).extend(range(c.col, c.col + c.colspan))
                continue
            label = next((c for c in cells if c.text and classify(c.text)[0] is Kind.TEXT), None)
            code = match_art20(label.text, labels) if label else None
            own = [c for c in cells if c.row == r and label is not None and c.col > label.col]
            if code is None:
                if any(c.text for c in own) and label is not None and not label.text.startswith("第二十条"):
                    out.warn("art20", None, "unlabelled_values", "values with no row label in section 二",
                             [_token(grid, c) for c in own if c.text])
                continue
            if code in seen:
                out.warn("art20", code, "duplicate_row", "row printed twice; the first is kept", [_token(grid, c) for c in own])
                continue
            seen.add(code)
            measures = categories()[code].measures(doc.format_version)
            placed = _art20_values(grid, r, own, measures, header)
            if placed is None:
                run = [_token(grid, c) for c in own]
                placed, problem = place(run, len(measures))
                out.warn("art20", code, "row_length", problem or "cells do not match the header", run)
            for measure, token in zip(measures, placed):
                in_10k = measure in TEN_THOUSAND_YUAN_MEASURES
                if in_10k and amount_in_yuan and token is not None and token.kind is Kind.NUMBER and token.unit is None:
                    token = Token(token.kind, token.text, token.printed, token.row, token.where, token.value, "元",
                                  token.provenance, token.confidence)
                emit(out, "art20", code, None, measure, token, label.where, ten_thousand_yuan=in_10k)
    if not seen:
        return False
    for code in sorted({c for _, c in labels} - seen):
        out.warn("art20", code, "missing_row", f"row {categories()[code].label_2021 or categories()[code].label_2019} not found")
    return True


def _art20_values(grid: Grid, r: int, own: list[GridCell], measures, header) -> list[Token | None] | None:
    """By the header's columns when it names every measure of the row, else the row's cells in order."""
    if all(m in header for m in measures):
        got = [_value(grid, r, header[m]) for m in measures]
        if not any(problem for _, problem in got):
            return [token for token, _ in got]
    if len(own) == len(measures):
        return [_token(grid, c) for c in own]
    return None


# --- a document ------------------------------------------------------------------------------

def _grid_table(grid: Grid, section: str | None) -> str | None:
    texts = [c.text for c in grid.cells if c.text]
    if any("本年新收" in t for t in texts) or _applicant_columns(grid):
        return "applications"
    if _review_columns(grid):
        return "review_litigation"
    if any(t.startswith("第二十条") or t == "信息内容" for t in texts):
        return "art20"
    return section


def read_grid_tables(doc, sections: list[str | None]) -> dict[str, Extraction]:
    """The tables found on the document's grids; `sections` names, per grid, the table whose
    heading precedes it (a grid that names no table by its own words belongs to it)."""
    by_table: dict[str, list[Grid]] = {}
    for grid, section in zip(doc.grids, sections):
        table = _grid_table(grid, section)
        if table in TABLES:
            by_table.setdefault(table, []).append(grid)
    out: dict[str, Extraction] = {}
    for table, reader in zip(TABLES, (_read_art20, _read_applications, _read_review)):
        if table in by_table:
            reading = Extraction(doc.document_id)
            if reader(by_table[table], doc, reading):
                out[table] = reading
    return out


def _key(cell: dict) -> tuple:
    return cell["category_code"], cell["applicant_type"], cell["measure"]


def _shown(cell: dict | None) -> str:
    if cell is None:
        return "absent"
    if cell["cell_status"] in ("read", "converted", "inferred", "segmented"):
        return f"{cell['value']:g}"
    return {"blank": "blank", "null_mark": repr(cell["printed"])}.get(cell["cell_status"], cell["cell_status"].replace("_", " "))


def reconcile(doc, stream: dict[str, Extraction], grid: dict[str, Extraction]) -> Extraction:
    """One reading per table: the grid's where it read the table at least as fully as the
    stream, else the stream's; every disagreement between the two is a note."""
    out = Extraction(doc.document_id)
    for table in TABLES:
        s, g = stream[table], grid.get(table)
        chosen = s
        if g is not None:
            placed = {name: sum(c["cell_status"] in _READING for c in x.cells) for name, x in (("grid", g), ("stream", s))}
            chosen = g if placed["grid"] >= placed["stream"] else s
            theirs = {_key(c): c for c in (s if chosen is g else g).cells}
            mine = {_key(c): c for c in chosen.cells}
            differ = [k for k in dict.fromkeys([*mine, *theirs])
                      if _shown(mine.get(k)) != _shown(theirs.get(k)) or (mine.get(k) or {}).get("printed") != (theirs.get(k) or {}).get("printed")]
            if differ:
                k = differ[0]
                name = k[0] + (f"[{k[1]}]" if k[1] else f"[{k[2]}]" if k[2] != "count" else "")
                kept, other = ("grid", "stream") if chosen is g else ("stream", "grid")
                out.notes.append(f"table {_TITLES[table]}: grid and text stream disagree on {len(differ)} cells "
                                 f"(e.g. {name}: {kept} {_shown(mine.get(k))}, {other} {_shown(theirs.get(k))}); "
                                 f"the {kept}'s reading is kept ({placed['grid']} cells placed on the grid, {placed['stream']} from the stream)")
        elif doc.grids:
            out.notes.append(f"table {_TITLES[table]} on no grid: read from the text stream")
        out.cells += chosen.cells
        out.warnings += chosen.warnings
    return out
