"""What a report states in prose, against its own tables.

Reports repeat their key numbers in words, mostly in section 一 (总体情况) and sometimes after
the tables: 共受理依申请公开162件(含上年结转3件), 予以公开及部分公开70件, 行政复议6件、行政诉讼0件,
新制发行政规范性文件5件, 现行有效件数合计28件 — or say there were none: 全市无新收政府信息公开申请,
未发生因政府信息公开申请行政复议、提起行政诉讼情况. :func:`find_statements` finds such statements
in a document's text rows (the matching form: Simplified, folded, no spaces), each with the
quantity it states; :func:`compare` sets each beside the cells of the report's tables that
hold the same quantity: agree, disagree, or cannot_compare (a cell it needs is blank, not a
number, or not in the report's template). Both are pure functions; a disagreement is a
finding about the report, never a correction of either number.

Only the quantities below are looked for: numbers of the narrative that no cell holds
(信息2428条, 政策解读38篇, 信息处理费0元) are not statements about the tables.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# quantity -> the cells (category_code, applicant_type, measure) whose sum it states
QUANTITIES: dict[str, tuple[tuple[str, str | None, str], ...]] = {
    "applications_handled": (("application.new_received", "total", "count"), ("application.carried_over", "total", "count")),
    "applications_received": (("application.new_received", "total", "count"),),
    "carried_over": (("application.carried_over", "total", "count"),),
    "granted_or_partial": (("result.granted", "total", "count"), ("result.partially_granted", "total", "count")),
    "granted": (("result.granted", "total", "count"),),
    "partially_granted": (("result.partially_granted", "total", "count"),),
    "review_total": (("review.total", None, "count"),),
    "litigation_total": (("litigation_direct.total", None, "count"), ("litigation_after_review.total", None, "count")),
    "normative_docs_issued": (("active.normative_docs", None, "issued"),),
    "normative_docs_in_force": (("active.normative_docs", None, "in_force"),),
}
# the same quantity in the 2019 template's columns: 本年新制作数量 for 2021's 本年制发件数
TEMPLATE_2019: dict[str, tuple[tuple[str, str | None, str], ...]] = {
    "normative_docs_issued": (("active.normative_docs", None, "made"),),
}
# cell statuses whose value is a number of the report (printed, or fixed by it unprinted)
NUMBER_STATUSES = frozenset({"read", "converted", "segmented", "inferred", "derived"})
# the table a quantity's cells are in, for the warning of a disagreement
APPLICATION_QUANTITIES = frozenset({"applications_handled", "applications_received"})

_GAP = r"[^。；;]{0,16}?"  # words between a verb and its object, within one clause or two
_APPLICATIONS = r"(?:政府信息公开|依申请公开)(?:申请)?(?:共计|共|合计)?"
_CLAUSE_END = "。；;！!？?"

# (quantity, pattern, group of the number): tried in this order; a match never overlaps an
# earlier one (予以公开及部分公开70件 is not also 部分公开70件)
_PATTERNS: tuple[tuple[str, re.Pattern, int], ...] = (
    ("applications_handled", re.compile(rf"(?:受理|收到|接收|接到){_GAP}{_APPLICATIONS}(\d+)件[(（]含上年结转(\d+)件[)）]"), 1),
    ("applications_received", re.compile(rf"(?:受理|收到|接收|接到|新收){_GAP}{_APPLICATIONS}(\d+)件"), 1),
    ("carried_over", re.compile(r"上年结转(?:政府信息公开申请|申请)?(\d+)件"), 1),
    ("granted_or_partial", re.compile(r"予以公开(?:及|和|与|、|或)部分公开(?:的)?(?:申请)?(?:共|共计|合计)?(\d+)件"), 1),
    ("granted", re.compile(r"(?<!不)予以公开(?:的)?(?:申请)?(\d+)件"), 1),
    ("partially_granted", re.compile(r"部分公开(?:的)?(?:申请)?(\d+)件"), 1),
    ("review_total", re.compile(r"行政复议(?:案件|申请)?(?:共|共计|合计)?(\d+)(?:件|起)"), 1),
    ("litigation_total", re.compile(r"行政诉讼(?:案件)?(?:共|共计|合计)?(\d+)(?:件|起)"), 1),
    ("normative_docs_issued", re.compile(r"(?:新)?制发(?:行政)?规范性文件(?:共|共计|合计)?(\d+)件"), 1),
    ("normative_docs_in_force", re.compile(r"现行有效(?:的)?(?:行政)?规范性文件(?:共|共计|合计)?(\d+)件"), 1),
)
# 现行有效件数合计28件: the in-force count of the 规范性文件 its sentence is about (not of 规章)
_IN_FORCE_COUNT = re.compile(r"现行有效(?:件数|文件)?(?:共|共计|合计)?(\d+)件")
# none received: 无新收政府信息公开申请, 未收到依申请公开事项, 尚未收到……依申请政府信息公开申请 — but not an
# application that led to a review (无因政府信息公开申请引起的行政复议)
_NO_APPLICATIONS = re.compile(
    r"(?:尚未收到|未收到|未接收到|未接到|没有收到|无)[^。；;，,]{0,30}?(?:政府信息公开|依申请公开)(?:申请|事项)"
    r"(?![^。；;，,]{0,8}(?:复议|诉讼))")
# no review and no lawsuit: 不存在有关政府信息公开行政复议和行政诉讼情况, 未发生……行政复议、提起行政诉讼情况
_OUTCOME_WORDS = ("纠正", "纠错", "败诉", "撤销", "违法")
_NO_DISPUTES = re.compile(r"(?:未发生|未出现|不存在|没有发生|没有|无)([^。；;，,]{0,40}?)(?:的)?(?:情况|情形|案件)")


@dataclass(frozen=True)
class Statement:
    quantity: str  # a key of QUANTITIES
    stated: float
    matched: str  # the words that state it, as matched (folded)
    sentence: str  # the sentence (or clause run) around it, folded
    location: str | None  # the rows it spans: "line 12", "page 1", "line 17–19"
    rows: tuple[int, ...]  # indices of the text rows it spans


def find_statements(rows: Sequence[tuple[str, str]]) -> list[Statement]:
    """The statements of quantities of the tables in a document's text rows: (text, where)
    pairs in reading order, the text in the matching form. Rows are joined whole (a PDF breaks
    its lines inside a sentence); a sentence ends at 。；！？, and at a row that is a heading."""
    joined, starts, breaks = "", [], set()
    for i, (text, _) in enumerate(rows):
        if i and (_is_heading(text) or _is_heading(rows[i - 1][0]) or (rows[i - 1][0][-1:] in _CLAUSE_END)):
            breaks.add(len(joined))
        starts.append(len(joined))
        joined += text
    found: list[tuple[int, int, str, float]] = []  # start, end, quantity, stated

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, *_ in found)

    for quantity, pattern, group in _PATTERNS:
        for m in pattern.finditer(joined):
            if free(*m.span()):
                found.append((m.start(), m.end(), quantity, float(m.group(group))))
                if quantity == "applications_handled":  # (含上年结转3件) states the carried-over too
                    found.append((m.start(2) - len("含上年结转"), m.end(2) + 1, "carried_over", float(m.group(2))))
    for m in _IN_FORCE_COUNT.finditer(joined):
        sentence = joined[slice(*_sentence(joined, m.start(), m.end(), breaks))]
        if free(*m.span()) and "规范性文件" in sentence and "规章" not in sentence:
            found.append((m.start(), m.end(), "normative_docs_in_force", float(m.group(1))))
    for m in _NO_APPLICATIONS.finditer(joined):
        if free(*m.span()):
            found.append((m.start(), m.end(), "applications_received", 0.0))
    for m in _NO_DISPUTES.finditer(joined):
        clause = m.group(1)
        if not free(*m.span()) or any(word in clause for word in _OUTCOME_WORDS):
            continue  # 未发生结果纠正或败诉情形: about outcomes, not about how many cases
        for word, quantity in (("复议", "review_total"), ("诉讼", "litigation_total")):
            if word in clause:
                found.append((m.start(), m.end(), quantity, 0.0))
    out = []
    order = list(QUANTITIES)
    for start, end, quantity, stated in sorted(found, key=lambda f: (f[0], f[1], order.index(f[2]))):
        involved = tuple(i for i, s in enumerate(starts) if s < end and s + len(rows[i][0]) > start)
        a, b = _sentence(joined, start, end, breaks)
        out.append(Statement(quantity, stated, joined[start:end], joined[a:b], _span([rows[i][1] for i in involved]), involved))
    return out


def compare(statement: Statement, cells: Sequence[dict]) -> dict:
    """The statement beside the cells of its quantity (records with category_code,
    applicant_type, measure, value, cell_status): table_value, the cells with their values,
    verdict (agree | disagree | cannot_compare) and the reason in words."""
    wanted = QUANTITIES[statement.quantity]
    by_key = {(c["category_code"], c["applicant_type"], c["measure"]): c for c in cells}
    older = TEMPLATE_2019.get(statement.quantity)
    if older and not any(key in by_key for key in wanted) and all(key in by_key for key in older):
        wanted = older
    found = [by_key.get(key) for key in wanted]
    shown = "; ".join(
        f"{code}[{applicant or measure}]=" + ("absent" if c is None else (
            f"{c['value']:g}" if c["cell_status"] in NUMBER_STATUSES and c["value"] is not None else c["cell_status"]))
        for (code, applicant, measure), c in zip(wanted, found))
    record = {"quantity": statement.quantity, "stated": statement.stated, "cells": shown, "table_value": None}
    if any(c is None for c in found):
        return {**record, "verdict": "cannot_compare", "reason": "the report's tables have no such cell (another template, or the row was not found)"}
    if any(c["cell_status"] not in NUMBER_STATUSES or c["value"] is None for c in found):
        return {**record, "verdict": "cannot_compare", "reason": "a cell it is compared with is not a number"}
    value = sum(c["value"] for c in found)
    record["table_value"] = value
    if value == statement.stated:
        return {**record, "verdict": "agree", "reason": "the text states what the table has"}
    if statement.quantity == "applications_received":
        carried = by_key.get(("application.carried_over", "total", "count"))
        if carried and carried["cell_status"] in NUMBER_STATUSES and carried["value"] is not None \
                and value + carried["value"] == statement.stated:
            return {**record, "table_value": value + carried["value"], "verdict": "agree",
                    "reason": "the text counts the applications carried over from last year too (新收 + 上年结转)"}
    return {**record, "verdict": "disagree", "reason": f"the text states {statement.stated:g}, the table has {value:g}"}


# --- sentences -------------------------------------------------------------------------------

_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|[0-9]+[、.])")


def _is_heading(text: str) -> bool:
    """A row that is a section heading alone (（二）依申请公开情况), not a paragraph that starts with one."""
    return bool(_HEADING.match(text)) and len(text) <= 30 and not any(ch in text for ch in "。；;")


def _sentence(joined: str, start: int, end: int, breaks: set[int]) -> tuple[int, int]:
    a = max([i + 1 for i in range(start) if joined[i] in _CLAUSE_END] + [b for b in breaks if b <= start], default=0)
    later = [i + 1 for i in range(end, len(joined)) if joined[i] in _CLAUSE_END][:1] + [b for b in breaks if b >= end]
    return a, min(later, default=len(joined))


def _span(wheres: list[str]) -> str | None:
    wheres = list(dict.fromkeys(wheres))
    if not wheres:
        return None
    return wheres[0] if len(wheres) == 1 else f"{wheres[0]}–{wheres[-1].split(' ')[-1]}"
