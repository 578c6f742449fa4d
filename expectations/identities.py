"""The accounting identities of ``xxgk/spec/identities.md`` as rows: one per identity instance.

An *instance* is one identity applied to one place of one report: T3_BALANCE for
the ``natural_person`` column of document d, T4_GROUP_SUM for the ``review``
group, NON_NEGATIVE for one cell. Each instance row carries both sides already
summed, so a checker (Great Expectations, in ``gates.py``) only has to compare
two columns, and a violation names exactly what disagrees:

    document_id, agency, year, identity, scope,
    expected   the summed side (for T3_BALANCE: 第一项 + 第二项, new_received + carried_over;
               for XY_CARRY: the previous year's carried_forward; null for NON_NEGATIVE),
    printed    the printed-total side (for T3_BALANCE: 第三项 + 第四项; for XY_CARRY:
               this year's carried_over; for NON_NEGATIVE: the cell's value, bound 0),
    cells      the cells involved, as an equation with values and locations,
    complete   whether every cell needed was read as a number,
    unread_cells, blank_cells, reason   (see below).

Which sub-total stands for （六）其他处理 in T3_RESULTS_SUM: the printed result.other row
when the report prints one (the 2019 format always does), else the sum of its three
sub-items. T3_OTHER_SUM exists only when both are printed. T3_APPLICANT_SUM exists
for each table-3 row the report printed.

Incomplete instances. An instance whose cells are not all numbers cannot be checked:
``complete`` is false, ``expected``/``printed`` are null where a side lacks a number,
and it must be reported as incomplete, never as a violation. Two causes are counted
apart, because they mean different things to an auditor:

- ``unread_cells``: our parser failed, i.e. a cell is ``not_placed`` or its whole row
  (or table) is missing from the extraction;
- ``blank_cells``: the report printed a non-number (empty cell, "/", "—": cell_status
  ``blank`` or ``null_mark``). Such a cell usually means 0, but treating it as 0 would
  be our guess, not the report's statement, so it is not filled in.

``reason`` names every cell that is not a number, with what it is and where it is.

Cells the report fixes without printing them (xxgk/extract/inferred.py) never confirm the
cells they came from: a ``derived`` result.other (the sum of its printed items) is not the
printed row, so T3_RESULTS_SUM adds the items and T3_OTHER_SUM is not built; a row whose
cells were ``inferred`` from its six printed zeros, or ``derived``, has no T3_APPLICANT_SUM
instance (that identity, or the items' own, is what fixed them); neither kind has a NON_NEGATIVE instance. In the other
identities an inferred 0 counts as the number it is forced to be.
"""
from __future__ import annotations

from functools import cache

import polars as pl

from xxgk.vocabulary import (
    APPLICANT_COLUMNS,
    CARRY_IDENTITIES,
    REPORT_IDENTITIES,
    REVIEW_GROUPS,
    SIGNED_MEASURES,
    categories,
)

INSTANCE_SCHEMA = {
    "document_id": pl.String,
    "agency": pl.String,
    "year": pl.Int64,
    "identity": pl.String,
    "scope": pl.String,
    "expected": pl.Float64,
    "printed": pl.Float64,
    "cells": pl.String,
    "complete": pl.Boolean,
    "unread_cells": pl.Int64,
    "blank_cells": pl.Int64,
    "reason": pl.String,
}

_READ = ("read", "converted", "inferred", "segmented", "implausible")  # numbers an identity may add up (implausible: as printed)
_UNREAD = ("missing", "not_placed", "not_read")  # not_read: OCR found the cell but could not read it
_BLANK = ("blank", "null_mark")
_KEY = ["table_name", "category_code", "applicant_type", "measure"]

# --- the template: which cells each instance adds up, independent of any document ------


def _t3_codes(prefix: str) -> list[str]:
    return [c for c, cat in categories().items() if cat.section == 3 and c.startswith(prefix)]


