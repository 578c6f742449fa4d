"""Great Expectations gates over identity instances: does every report add up?

Two suites, each one expectation per identity, each restricted by a GX row condition
to the *complete* instances of its identity (incomplete ones cannot be checked and
are reported apart, never as violations):

- ``report_identities``: T3_*, T4_GROUP_SUM (ExpectColumnPairValuesToBeEqual on
  expected/printed) and NON_NEGATIVE (ExpectColumnValuesToBeBetween, min 0);
- ``year_carry``: XY_CARRY (ExpectColumnPairValuesToBeEqual).

GX runs with result_format COMPLETE and ``instance_id`` as the unexpected-index
column, so each failing row GX reports maps back to exactly one instance: identity,
scope, document, expected and printed.

GX costs seconds to import and builds state per context, so it is imported lazily,
once per process, with one ephemeral (in-memory) context reused by every call.
Validation results are not kept in that context (a long pipeline run would grow
it without bound): they are stored only for the moment Data Docs are rendered.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import polars as pl

from expectations.identities import carry_instances, report_instances
from xxgk.parallel import call, helping, later
from xxgk.vocabulary import CARRY_IDENTITIES, REPORT_IDENTITIES, identities

SUITES = {"report_identities": REPORT_IDENTITIES, "year_carry": CARRY_IDENTITIES}
FINDING_COLUMNS = ["document_id", "agency", "year", "identity", "scope", "expected", "printed", "cells"]
# incomplete_extraction: a cell an identity needs was not placed, or its row not found (our parser,
# or a row the report left out); printed_blanks: the report printed blanks or '/' where an identity
# needs a number. An auditor reads the first as "check our parser", the second as "the report".
QUALITY_STATUSES = ("passed", "violations", "incomplete_extraction", "printed_blanks", "violations_and_incomplete")

# GX itself validates one suite at a time per context; callers on several threads queue here.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class GateResult:
    """The outcome of one suite over a frame of cells.

    violations     complete instances whose two sides disagree (FINDING_COLUMNS)
    incomplete     instances that could not be checked (FINDING_COLUMNS + kind, reason);
                   kind 'extraction' = a cell not placed or a row missing (our parser),
                   'printed_blank' = the report printed a blank or a mark such as '/'
    checked        instances GX evaluated (the complete ones)
    per_document   document_id, agency, year, identities_checked, violations, incomplete,
                   incomplete_extraction, incomplete_printed_blank, quality_status; one row
                   per document with at least one instance (year_carry: those with a prior year)
    success        GX's suite success flag; expectation_success: identity -> GX flag
    instances      every instance built (identities.INSTANCE_SCHEMA), checked or not
    data_docs_index  index.html of the Data Docs folder, when one was asked for
    """

    suite: str
    success: bool
    expectation_success: dict[str, bool]
    checked: int
    violations: pl.DataFrame
    incomplete: pl.DataFrame
    per_document: pl.DataFrame
    instances: pl.DataFrame = field(repr=False)
    data_docs_index: Path | None = None


def validate_reports(cells: pl.DataFrame, data_docs_dir: Path | None = None) -> GateResult:
    """Check the within-report identities (suite report_identities) of every document in `cells`."""
    return _gate("report_identities", report_instances(cells), data_docs_dir)


def validate_report_batches(batches, data_docs_dir: Path | None = None, keep_runs: int = 5) -> GateResult:
    """validate_reports over frames of whole documents, one GX validation each, so memory holds
    one batch of identity instances at a time; the findings of all batches, together.

    The combined result keeps no instances (they are what would not fit in memory). GX runs in
    the helper process when there is one (xxgk.parallel.start_helper: imported there while the
    run started), and the Data Docs are written there after, not waited for; their index is
    where it will be.
    """
    gates, results = [], []
    for cells in batches:
        gate, result = call(_validate_kept, "report_identities", report_instances(cells, describe=False),
                            data_docs_dir is not None)
        gates.append(_described(gate, cells))
        results.append(result)
    if not gates:
        gate, result = call(_validate_kept, "report_identities", report_instances(pl.DataFrame()), data_docs_dir is not None)
        gates, results = [gate], [result]
    gate = GateResult(
        suite="report_identities",
        success=all(g.success for g in gates),
        expectation_success={i: all(g.expectation_success.get(i, True) for g in gates) for i in REPORT_IDENTITIES},
        checked=sum(g.checked for g in gates),
        violations=pl.concat([g.violations for g in gates]),
        incomplete=pl.concat([g.incomplete for g in gates]),
        per_document=pl.concat([g.per_document for g in gates]),
        instances=gates[0].instances.clear(),
    )
    if data_docs_dir is None:
        return gate
    if helping():
        later(f"data docs {data_docs_dir}", _write_kept_docs, gate, results, Path(data_docs_dir), keep_runs)
        return replace(gate, data_docs_index=Path(data_docs_dir).resolve() / "index.html")
    return _with_data_docs(gate, [_KEPT.pop(r) for r in results], data_docs_dir, keep_runs)


# GX's validation results kept for the Data Docs, in the process that validated (the helper's, or
# this one), by a number: they are GX objects, which do not travel between processes.
_KEPT: dict[int, object] = {}
_NEXT = iter(range(1, 1 << 62))


def _validate_kept(suite_name: str, instances: pl.DataFrame, keep: bool) -> tuple[GateResult, int | None]:
    gate, result = _validate(suite_name, instances)
    number = None
    if keep:
        number = next(_NEXT)
        _KEPT[number] = result
    return replace(gate, instances=gate.instances.clear()), number


def _write_kept_docs(gate: GateResult, kept: list[int], data_docs_dir: Path, keep_runs: int) -> Path:
    if any(number not in _KEPT for number in kept):
        raise RuntimeError("GX's results went with the helper process that held them: Data Docs not written")
    return _with_data_docs(gate, [_KEPT.pop(number) for number in kept], data_docs_dir, keep_runs).data_docs_index


def warm() -> None:
    """Import GX and build the context and the suites (the helper's first work)."""
    with _LOCK:
        for suite in SUITES:
            _suite_and_batch(suite)
    from expectations.datadocs import warm as warm_docs

    warm_docs()


def _described(gate: GateResult, cells: pl.DataFrame) -> GateResult:
    """The findings of a gate run without descriptions, with their `cells` and `reason` text:
    built again for the documents that have findings only."""
    key = ["document_id", "identity", "scope"]
    ids = pl.concat([gate.violations["document_id"], gate.incomplete["document_id"]]).unique()
    if ids.is_empty():
        return gate
    text = report_instances(cells.filter(pl.col("document_id").is_in(ids.implode())), describe=True).select(*key, "cells", "reason")

    def fill(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop("cells", "reason", strict=False).join(text, on=key, how="left", maintain_order="left").select(frame.columns)

    return replace(gate, violations=fill(gate.violations), incomplete=fill(gate.incomplete))


def validate_year_carry(cells: pl.DataFrame, data_docs_dir: Path | None = None) -> GateResult:
    """Check XY_CARRY (suite year_carry) between reports of one agency in consecutive years
    (in the helper process when there is one)."""
    return call(_gate, "year_carry", carry_instances(cells), data_docs_dir)


# --- GX, once per process ---------------------------------------------------------------------


@cache
def _gx():
    # Set before GX is imported or any context exists, so no part of GX starts with analytics on.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


@cache
def _context():
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas("identity_instances")
    return context


@cache
def _suite_and_batch(suite_name: str):
    """The suite and the whole-dataframe batch definition it validates, made once."""
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    context = _context()
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for identity in SUITES[suite_name]:
        # Only complete instances are checked; the condition keeps the others out of GX's counts.
        where = (Column("identity") == identity) & (Column("complete") == True)  # noqa: E712 (GX condition, not a test)
        text = identities()[identity].text
        meta = {"identity": identity, "identity_text": text}
        if identity == "NON_NEGATIVE":
            expectation = gx.expectations.ExpectColumnValuesToBeBetween(
                column="printed", min_value=0, row_condition=where, meta=meta, description=f"{identity}: {text}",
            )
        else:
            expectation = gx.expectations.ExpectColumnPairValuesToBeEqual(
                column_A="expected", column_B="printed", row_condition=where, meta=meta, description=f"{identity}: {text}",
            )
        suite.add_expectation(expectation)
    asset = context.data_sources.get("identity_instances").add_dataframe_asset(suite_name)
    return suite, asset.add_batch_definition_whole_dataframe(suite_name)


# --- running a suite -------------------------------------------------------------------------------

# What GX lists for each failing row (and shows on its Data Docs page); instance_id maps it back.
_INDEX_COLUMNS = ["instance_id", "document_id", "identity", "scope", "expected", "printed"]


def _gate(suite_name: str, instances: pl.DataFrame, data_docs_dir: Path | None) -> GateResult:
    gate, result = _validate(suite_name, instances)
    return _with_data_docs(gate, [result], data_docs_dir)


def _validate(suite_name: str, instances: pl.DataFrame):
    """(GateResult, GX's validation result) of one suite over a frame of identity instances."""
    instances = instances.with_row_index("instance_id").with_columns(pl.col("instance_id").cast(pl.Int64))
    # categorical strings: a frame a quarter the size (identities, scopes and documents repeat)
    frame = instances.select(*_INDEX_COLUMNS, "complete").with_columns(
        pl.col("document_id", "identity", "scope").cast(pl.Categorical)).to_pandas()
    with _LOCK:
        suite, batch_definition = _suite_and_batch(suite_name)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": _INDEX_COLUMNS}
        )
    failed_ids: list[int] = []
    expectation_success: dict[str, bool] = {}
    checked = 0
    for r in result.results:
        identity = r.expectation_config.meta["identity"]
        if r.exception_info and r.exception_info.get("raised_exception"):
            # An expectation that crashed has checked nothing: never let that read as "no violations".
            raise RuntimeError(f"GX failed on {identity}: {r.exception_info.get('exception_message')}")
        expectation_success[identity] = bool(r.success)
        checked += int(r.result.get("element_count", 0))
        failed_ids += [int(row["instance_id"]) for row in r.result.get("unexpected_index_list") or []]

    violations = instances.filter(pl.col("instance_id").is_in(failed_ids))
    incomplete = instances.filter(~pl.col("complete")).with_columns(
        kind=pl.when(pl.col("unread_cells") > 0).then(pl.lit("extraction")).otherwise(pl.lit("printed_blank"))
    )
    gate = GateResult(
        suite=suite_name,
        success=bool(result.success),
        expectation_success=expectation_success,
        checked=checked,
        violations=violations.select(FINDING_COLUMNS),
        incomplete=incomplete.select(*FINDING_COLUMNS, "kind", "reason"),
        per_document=_per_document(instances, set(failed_ids)),
        instances=instances.drop("instance_id"),
    )
    return gate, result


def _with_data_docs(gate: GateResult, results: list, data_docs_dir: Path | None, keep_runs: int = 5) -> GateResult:
    if data_docs_dir is None:
        return gate
    from expectations.datadocs import write_data_docs

    with _LOCK:
        suite, _ = _suite_and_batch(gate.suite)
        index = write_data_docs(_context(), suite, results, gate, Path(data_docs_dir), keep_runs=keep_runs)
    return replace(gate, data_docs_index=index)


def _per_document(instances: pl.DataFrame, failed_ids: set[int]) -> pl.DataFrame:
    incomplete = ~pl.col("complete")
    counts = instances.group_by("document_id", "agency", "year", maintain_order=True).agg(
        identities_checked=pl.col("complete").sum().cast(pl.Int64),
        violations=pl.col("instance_id").is_in(list(failed_ids)).sum().cast(pl.Int64),
        incomplete=incomplete.sum().cast(pl.Int64),
        incomplete_extraction=(incomplete & (pl.col("unread_cells") > 0)).sum().cast(pl.Int64),
        incomplete_printed_blank=(incomplete & (pl.col("unread_cells") == 0)).sum().cast(pl.Int64),
    )
    bad, gaps = pl.col("violations") > 0, pl.col("incomplete") > 0
    status = (
        pl.when(bad & gaps).then(pl.lit("violations_and_incomplete"))
        .when(bad).then(pl.lit("violations"))
        .when(pl.col("incomplete_extraction") > 0).then(pl.lit("incomplete_extraction"))
        .when(gaps).then(pl.lit("printed_blanks"))
        .otherwise(pl.lit("passed"))
    )
    return counts.with_columns(quality_status=status)
