"""The row labels of the template: which category a printed label names."""
from __future__ import annotations

import difflib
import re

from xxgk.normalise import fold
from xxgk.vocabulary import FORMAT_2019, categories


def art20_labels(format_version: str) -> list[tuple[str, str]]:
    out = []
    for cat in categories().values():
        if cat.section != 2:
            continue
        label = cat.label_2019 if format_version == FORMAT_2019 else cat.label_2021
        if label:
            out.append((fold(label), cat.code))
    return sorted(out, key=lambda x: -len(x[0]))  # 行政规范性文件 before 规范性文件


def match_art20(text: str, labels: list[tuple[str, str]]) -> str | None:
    for label, code in labels:
        if text == label:
            return code
    for label, code in labels:
        if label in text and len(text) <= len(label) + 6:
            return code
    return None


GROUPS = {"不予公开": "result.denied", "无法提供": "result.unavailable", "不予处理": "result.not_processed", "其他处理": "result.other"}
_ITEM_NUMBER = re.compile(r"(?<![\d.])([1-9])\s*[.、]")


def _group_items() -> dict[str, list[str]]:
    items: dict[str, list[str]] = {g: [] for g in GROUPS.values()}
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


class Table3Labeller:
    """Follows the row labels of table 三, whose group headings span several rows."""

    def __init__(self) -> None:
        self.group: str | None = None
        self.items = _group_items()
        self.last: str | None = None  # the last row label found

    def row_code(self, texts) -> str | None:
        """The category the label texts of one row name, in order (group, then item)."""
        code = None
        numbered = False  # the row's item number was read: words after it without one are its label's wrapped tail
        for text in texts:
            if numbered and not _ITEM_NUMBER.search(text) and not any(marker in text for marker in GROUPS):
                continue
            found = self.classify(text)
            numbered = numbered or bool(found and found.count(".") > 1 and _ITEM_NUMBER.search(text))
            # a group heading centred in its merged cell can sit on the line of one of its items
            if found in GROUPS.values() and code and code.startswith(found + "."):
                continue
            code = found or code
        return code

    def row_codes(self, texts) -> list[str]:
        """The rows that several labels printed one under another in one cell name, in order
        (a group heading among them names no row of its own)."""
        codes: list[str] = []
        for text in texts:
            found = self.classify(text)
            # an item's words without its number are the wrapped tail of the label above
            named = found and found.count(".") < 2 or _ITEM_NUMBER.search(text)
            if found and named and found not in GROUPS.values() and found not in codes:
                codes.append(found)
        return codes

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
        if "结转下年" in text or "下年度继续办理" in text:  # its first characters may be cut off by a line of their own
            return self._top("application.carried_forward")
        if "部分公开" in text:
            return self._top("result.partially_granted")
        if "予以公开" in text and "不予公开" not in text:
            return self._top("result.granted")
        group_at = None
        for marker, group in GROUPS.items():
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


T3_REQUIRED = (
    ["application.new_received", "application.carried_over", "result.granted", "result.partially_granted"]
    + [c for c in categories() if c.startswith(("result.denied.", "result.unavailable.", "result.not_processed."))]
    + ["result.total", "application.carried_forward"]
)
