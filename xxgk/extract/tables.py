"""Read tables 二, 三 and 四 of a report, one record per printed cell.

Tables the reader saw as grids (web pages, Word files, ruled PDFs) are mapped by position
(xxgk.extract.grids); every other table, and flat text, is read from the token stream here:
a row label is followed by the run of value cells that belongs to it. How values are placed
and damage recorded: xxgk.extract.cells.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from xxgk.extract.cells import CELL_SCHEMA, WARNING_SCHEMA, Extraction, emit, place
from xxgk.extract.inferred import derive_other, emit_applicant_row
from xxgk.extract.labels import T3_REQUIRED, Table3Labeller, art20_labels, match_art20
from xxgk.extract.narrative import APPLICATION_QUANTITIES, compare, find_statements
from xxgk.extract.segment import Placement, group_sums, no_identity, place_row, resolve_columns, row_sum
from xxgk.extract.tokens import Kind, Token, tokenize
from xxgk.normalise import NormalisedDocument, fold
from xxgk.vocabulary import (
    APPLICANT_COLUMNS,
    FORMAT_2019,
    REVIEW_CODES,
    TABLES,
    TEN_THOUSAND_YUAN_MEASURES,
    categories,
    words_of,
)

__all__ = ["CELL_SCHEMA", "WARNING_SCHEMA", "Extraction", "extract_report", "place"]

_TABLE_TITLES = {"art20": "二 (第二十条)", "applications": "三 (applications)", "review_litigation": "四 (review and litigation)"}


def extract_report(doc: NormalisedDocument) -> Extraction:
    from xxgk.extract.grids import read_grid_tables, reconcile

    tokens = tokenize(doc)
    bounds = _section_bounds(tokens)
    stream: dict[str, Extraction] = {}
    for table, reader in zip(TABLES, (_read_art20, _read_applications, _read_review)):
        stream[table] = Extraction(doc.document_id)
        start, end = bounds.get(table, (None, None))
        if start is None:
            stream[table].warn(table, None, "missing_table", f"table {_TABLE_TITLES[table]} not found")
            continue
        reader(tokens[start:end], doc, stream[table])
    out = reconcile(doc, stream, read_grid_tables(doc, [_row_section(doc, bounds, tokens, g.anchor) for g in doc.grids]))
    derive_other(out, doc.format_version)
    # the prose before the tables (section 一) and after them (五, 六 ...)
    first_table = min((b[0] for b in bounds.values()), default=len(tokens))
    after_tables = max((b[1] for b in bounds.values()), default=len(tokens))
    cross_check_narrative(tokens[:first_table] + tokens[after_tables:], out)
    return out


def _row_section(doc: NormalisedDocument, bounds: dict[str, tuple[int, int]], tokens: list[Token], row: int) -> str | None:
    """The table whose section heading is the last one before document row `row`."""
    section = None
    for table, (start, _) in sorted(bounds.items(), key=lambda b: b[1][0]):
        if start - 1 < len(tokens) and tokens[start - 1].row < row:
            section = table
    return section


def cross_check_narrative(tokens: list[Token], out: Extraction) -> None:
    """The numbers the report states in prose (xxgk.extract.narrative), each beside the cells of
    its tables: every comparison in `out.statements`; a stated number of applications that the
    table does not have is a warning too (narrative_mismatch)."""
    rows: dict[int, list[Token]] = {}
    for t in tokens:
        if t.kind is Kind.TEXT:
            rows.setdefault(t.row, []).append(t)
    lines = list(rows.values())
    cells = out.cells
    for n, statement in enumerate(find_statements([("".join(t.text for t in line), line[0].where) for line in lines])):
        check = compare(statement, cells)
        out.statements.append({"document_id": out.document_id, "statement_no": n, "sentence": statement.sentence,
                               "matched": statement.matched, "location": statement.location, **check})
        if check["verdict"] == "disagree" and statement.quantity in APPLICATION_QUANTITIES:
            new, carried = (_total(cells, code) for code in ("application.new_received", "application.carried_over"))
            table = f"{new:g} new" + (f" + {carried:g} carried over" if carried is not None else "")
            out.warn("applications", "application.new_received", "narrative_mismatch",
                     f"the text states {statement.matched}; table 三 has {table}",
                     [t for i in statement.rows for t in lines[i]])


def _total(cells: list[dict], code: str) -> float | None:
    return next((c["value"] for c in cells if c["category_code"] == code and c["applicant_type"] == "total"), None)


# --- sections -----------------------------------------------------------------

_HEADS = {
    "art20": re.compile(r"^二[、.]?.{0,8}主动公开政府信息"),
    "applications": re.compile(r"^三[、.]?.{0,6}收到和处理政府信息公开申请"),
    "review_litigation": re.compile(r"^四[、.]?.{0,6}政府信息公开行政复议"),
    "end": re.compile(r"^[五六][、.]"),
}


def _section_bounds(tokens: list[Token]) -> dict[str, tuple[int, int]]:
    starts: dict[str, int] = {}
    order = ["art20", "applications", "review_litigation", "end"]
    for i, t in enumerate(tokens):
        if t.kind is not Kind.TEXT or len(t.text) > 40:
            continue
        for name in order:
            if name not in starts and _HEADS[name].match(t.text):
                if name == "end" and "review_litigation" not in starts:
                    continue  # 五、/六、 before the tables: not the end of them
                starts[name] = i
                break
    if "art20" not in starts:  # heading missing: the first 第二十条 table marks the section
        first = next((i for i, t in enumerate(tokens) if t.text.startswith("第二十条")), None)
        if first is not None:
            starts["art20"] = first
    bounds: dict[str, tuple[int, int]] = {}
    positions = sorted((i, n) for n, i in starts.items())
    for (i, name), nxt in zip(positions, positions[1:] + [(len(tokens), "eof")]):
        if name != "end":
            bounds[name] = (i + 1, nxt[0])
    return bounds


# --- value runs and placement ---------------------------------------------------

def _runs(tokens: list[Token], blank_row: int | None = None):
    """Yield (labels, values): the text tokens since the last run, then the run of value cells.
    With `blank_row`, a label followed on its own line by exactly that many empty cells (a
    markdown or tab row left blank) is a row of blanks too."""
    labels: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind is Kind.TEXT:
            labels.append(tokens[i])
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j].kind is not Kind.TEXT:
            j += 1
        run = tokens[i:j]
        blank = (blank_row is not None and labels and len(run) == blank_row
                 and all(t.row == labels[-1].row for t in run))
        if blank or any(t.kind is not Kind.EMPTY for t in run):
            yield labels, run
            labels = []
        i = j
    if labels:
        yield labels, []


def _problem_kind(placed) -> str:
    """segmented: every cell placed, some by the identities (not a failure of the reading)."""
    if all(p is not None for p in placed) and any(p.segmented for p in placed):
        return "segmented"
    return "row_length"


# --- table 二: the 第二十条 tables ----------------------------------------------

def _read_art20(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    labels = art20_labels(doc.format_version)
    seen: set[str] = set()
    amount_in_yuan = False  # a header that says (单位：元) rather than 万元
    out_of_step = False  # values came with no label: the next label's values are not known to be its own
    for label_tokens, run in _runs(tokens):
        code = None
        for t in label_tokens:
            if "单位" in t.text or "金额" in t.text:
                amount_in_yuan = "元" in t.text and "万元" not in t.text
            code = match_art20(t.text, labels) or code
        if not run:
            continue
        if code is None:
            out.warn("art20", None, "unlabelled_values", "values with no row label in section 二", run)
            out_of_step = True
            continue
        if code in seen:
            out.warn("art20", code, "duplicate_row", "row printed twice; the first is kept", run)
            continue
        seen.add(code)
        measures = categories()[code].measures(doc.format_version)
        placement = place_row(run, len(measures), no_identity)
        placed, problem = placement.cells, placement.problem
        if out_of_step:  # values stood above this label: these may be the next row's, and no identity can tell
            placed = [None] * len(measures)
            problem = "values stand before this row's label: they may be another row's, and no identity can tell; none placed"
            out_of_step = False
        if problem:
            out.warn("art20", code, _problem_kind(placed), problem, run)
        for measure, token in zip(measures, placed):
            in_10k = measure in TEN_THOUSAND_YUAN_MEASURES
            if in_10k and amount_in_yuan and token is not None and token.kind is Kind.NUMBER and token.unit is None:
                token = Token(token.kind, token.text, token.printed, token.row, token.where, token.value, "元")
            emit(out, "art20", code, None, measure, token, run[0].where, ten_thousand_yuan=in_10k)
    expected = [code for _, code in labels]
    for code in sorted(set(expected) - seen):
        out.warn("art20", code, "missing_row", f"row {categories()[code].label_2021 or categories()[code].label_2019} not found")


# --- table 三: applications -------------------------------------------------------

def _read_applications(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    labeller = Table3Labeller()
    rows: dict[str, tuple[Placement, list[Token]]] = {}
    last: str | None = None
    label_rows: dict[str, int | None] = {}  # the source row of each row's last label
    surplus: list[Token] = []
    orphan: str | None = None  # what stood before `surplus` when no row had it: "-" (no label) or a group heading
    out_of_step = False  # values stood before any row label
    unsure_from: int | None = None  # the rows read after a row's values no label took
    for label_tokens, run in _runs(tokens, blank_row=len(APPLICANT_COLUMNS)):
        if last and run and _continues(label_tokens, rows[last][1], run):
            # a wrapped label's next line holds the rest of the row's values (pdftotext -layout)
            joined = rows[last][1] + run
            rows[last] = (place_row(joined, len(APPLICANT_COLUMNS), row_sum, label_rows.get(last)), joined)
            continue
        if surplus:  # a whole line of values printed above its own (wrapped) label
            ahead = _probe(labeller).row_codes(t.text for t in label_tokens)
            # several labels below (one cell's), or the template's next row, without values of
            # its own, whose values add up
            if ahead and ahead[0] not in rows and (
                    len(ahead) >= 2 or (not run and _next_adds_up(last, ahead[0], surplus, doc.format_version))):
                rows[ahead[0]] = (place_row(surplus, len(APPLICANT_COLUMNS), row_sum), surplus)
                last = ahead[0] if len(ahead) == 1 else last
            else:  # a whole row's values no label takes: from here, labels and values may be out of step
                unsure_from = unsure_from if unsure_from is not None else len(rows)
                if orphan:
                    out.warn("applications", orphan, "unlabelled_values", "values with no row label in table 三"
                             if orphan == "-" else f"values printed on the group heading {orphan}", surplus)
            surplus, orphan = [], None
        stacked = _stacked_rows(labeller, label_tokens, run, set(rows))
        if stacked:
            for code, line in stacked:
                rows.setdefault(code, (place_row(line, len(APPLICANT_COLUMNS), row_sum), line))
            continue
        code = labeller.row_code(t.text for t in _after_header(label_tokens))
        if not run:
            continue
        run, surplus = _whole_lines(run)
        heading = code in ("result.denied", "result.unavailable", "result.not_processed")
        if (code is None or heading) and not surplus and (last or not rows) and _next_adds_up(
                last, _after(last, doc.format_version), run, doc.format_version):
            # a row's values a line above its label (pdfplumber's text of a wrapped label): the next label decides
            surplus, orphan = run, code or "-"
            continue
        if code is None:
            out.warn("applications", None, "unlabelled_values", "values with no row label in table 三", run)
            out_of_step = out_of_step or not rows
            continue
        if heading:
            out.warn("applications", code, "unlabelled_values", f"values printed on the group heading {code}", run)
            continue
        if code in rows:
            out.warn("applications", code, "duplicate_row", "row printed twice; the first is kept", run)
            continue
        label_rows[code] = label_tokens[-1].row if label_tokens else None
        rows[code] = (place_row(run, len(APPLICANT_COLUMNS), row_sum, label_rows[code]), run)
        last = code
    if surplus and orphan:
        out_of_step = True
        out.warn("applications", None if orphan == "-" else orphan, "unlabelled_values", "values with no row label in table 三", surplus)
    _rows_run_together(rows, doc.format_version)
    identities = t3_column_identities(doc.format_version)
    resolve_columns({code: placement for code, (placement, _) in rows.items()}, identities, len(APPLICANT_COLUMNS))
    for code in list(rows)[unsure_from:] if unsure_from is not None else []:
        # a shift of the values by one row keeps every column's sum: no identity can confirm these
        rows[code] = (Placement([None] * len(APPLICANT_COLUMNS), "a row's values above this stood under no label: "
                                "labels and values may be out of step from there on; none placed"), rows[code][1])
    if out_of_step and not _columns_add_up(rows, identities):
        # values stood apart from their labels (a converter printing values above labels), and
        # the columns do not show that they add up: labels and values may be out of step
        for code, (_, run) in rows.items():
            rows[code] = (Placement([None] * len(APPLICANT_COLUMNS), "labels and values may be out of step: values "
                                    "stand apart from their row labels and no column identity confirms the rows; none placed"), run)
    for code, (placement, run) in rows.items():
        if not emit_applicant_row(out, code, placement.cells, run, run[0].where) and placement.problem:
            out.warn("applications", code, _problem_kind(placement.cells), placement.problem, run)
    seen = set(rows)
    for code in [c for c in T3_REQUIRED if c not in seen]:
        out.warn("applications", code, "missing_row", f"row {categories()[code].label_2021} not found")
    other_items = {"result.other.no_correction", "result.other.no_fee", "result.other.other"}
    if doc.format_version != FORMAT_2019 and "result.other" not in seen and not (other_items & seen):
        out.warn("applications", "result.other", "missing_row", "row （六）其他处理 not found")


# the characters of table 三's column header: a token made of them only is a piece of it (商业, 服务其他)
_HEADER_CHARS = frozenset("".join(fold(w) for w, _ in words_of("applicant")) + "申请人情况法人或其他组织")


def _after_header(label_tokens: list[Token]) -> list[Token]:
    """The labels after the table's column header (自然人 商业企业 … 其他 总计, whole or in
    pieces): the header's 总计 names no row, and values right after it have no row label yet."""
    header = [i for i, t in enumerate(label_tokens) if len(t.text) >= 2 and set(t.text) <= _HEADER_CHARS]
    if len(header) < 3:  # a 总计 or 其他 alone is a row's label, not the header
        return label_tokens
    return label_tokens[header[-1] + 1 :]