@cache
def _template() -> pl.DataFrame:
    """identity, scope, side ('sum' | 'total'), cell key, variant, row_code: one row per term."""
    rows: list[tuple] = []

    def add(identity, scope, side, code, applicant, variant=None, row_code=None):
        table = "applications" if applicant is not None else "review_litigation"
        rows.append((identity, scope, side, table, code, applicant, "count", variant, row_code))

    results = ["result.granted", "result.partially_granted"] + _t3_codes("result.denied.") + _t3_codes(
        "result.unavailable.") + _t3_codes("result.not_processed.")
    other_items = _t3_codes("result.other.")
    for c in APPLICANT_COLUMNS:
        scope = f"column {c}"
        for code in ("application.new_received", "application.carried_over"):
            add("T3_BALANCE", scope, "sum", code, c)
        for code in ("result.total", "application.carried_forward"):
            add("T3_BALANCE", scope, "total", code, c)
        for code in results:
            add("T3_RESULTS_SUM", scope, "sum", code, c)
        add("T3_RESULTS_SUM", scope, "sum", "result.other", c, variant="other_row")
        for code in other_items:
            add("T3_RESULTS_SUM", scope, "sum", code, c, variant="other_items")
        add("T3_RESULTS_SUM", scope, "total", "result.total", c)
        for code in other_items:
            add("T3_OTHER_SUM", scope, "sum", code, c, variant="other_both")
        add("T3_OTHER_SUM", scope, "total", "result.other", c, variant="other_both")
    for code in (c for c, cat in categories().items() if cat.section == 3):
        for c in APPLICANT_COLUMNS:
            add("T3_APPLICANT_SUM", f"row {code}", "total" if c == "total" else "sum", code, c, row_code=code)
    for g in REVIEW_GROUPS:
        for outcome in ("upheld", "corrected", "other", "pending"):
            add("T4_GROUP_SUM", f"group {g}", "sum", f"{g}.{outcome}", None, row_code=f"{g}.total")
        add("T4_GROUP_SUM", f"group {g}", "total", f"{g}.total", None, row_code=f"{g}.total")
    names = ["identity", "scope", "side", *_KEY, "variant", "row_code"]
    return pl.DataFrame(rows, schema={n: pl.String for n in names}, orient="row").with_row_index("term_no")


# --- evaluating terms against the cells ---------------------------------------------------


def _label() -> pl.Expr:
    """result.granted[natural_person], review.total, active.fees[amount_10k_yuan]."""
    inner = pl.coalesce(pl.col("applicant_type"), pl.when(pl.col("measure") != "count").then(pl.col("measure")))
    return pl.col("category_code") + pl.when(inner.is_not_null()).then("[" + inner + "]").otherwise(pl.lit(""))


def _is_number(status: pl.Expr) -> pl.Expr:
    """A cell an identity can use: printed as a number, and a finite one."""
    return status.is_in(_READ) & pl.col("value").is_finite().fill_null(False)


