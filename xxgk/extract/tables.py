"""Read tables 二, 三 and 四 out of a token stream, one record per printed cell.

Damage is recorded, never repaired:

- a row with as many values as columns is placed in order (empty cells between
  tabs are layout, not data);
- a row with *more* values than columns: column c can hold any of the values
  c..c+k (k extra); it is placed only where all of them agree;
- a row with *fewer* values: placed only where the row's own cells show the gap
  (an empty cell in the position of the missing value), else not placed;
- 元 printed in a 万元 column is converted, with a warning;
- blank, "/", "—" cells keep what was printed, with value null.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import polars as pl

from xxgk.extract.tokens import Kind, Token, tokenize
from xxgk.normalise import NormalisedDocument, fold
from xxgk.vocabulary import (
    APPLICANT_COLUMNS,
    FORMAT_2019,
    REVIEW_CODES,
    TEN_THOUSAND_YUAN_MEASURES,
    categories,
)

CELL_SCHEMA = {
    "document_id": pl.String,
    "table_name": pl.String,
    "category_code": pl.String,
    "applicant_type": pl.String,
    "measure": pl.String,
    "value": pl.Float64,
    "printed": pl.String,
    "cell_status": pl.String,  # read | converted | null_mark | blank | not_placed | not_read
    "location": pl.String,
    "provenance": pl.String,  # text | ocr
    "confidence": pl.Float64,  # the OCR score of the cell; null for text
}
WARNING_SCHEMA = {
    "document_id": pl.String,
    "table_name": pl.String,
    "category_code": pl.String,
    "kind": pl.String,
    "message": pl.String,
    "printed": pl.String,
    "location": pl.String,
}


@dataclass
class Extraction:
    document_id: str
    cells: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def warn(self, table: str, code: str | None, kind: str, message: str, tokens: list[Token] = ()) -> None:
        self.warnings.append(
            {
                "document_id": self.document_id,
                "table_name": table,
                "category_code": code,
                "kind": kind,
                "message": message,
                "printed": " ".join(t.printed if t.printed else "∅" for t in tokens) or None,
                "location": _span(tokens),
            }
        )

    def cells_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.cells, schema=CELL_SCHEMA)

    def warnings_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.warnings, schema=WARNING_SCHEMA)


def _span(tokens) -> str | None:
    wheres = list(dict.fromkeys(t.where for t in tokens))
    if not wheres:
        return None
    return wheres[0] if len(wheres) == 1 else f"{wheres[0]}–{wheres[-1].split(' ')[-1]}"


_TABLE_TITLES = {"art20": "二 (第二十条)", "applications": "三 (applications)", "review_litigation": "四 (review and litigation)"}


def extract_report(doc: NormalisedDocument) -> Extraction:
    out = Extraction(doc.document_id)
    tokens = tokenize(doc)
    bounds = _section_bounds(tokens)
    for table, reader in (("art20", _read_art20), ("applications", _read_applications), ("review_litigation", _read_review)):
        start, end = bounds.get(table, (None, None))
        if start is None:
            out.warn(table, None, "missing_table", f"table {_TABLE_TITLES[table]} not found")
            continue
        reader(tokens[start:end], doc, out)
    first_table = min((b[0] for b in bounds.values()), default=len(tokens))
    cross_check_narrative(tokens[:first_table], out)
    return out


# "共受理依申请公开162件(含上年结转3件)", "受理政府信息公开申请 17 件"
_NARRATIVE_TOTAL = re.compile(
    r"(?:受理|收到)[^。;；]{0,16}?(?:政府信息公开|依申请公开)(?:申请)?(?:共计|共)?(\d+)件(?:[(（]含上年结转(\d+)件[)）])?"
)


def cross_check_narrative(tokens: list[Token], out: Extraction) -> None:
    """Where section 一 states how many applications were handled, compare it with table 三."""
    def total(code: str) -> float | None:
        return next((c["value"] for c in out.cells if c["category_code"] == code and c["applicant_type"] == "total"), None)

    new, carried = total("application.new_received"), total("application.carried_over")
    if new is None:
        return
    # Narrative lines break anywhere (PDF text lines): match over the joined text.
    texts = [t for t in tokens if t.kind is Kind.TEXT]
    joined = "".join(t.text for t in texts)
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t.text)
    for m in _NARRATIVE_TOTAL.finditer(joined):
        stated = float(m.group(1))
        readings = {new} | ({new + carried} if carried is not None else set())
        if stated in readings:
            continue
        involved = [t for t, start in zip(texts, starts) if start < m.end() and start + len(t.text) > m.start()]
        table = f"{new:g} new" + (f" + {carried:g} carried over" if carried is not None else "")
        out.warn("applications", "application.new_received", "narrative_mismatch",
                 f"the text states {m.group(0)}; table 三 has {table}", involved)


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

def _runs(tokens: list[Token]):
    """Yield (labels, values): the text tokens since the last run, then the run of value cells."""
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
        if any(t.kind is not Kind.EMPTY for t in run):
            yield labels, run
            labels = []
        i = j
    if labels:
        yield labels, []


def place(run: list[Token], expected: int) -> tuple[list[Token | None], str | None]:
    """Assign a run of value cells to `expected` columns, only where that is unambiguous."""
    filled = [t for t in run if t.kind is not Kind.EMPTY]
    n = len(filled)
    if n == expected:
        return filled, None
    if n > expected:
        k = n - expected
        placed: list[Token | None] = []
        for c in range(expected):
            options = filled[c : c + k + 1]
            same = all((o.kind, o.value, o.printed) == (options[0].kind, options[0].value, options[0].printed) for o in options)
            placed.append(options[0] if same else None)
        done = sum(p is not None for p in placed)
        return placed, f"{n} values printed for {expected} columns; {done} placed where every reading agrees"
    first_row = run[0].row
    slots = [t for t in run if t.row == first_row]
    while slots and slots[0].kind is Kind.EMPTY:
        slots.pop(0)
    while len(slots) > expected and slots[-1].kind is Kind.EMPTY:
        slots.pop()
    if len(slots) == expected and sum(t.kind is not Kind.EMPTY for t in slots) == n:
        blanks = [c + 1 for c, t in enumerate(slots) if t.kind is Kind.EMPTY]
        return slots, f"{n} values printed for {expected} columns; the row's empty cell(s) at column(s) {blanks} recorded as blank"
    return [None] * expected, f"{n} values printed for {expected} columns; positions ambiguous, none placed"


def _emit(out: Extraction, table: str, code: str, applicant: str | None, measure: str, token: Token | None,
          fallback_where: str | None, ten_thousand_yuan: bool = False) -> None:
    provenance = token.provenance if token is not None else "text"
    confidence = token.confidence if token is not None else None
    if token is None:
        value, printed, status, where = None, None, "not_placed", fallback_where
    elif token.kind is Kind.UNREAD:
        value, printed, status, where = None, None, "not_read", token.where
        out.warn(table, code, "not_read", "OCR found this cell but could not read it: recorded as null, not 0", [token])
    else:
        where = token.where
        printed = token.printed
        if token.kind is Kind.NUMBER:
            value, status = token.value, "read"
            if ten_thousand_yuan and token.unit == "元":
                value, status = round(token.value / 10000, 6), "converted"
                out.warn(table, code, "unit_converted", f"{token.printed} printed in a 万元 column: read as {value:g} 万元", [token])
        elif token.kind is Kind.NULL_MARK:
            value, status = None, "null_mark"
        else:
            value, status, printed = None, "blank", ""
    out.cells.append(
        {
            "document_id": out.document_id,
            "table_name": table,
            "category_code": code,
            "applicant_type": applicant,
            "measure": measure,
            "value": value,
            "printed": printed,
            "cell_status": status,
            "location": where,
            "provenance": provenance,
            "confidence": confidence,
        }
    )


# --- table 二: the 第二十条 tables ----------------------------------------------

def _art20_labels(format_version: str) -> list[tuple[str, str]]:
    out = []
    for cat in categories().values():
        if cat.section != 2:
            continue
        label = cat.label_2019 if format_version == FORMAT_2019 else cat.label_2021
        if label:
            out.append((fold(label), cat.code))
    return sorted(out, key=lambda x: -len(x[0]))  # 行政规范性文件 before 规范性文件


def _match_art20(text: str, labels: list[tuple[str, str]]) -> str | None:
    for label, code in labels:
        if text == label:
            return code
    for label, code in labels:
        if label in text and len(text) <= len(label) + 6:
            return code
    return None


def _read_art20(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    labels = _art20_labels(doc.format_version)
    seen: set[str] = set()
    amount_in_yuan = False  # a header that says (单位：元) rather than 万元
    for label_tokens, run in _runs(tokens):
        code = None
        for t in label_tokens:
            if "单位" in t.text or "金额" in t.text:
                amount_in_yuan = "元" in t.text and "万元" not in t.text
            code = _match_art20(t.text, labels) or code
        if not run:
            continue
        if code is None:
            out.warn("art20", None, "unlabelled_values", "values with no row label in section 二", run)
            continue
        if code in seen:
            out.warn("art20", code, "duplicate_row", "row printed twice; the first is kept", run)
            continue
        seen.add(code)
        measures = categories()[code].measures(doc.format_version)
        placed, problem = place(run, len(measures))
        if problem:
            out.warn("art20", code, "row_length", problem, run)
        for measure, token in zip(measures, placed):
            in_10k = measure in TEN_THOUSAND_YUAN_MEASURES
            if in_10k and amount_in_yuan and token is not None and token.kind is Kind.NUMBER and token.unit is None:
                token = Token(token.kind, token.text, token.printed, token.row, token.where, token.value, "元")
            _emit(out, "art20", code, None, measure, token, run[0].where, ten_thousand_yuan=in_10k)
    expected = [code for _, code in labels]
    for code in sorted(set(expected) - seen):
        out.warn("art20", code, "missing_row", f"row {categories()[code].label_2021 or categories()[code].label_2019} not found")


# --- table 三: applications -------------------------------------------------------

_GROUPS = {"不予公开": "result.denied", "无法提供": "result.unavailable", "不予处理": "result.not_processed", "其他处理": "result.other"}
_ITEM_NUMBER = re.compile(r"(?<![\d.])([1-9])\s*[.、]")


def _group_items() -> dict[str, list[str]]:
    items: dict[str, list[str]] = {g: [] for g in _GROUPS.values()}
    for code in categories():
        for group in items:
            if code.startswith(group + "."):
                items[group].append(code)
    return items


def _similarity(a: str, b: str) -> float:
    """How well label text `a` matches item text `b`; the first line of a wrapped label
    (申请人无正当理由逾期不补…) matches the item it begins in full."""
    matcher = difflib.SequenceMatcher(None, a, b)
    if len(a) >= 6:
        block = matcher.find_longest_match(0, len(a), 0, len(b))
        if block.size == len(a):
            return 1.0
    return matcher.ratio()


def _item_text(code: str) -> str:
    label = categories()[code].label_2021 or ""
    return fold(re.sub(r"^.*?\d\.", "", label))


class _Table3Labeller:
    """Follows the row labels of table 三, whose group headings span several rows."""

    def __init__(self) -> None:
        self.group: str | None = None
        self.items = _group_items()
        self.last: str | None = None  # the last row label found

    def classify(self, text: str) -> str | None:
        """The category a label token names, updating the current group; None for noise."""
        code = self._classify(text)
        if code:
            self.last = code
        return code

    def _classify(self, text: str) -> str | None:
        if "本年新收" in text:
            return self._top("application.new_received")
        if "上年结转" in text:
            return self._top("application.carried_over")
        if "结转下年" in text:
            return self._top("application.carried_forward")
        if "部分公开" in text:
            return self._top("result.partially_granted")
        if "予以公开" in text and "不予公开" not in text:
            return self._top("result.granted")
        group_at = None
        for marker, group in _GROUPS.items():
            pos = text.find(marker)
            if pos >= 0:
                self.group, group_at = group, pos + len(marker)
        rest = text[group_at:] if group_at is not None else text
        m = _ITEM_NUMBER.search(rest)
        if m and group_at is None:
            self._follow_numbering(int(m.group(1)))
        if m and self.group:
            n = int(m.group(1))
            items = self.items[self.group]
            if n <= len(items):
                return self._check_item(items[n - 1], rest[m.end():])
        if m and not self.group:  # the group heading is printed further down (a page break cut its cell)
            return self._any_item(rest[m.end():], threshold=0.6)
        if group_at is not None:
            return self.group if not rest.strip() else self._item_by_text(rest) or self.group
        if re.fullmatch(r"[(（]?七[)）]总计", text):
            return self._top("result.total")
        if text == "总计":
            # also a column heading, repeated when the table breaks across pages: it must
            # not end the group (（五）不予处理 …) that the next row still belongs to
            return "result.total"
        if self.group and len(text) >= 2:
            return self._item_by_text(text)
        return None

    def _follow_numbering(self, n: int) -> None:
        """Item numbers restart at each group: when they do and no heading said so (a heading
        in a merged cell cut by a page break, or centred below its first items), the next
        group of the template has begun."""
        order = list(self.items)
        if self.group is None and self.last in ("result.granted", "result.partially_granted"):
            self.group = order[0]
        elif self.group and self.last in self.items[self.group]:
            if n <= self.items[self.group].index(self.last) + 1 and order.index(self.group) + 1 < len(order):
                self.group = order[order.index(self.group) + 1]

    def _check_item(self, code: str, text: str) -> str:
        """Trust the item number within the current group unless the words name another item.

        A group heading in a merged cell that a page break cuts can be printed after its
        first items, so "1.申请人无正当理由逾期不补正…" may arrive while （五） is current.
        """
        if len(text) < 4 or _similarity(text, _item_text(code)) >= 0.5:
            return code
        return self._any_item(text, threshold=0.75) or code

    def _any_item(self, text: str, threshold: float) -> str | None:
        """The item of any group whose words match best, if they match well enough."""
        best, score = max(((c, _similarity(text, _item_text(c))) for g in self.items.values() for c in g), key=lambda x: x[1])
        if score < threshold:
            return None
        self.group = next(g for g, codes in self.items.items() if best in codes)
        return best

    def _top(self, code: str) -> str:
        self.group = None
        return code

    def _item_by_text(self, text: str) -> str | None:
        if not self.group:
            return None
        text = _ITEM_NUMBER.sub("", text)
        best, score = None, 0.0
        for code in self.items[self.group]:
            s = _similarity(text, _item_text(code))
            if s > score:
                best, score = code, s
        return best if score >= 0.6 else None


_T3_REQUIRED = (
    ["application.new_received", "application.carried_over", "result.granted", "result.partially_granted"]
    + [c for c in categories() if c.startswith(("result.denied.", "result.unavailable.", "result.not_processed."))]
    + ["result.total", "application.carried_forward"]
)


def _read_applications(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    labeller = _Table3Labeller()
    seen: set[str] = set()
    for label_tokens, run in _runs(tokens):
        code = None
        for t in label_tokens:
            found = labeller.classify(t.text)
            # a group heading centred in its merged cell can sit on the line of one of its items
            if found in _GROUPS.values() and code and code.startswith(found + "."):
                continue
            code = found or code
        if not run:
            continue
        if code is None:
            out.warn("applications", None, "unlabelled_values", "values with no row label in table 三", run)
            continue
        if code in ("result.denied", "result.unavailable", "result.not_processed"):
            out.warn("applications", code, "unlabelled_values", f"values printed on the group heading {code}", run)
            continue
        if code in seen:
            out.warn("applications", code, "duplicate_row", "row printed twice; the first is kept", run)
            continue
        seen.add(code)
        placed, problem = place(run, len(APPLICANT_COLUMNS))
        if problem:
            out.warn("applications", code, "row_length", problem, run)
        for applicant, token in zip(APPLICANT_COLUMNS, placed):
            _emit(out, "applications", code, applicant, "count", token, run[0].where)
    for code in [c for c in _T3_REQUIRED if c not in seen]:
        out.warn("applications", code, "missing_row", f"row {categories()[code].label_2021} not found")
    other_items = {"result.other.no_correction", "result.other.no_fee", "result.other.other"}
    if doc.format_version != FORMAT_2019 and "result.other" not in seen and not (other_items & seen):
        out.warn("applications", "result.other", "missing_row", "row （六）其他处理 not found")


# --- table 四: review and litigation ------------------------------------------------

def _read_review(tokens: list[Token], doc: NormalisedDocument, out: Extraction) -> None:
    run = [t for t in tokens if t.kind is not Kind.TEXT]
    if not any(t.kind is not Kind.EMPTY for t in run):
        out.warn("review_litigation", None, "missing_row", "no values found in table 四")
        return
    placed, problem = place(run, len(REVIEW_CODES))
    if problem:
        out.warn("review_litigation", None, "row_length", problem, [t for t in run if t.kind is not Kind.EMPTY])
    first = next(t for t in run if t.kind is not Kind.EMPTY)
    for code, token in zip(REVIEW_CODES, placed):
        _emit(out, "review_litigation", code, None, "count", token, first.where)