def _columns_add_up(rows: dict[str, tuple[Placement, list[Token]]], identities: list[tuple[list[str], list[str]]]) -> bool:
    """Whether the column identities hold on the cells placed: every one whose rows were read,
    and at least one was (False when none could be checked)."""
    def value(code: str, c: int) -> float | None:
        cell = rows[code][0].cells[c]
        return None if cell is None else (cell.value or 0.0 if cell.kind is Kind.NUMBER else 0.0)

    checked = False
    for left, right in identities:
        if not set(left + right) <= set(rows):
            continue
        for c in range(len(APPLICANT_COLUMNS)):
            sides = [[value(code, c) for code in side] for side in (left, right)]
            if all(v is not None for side in sides for v in side):
                checked = True
                if abs(sum(sides[0]) - sum(sides[1])) > 1e-9:
                    return False
    return checked


_NAMES_A_ROW = re.compile(r"\d\s*[.、]|本年新收|上年结转|结转下年|予以公开|部分公开|总计|不予公开|无法提供|不予处理|其他处理")


def _continues(label_tokens: list[Token], before: list[Token], run: list[Token]) -> bool:
    """Whether `run` holds the rest of the row read before it: its labels name no row (the
    wrapped tail of the label above), and the two together are exactly one row's values."""
    if any(_NAMES_A_ROW.search(t.text) for t in label_tokens):
        return False
    filled = sum(t.kind is not Kind.EMPTY for t in before) + sum(t.kind is not Kind.EMPTY for t in run)
    return sum(t.kind is not Kind.EMPTY for t in before) < len(APPLICANT_COLUMNS) and filled == len(APPLICANT_COLUMNS)