def _describe(label: pl.Expr) -> pl.Expr:
    """'label=162 (line 484)'; a cell that is not a number says what it is instead."""
    v = pl.col("value")
    # beyond 2**53 a float is no exact integer (and beyond 2**63 no Int64): shown as a float
    whole = (v == v.round()) & (v.abs() < 2**53)
    number = pl.when(whole).then(v.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(v.cast(pl.String))
    status = pl.col("status")
    shown = (
        pl.when(status.is_in(_READ)).then(number)
        .when(status == "null_mark").then(pl.lit("printed '") + pl.col("printed") + "'")
        .when(status == "blank").then(pl.lit("printed blank"))
        .when(status == "not_placed").then(pl.lit("not placed"))
        .when(status == "not_read").then(pl.lit("not read by OCR"))
        .otherwise(pl.lit("missing"))
    )
    where = pl.when(pl.col("location").is_not_null()).then(" (" + pl.col("location") + ")").otherwise(pl.lit(""))
    return label + "=" + shown + where


def _evaluate(terms: pl.DataFrame, cells: pl.DataFrame, group: list[str], describe: bool = True) -> pl.DataFrame:
    """Look every term up among the cells and fold the terms of each instance into one row.

    `terms` has the instance columns in `group`, side, term_no, cell_document_id, the
    cell key, a `label` and optionally a `doc_note`; a term with no matching cell is 'missing'.
    Without `describe`, `cells` and `reason` stay null: the text is most of an instance's
    memory, and only the instances that fail or cannot be checked need it.
    """
    looked_up = terms.join(
        cells.select(pl.col("document_id").alias("cell_document_id"), *_KEY, "value", "printed", "cell_status", "location"),
        on=["cell_document_id", *_KEY], how="left", nulls_equal=True, maintain_order="left",
    ).with_columns(status=pl.col("cell_status").fill_null("missing"))
    if "doc_note" in terms.columns:  # cells of two reports in one instance: say whose cell it is
        looked_up = looked_up.with_columns(
            location=pl.concat_str("doc_note", "location", separator=", ", ignore_nulls=True)
        )
    looked_up = looked_up.with_columns(ok=_is_number(pl.col("status")),
                                       desc=_describe(pl.col("label")) if describe else pl.lit(None, pl.String))
    is_sum = pl.col("side") == "sum"

    def side_total(mask: pl.Expr) -> pl.Expr:
        # A side is only summed when every one of its cells is a number; a partial sum would look like a finding.
        return pl.when(pl.col("ok").filter(mask).all()).then(pl.col("value").filter(mask).sum())

    return (
        looked_up.sort("term_no", maintain_order=True)
        .group_by(group, maintain_order=True)
        .agg(
            expected=side_total(is_sum),
            printed=side_total(~is_sum),
            cells=(pl.col("desc").filter(is_sum).str.join(" + ") + " = " + pl.col("desc").filter(~is_sum).str.join(" + ")
                   if describe else pl.lit(None, pl.String)),
            complete=pl.col("ok").all(),
            unread_cells=pl.col("status").is_in(_UNREAD).sum().cast(pl.Int64),
            blank_cells=pl.col("status").is_in(_BLANK).sum().cast(pl.Int64),
            reason=pl.col("desc").filter(~pl.col("ok")).str.join("; ") if describe else pl.lit(None, pl.String),
        )
        .with_columns(reason=pl.when(pl.col("complete")).then(None).otherwise(pl.col("reason")))
    )


def _documents(cells: pl.DataFrame) -> pl.DataFrame:
    # A cell twice in the input would be counted twice in a sum and read as a finding about the report.
    twice = cells.filter(pl.struct("document_id", *_KEY).is_duplicated())
    if not twice.is_empty():
        first = twice.row(0, named=True)
        raise ValueError(
            f"{twice.height} cells appear more than once, e.g. {first['category_code']}[{first['applicant_type']}]"
            f" {first['measure']} of document {first['document_id']}"
        )
    return cells.select("document_id", "agency", pl.col("year").cast(pl.Int64)).unique(maintain_order=True)


def _ordered(instances: pl.DataFrame) -> pl.DataFrame:
    """By document, then identity in the spec's order; scopes keep the template's order."""
    rank = {name: i for i, name in enumerate(REPORT_IDENTITIES + CARRY_IDENTITIES)}
    key = pl.col("identity").replace_strict(rank, return_dtype=pl.Int64)
    return instances.cast(INSTANCE_SCHEMA).sort(pl.col("document_id"), key, maintain_order=True)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=INSTANCE_SCHEMA)


# --- public ------------------------------------------------------------------------------------


# Instances are built this many documents at a time: the terms of a document (its cells crossed
# with the ~530 terms of the template) take ~300 KB while they are looked up.
INSTANCE_CHUNK = 100


def report_instances(cells: pl.DataFrame, describe: bool = True) -> pl.DataFrame:
    """T3_*, T4_* and NON_NEGATIVE instances of every document in `cells` (INSTANCE_SCHEMA);
    without `describe`, no `cells` and `reason` text (see :func:`_evaluate`)."""
    if cells.is_empty():
        return _empty()
    ids = cells["document_id"].unique(maintain_order=True)
    if len(ids) > INSTANCE_CHUNK:
        return pl.concat([
            _report_instances(cells.filter(pl.col("document_id").is_in(ids[i : i + INSTANCE_CHUNK].implode())), describe)
            for i in range(0, len(ids), INSTANCE_CHUNK)
        ])
    return _report_instances(cells, describe)


