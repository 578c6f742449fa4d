"""The shared vocabulary of ``spec/categories.csv``, ``spec/applicant_types.csv`` and ``spec/identities.csv``."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache

from xxgk import SPEC_DIR

FORMAT_2021 = "2021"
FORMAT_2019 = "2019"

# The report's three tables (sections 二, 三, 四), as the warehouse names them (table_name)
TABLES = ("art20", "applications", "review_litigation")

# Template column order of table 三, fixed by the State Council format.
APPLICANT_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
)

# Table 四: 15 numbers, three groups of five, in template order.
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
REVIEW_CODES = tuple(f"{g}.{o}" for g in REVIEW_GROUPS for o in REVIEW_OUTCOMES)

# The 万元 measures: a printed 元 amount in them is converted.
TEN_THOUSAND_YUAN_MEASURES = frozenset({"amount_10k_yuan"})
# Measures that may legitimately be negative (2019 format "本年增/减").
SIGNED_MEASURES = frozenset({"change"})
# No count or amount of one agency's year comes near this (a national total of applications
# is ~10^6): a larger printed number is a typo or garbage, kept as printed but flagged.
IMPLAUSIBLE_FROM = 1e12


def implausible(value: float, measure: str) -> str | None:
    """Why a printed number cannot mean what its cell says, or None."""
    if not math.isfinite(value):
        return "not a finite number"
    if abs(value) >= IMPLAUSIBLE_FROM:
        return "10^12 or more, no report counts that many"
    if value < 0 and measure not in SIGNED_MEASURES:
        return "negative, where the identities allow no negative"
    return None


@dataclass(frozen=True)
class Category:
    code: str
    section: int
    table: str
    parent_code: str | None
    label_2021: str | None
    label_2019: str | None
    measures_2021: tuple[str, ...]
    measures_2019: tuple[str, ...]

    def measures(self, format_version: str) -> tuple[str, ...]:
        return self.measures_2019 if format_version == FORMAT_2019 else self.measures_2021


def _parse_measures(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``"issued,repealed | 2019: made,published"`` -> (2021 measures, 2019 measures)."""
    current: tuple[str, ...] = ()
    older: tuple[str, ...] | None = None
    for part in (p.strip() for p in text.split("|")):
        if part.startswith("2019:"):
            older = tuple(m.strip() for m in part[5:].split(",") if m.strip())
        elif part:
            current = tuple(m.strip() for m in part.split(",") if m.strip())
    return current, (current if older is None else older)


@cache
def categories() -> dict[str, Category]:
    out: dict[str, Category] = {}
    with open(SPEC_DIR / "categories.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            m2021, m2019 = _parse_measures(row["measures"])
            label_2019 = row["label_2019_format"] or None
            if label_2019 == "同左":
                label_2019 = row["label_2021_format"]
            out[row["category_code"]] = Category(
                code=row["category_code"],
                section=int(row["section"]),
                table=row["table"],
                parent_code=row["parent_code"] or None,
                label_2021=row["label_2021_format"] or None,
                label_2019=label_2019,
                measures_2021=m2021 if row["label_2021_format"] else (),
                measures_2019=m2019 if label_2019 else (),
            )
    return out


@cache
def applicant_types() -> list[dict[str, str]]:
    with open(SPEC_DIR / "applicant_types.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def table_of(category_code: str) -> str:
    """'art20' for section 二, 'applications' for 三, 'review_litigation' for 四."""
    return TABLES[categories()[category_code].section - 2]


@dataclass(frozen=True)
class Identity:
    """An accounting identity (spec/identities.csv; spec/identities.md says how each is built)."""

    name: str
    suite: str  # report: within one report's tables; carry: across an agency's consecutive years
    label: str
    label_en: str
    rule: str  # in Chinese, for the warehouse (dim_identity)
    text: str  # the equation in the codes' terms (Data Docs)
    description: str  # the equation in words and in the report's own labels (the Dagster checks)


@cache
def identities() -> dict[str, Identity]:
    with open(SPEC_DIR / "identities.csv", encoding="utf-8") as fh:
        return {row["identity"]: Identity(name=row.pop("identity"), **row) for row in csv.DictReader(fh)}


REPORT_IDENTITIES = tuple(name for name, i in identities().items() if i.suite == "report")
CARRY_IDENTITIES = tuple(name for name, i in identities().items() if i.suite == "carry")


@dataclass(frozen=True)
class TableWord:
    """A word the tables print in a header (spec/table_words.csv): a measure of table 二, an
    applicant column of 三, a group or outcome of 四, or a heading; variants included."""

    word: str
    kind: str  # measure | applicant | outcome | group | heading
    code: str | None
    template: str  # 2021 | 2019 | both
    table_only: bool  # printed in the tables only, never in a report's prose


@cache
def table_words() -> tuple[TableWord, ...]:
    with open(SPEC_DIR / "table_words.csv", encoding="utf-8") as fh:
        return tuple(TableWord(r["word"], r["kind"], r["code"] or None, r["template"], r["table_only"] == "true")
                     for r in csv.DictReader(fh))


def words_of(kind: str, template: str | None = None) -> list[tuple[str, str | None]]:
    """(word, code) of one kind, in the file's order; of one template's tables when given."""
    return [(w.word, w.code) for w in table_words()
            if w.kind == kind and (template is None or w.template in (template, "both"))]


@cache
def template_words() -> tuple[str, ...]:
    """Every word the three tables print (labels split at their group, headings, headers,
    measures and applicant columns), longest first, as both templates print them."""
    words = {w.word for w in table_words()}
    for cat in categories().values():
        for label in (cat.label_2021, cat.label_2019):
            words.update(part for part in (label or "").split(" ") if part and not part.isascii())
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


@cache
def row_label_words() -> tuple[str, ...]:
    """The words that begin a row of values in tables 二 and 三 (an item without its group)."""
    words = set()
    for cat in categories().values():
        for label in (cat.label_2021, cat.label_2019):
            parts = [part for part in (label or "").split(" ") if part and not part.isascii()]
            if cat.section in (2, 3) and parts:
                words.add(parts[-1] if cat.section == 3 else parts[0])
    return tuple(sorted(words))