def _probe(labeller: Table3Labeller) -> Table3Labeller:
    """A labeller in the same state, to look ahead without moving the real one."""
    probe = Table3Labeller()
    probe.group, probe.last = labeller.group, labeller.last
    return probe


def _whole_lines(run: list[Token]) -> tuple[list[Token], list[Token]]:
    """A run of two lines of exactly one row's values each: the row's line, and the line left
    over for the label printed below it (a text extractor puts a wrapped label's values on its
    first line, above the label). Any other run is the row's."""
    lines: dict[int, list[Token]] = {}
    for t in run:
        lines.setdefault(t.row, []).append(t)
    full = [line for line in lines.values() if sum(t.kind is not Kind.EMPTY for t in line) == len(APPLICANT_COLUMNS)]
    if len(lines) == 2 and len(full) == 2:
        return full[0], full[1]
    return run, []


_ITEM = re.compile(r"(?<![\d.])(?=[1-9]\.)")


def _stacked_rows(labeller: Table3Labeller, label_tokens: list[Token], run: list[Token],
                  read: set[str]) -> list[tuple[str, list[Token]]]:
    """Labels of several rows printed one under another in one cell (a browser's print of a
    table whose item cells have no borders), beside as many lines of values: each label to its
    line, in order. Empty when the labels name one row, or the lines do not match them."""
    # a cell may hold several rows' labels, run together (and a group's label inside them): cut
    # at its lines and before each item number
    texts = [p for t in label_tokens for line in t.text.split("\n") for p in _ITEM.split(line) if p]
    if len(texts) < 2 or len({t.row for t in run if t.kind is not Kind.EMPTY}) < 2:
        return []
    lines: dict[int, list[Token]] = {}
    for t in run:
        lines.setdefault(t.row, []).append(t)
    lines = {r: line for r, line in lines.items() if any(t.kind is not Kind.EMPTY for t in line)}
    codes = [c for c in _probe(labeller).row_codes(texts) if c not in read]  # a row read already is not among them
    if len(codes) < 2 or len(codes) != len(lines):
        return []
    labeller.row_codes(texts)  # the labeller follows the rows read
    return list(zip(codes, lines.values()))