def _report_instances(cells: pl.DataFrame, describe: bool) -> pl.DataFrame:
    docs = _documents(cells)
    # a row placed by an identity does not confirm it: a table-四 group by its own total
    placed_by = pl.when(pl.col("table_name") == "review_litigation").then(
        pl.col("category_code").str.split(".").list.first() + ".total").otherwise(pl.col("category_code"))
    inferred_rows = cells.filter(pl.col("cell_status").is_in(["inferred", "derived", "segmented"])).select(
        "document_id", placed_by.alias("row_code"))
    printed_rows = (cells.select("document_id", placed_by.alias("row_code")).unique()
                    .join(inferred_rows, on=["document_id", "row_code"], how="anti"))
    flags = cells.group_by("document_id").agg(
        has_row=((pl.col("category_code") == "result.other") & (pl.col("cell_status") != "derived")).any(),
        has_items=pl.col("category_code").str.starts_with("result.other.").any(),
    )
    # A report with neither （六） row nor its items is checked against the row, which is
    # what the extraction's own missing_row warning names.
    use_row = pl.col("has_row") | ~pl.col("has_items")
    variant = pl.col("variant")
    terms = (
        docs.join(flags, on="document_id")
        .join(_template(), how="cross")
        .filter(
            variant.is_null()
            | ((variant == "other_row") & use_row)
            | ((variant == "other_items") & ~use_row)
            | ((variant == "other_both") & pl.col("has_row") & pl.col("has_items"))
        )
        .join(printed_rows.with_columns(row_printed=pl.lit(True)), on=["document_id", "row_code"], how="left")
        .filter(pl.col("row_code").is_null() | pl.col("row_printed").fill_null(False))
        .with_columns(cell_document_id=pl.col("document_id"), label=_label())
    )
    group = ["document_id", "agency", "year", "identity", "scope"]
    sums = _evaluate(terms, cells, group, describe)

    status = pl.col("cell_status")
    non_negative = cells.filter(~pl.col("measure").is_in(list(SIGNED_MEASURES))
                                & ~status.is_in(["inferred", "derived"])).with_columns(status=status).select(
        "document_id", "agency", pl.col("year").cast(pl.Int64),
        identity=pl.lit("NON_NEGATIVE"),
        scope="cell " + _label(),
        expected=pl.lit(None, pl.Float64),
        printed=pl.when(_is_number(status)).then(pl.col("value")),
        cells=_describe(_label()) if describe else pl.lit(None, pl.String),
        complete=_is_number(status),
        unread_cells=status.is_in(_UNREAD).cast(pl.Int64),
        blank_cells=status.is_in(_BLANK).cast(pl.Int64),
        reason=pl.when(status.is_in(_READ)).then(None).otherwise(_describe(_label())) if describe else pl.lit(None, pl.String),
    )
    return _ordered(pl.concat([sums.select(INSTANCE_SCHEMA.keys()), non_negative], how="vertical_relaxed"))


def carry_instances(cells: pl.DataFrame) -> pl.DataFrame:
    """XY_CARRY instances: each document against every report of the same agency for the year before.

    Agencies are matched by their exact name; a year with no report of the year before has
    no instance (nothing to compare), while a report whose row is missing gives incomplete ones.
    """
    if cells.is_empty():
        return _empty()
    docs = _documents(cells)
    before = docs.select(
        "agency",
        pl.col("document_id").alias("prior_document_id"),
        (pl.col("year") + 1).alias("year"),
    )
    pairs = docs.join(before, on=["agency", "year"])
    if pairs.is_empty():
        return _empty()
    columns = pl.DataFrame({"applicant_type": list(APPLICANT_COLUMNS)})
    # expected: last year's carried_forward; printed: this year's carried_over.
    sides = pl.DataFrame(
        {"side": ["sum", "total"], "category_code": ["application.carried_forward", "application.carried_over"], "term_no": [0, 1]}
    )
    terms = (
        pairs.join(columns, how="cross")
        .join(sides, how="cross")
        .with_columns(
            scope="column " + pl.col("applicant_type"),
            identity=pl.lit("XY_CARRY"),
            table_name=pl.lit("applications"),
            measure=pl.lit("count"),
            cell_document_id=pl.when(pl.col("side") == "sum").then("prior_document_id").otherwise("document_id"),
            cell_year=pl.when(pl.col("side") == "sum").then(pl.col("year") - 1).otherwise("year"),
        )
        .with_columns(
            label=pl.col("cell_year").cast(pl.String) + " " + _label(),
            doc_note="doc " + pl.col("cell_document_id"),
        )
    )
    # One instance per (document, prior document, column): an agency with two reports for
    # one year is compared against both.
    group = ["document_id", "agency", "year", "identity", "scope", "prior_document_id"]
    return _ordered(_evaluate(terms, cells, group).select(INSTANCE_SCHEMA.keys()))