@cache
def _t3_rows(format_version: str) -> tuple[str, ...]:
    """The rows of table 三 that hold values, in the template's order."""
    cats = categories()
    label = (lambda c: c.label_2019) if format_version == FORMAT_2019 else (lambda c: c.label_2021)
    rows = [code for code, c in cats.items() if c.table == "applications" and label(c)]
    headings = {cats[code].parent_code for code in rows} - {"result.total"}  # a group's heading holds no values
    return tuple(code for code in rows if code not in headings)


def _after(code: str | None, format_version: str) -> str | None:
    """The row after `code` in the template (None: the first row)."""
    order = _t3_rows(format_version)
    if code is None:
        return order[0]
    return order[order.index(code) + 1] if code in order and order.index(code) + 1 < len(order) else None


def _next_adds_up(last: str | None, code: str | None, line: list[Token], format_version: str) -> bool:
    """`line` may be `code`'s values printed above its label: `code` is the row after `last` in
    the template, and the line's seven values add up."""
    filled = [t for t in line if t.kind is not Kind.EMPTY]
    return (code is not None and _after(last, format_version) == code
            and len(filled) == len(APPLICANT_COLUMNS) and all(t.kind is Kind.NUMBER for t in filled)
            and row_sum([t.value for t in filled]))


def _unread(rows: dict[str, tuple[Placement, list[Token]]], code: str) -> bool:
    return code not in rows or all(p is None for p in rows[code][0].cells)


def _rows_run_together(rows: dict[str, tuple[Placement, list[Token]]], format_version: str) -> None:
    """A row's run of k whole rows' values (plain pdftotext prints the values of 重复申请 and of
    the next two rows together, their labels later; or two labels, then both rows' values):
    each seven that add up is a row, given to the k rows of the template's order around it whose
    own values were not read, where only one such window of rows exists."""
    width = len(APPLICANT_COLUMNS)
    order = _t3_rows(format_version)
    for code, (_, run) in list(rows.items()):
        filled = [t for t in run if t.kind is not Kind.EMPTY]
        k, rest = divmod(len(filled), width)
        if k < 2 or rest or code not in order or not _unread(rows, code) or any(t.kind is not Kind.NUMBER for t in filled):
            continue
        chunks = [filled[j * width:(j + 1) * width] for j in range(k)]
        if not all(row_sum([t.value for t in chunk]) for chunk in chunks):
            continue
        at = order.index(code)
        windows = [order[start:start + k] for start in range(max(0, at - k + 1), at + 1)
                   if start + k <= len(order) and all(_unread(rows, c) for c in order[start:start + k] if c != code)]
        if len(windows) != 1:
            continue
        for row, chunk in zip(windows[0], chunks):
            rows[row] = (Placement([replace(t, segmented=True) for t in chunk],
                                   f"{k} rows' values printed together after one label ({' '.join(windows[0])}): "
                                   "each seven add up, placed in the template's order"), chunk)


def t3_column_identities(format_version: str) -> list[tuple[list[str], list[str]]]:
    """T3_BALANCE and T3_RESULTS_SUM as (sum side, total side) of row codes."""
    results = [c for c, cat in categories().items() if cat.section == 3 and cat.parent_code == "result.total"
               and c != "result.other"]
    items = [c for c in categories() if c.startswith("result.other.")]
    return [
        (["application.new_received", "application.carried_over"], ["result.total", "application.carried_forward"]),
        (results + ["result.other"], ["result.total"]),
        (results + items, ["result.total"]),
        (items, ["result.other"]),
    ]


# --- table 四: review and litigation ------------------------------------------------

def _read_review(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    run = [t for t in tokens if t.kind is not Kind.TEXT]
    if not any(t.kind is not Kind.EMPTY for t in run):
        out.warn("review_litigation", None, "missing_row", "no values found in table 四")
        return
    placement = place_row(run, len(REVIEW_CODES), group_sums)
    placed, problem = placement.cells, placement.problem
    if problem:
        out.warn("review_litigation", None, _problem_kind(placed), problem, [t for t in run if t.kind is not Kind.EMPTY])
    first = next(t for t in run if t.kind is not Kind.EMPTY)
    for code, token in zip(REVIEW_CODES, placed):
        emit(out, "review_litigation", code, None, "count", token, first.where)
