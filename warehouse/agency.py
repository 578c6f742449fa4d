"""Loading the agency dimension: every name a report used is an alias of one canonical agency.

The resolution itself (region, level, kind) is ``xxgk.agency``; here it is written to
``dim_agency`` and ``dim_agency_alias``, inside the caller's transaction. Facts find their
agency through the alias table (``AGENCY_ID`` in the loader), so two names of one agency
share one ``agency_id`` and XY_CARRY pairs them.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import duckdb
import polars as pl

from warehouse.statements import registered, run
from xxgk.agency import Agency, resolve_agency

log = logging.getLogger(__name__)

AGENCY_COLUMNS = {
    "agency_id": pl.String, "agency_name": pl.String, "canonical_key": pl.String,
    "province_code": pl.String, "province": pl.String, "city_code": pl.String, "city": pl.String,
    "county_code": pl.String, "county": pl.String, "town": pl.String, "region_code": pl.String,
    "level": pl.String, "kind": pl.String, "parent_agency_id": pl.String, "parent_agency_name": pl.String,
    "resolution_problem": pl.String,
}
ALIAS_COLUMNS = {"alias_name": pl.String, "agency_id": pl.String, "renamed_from": pl.String}


def _agency_row(a: Agency) -> dict:
    return {
        "agency_id": a.agency_id, "agency_name": a.name, "canonical_key": a.key,
        "province_code": a.province_code, "province": a.province, "city_code": a.city_code, "city": a.city,
        "county_code": a.county_code, "county": a.county, "town": a.town, "region_code": a.region_code,
        "level": a.level, "kind": a.kind, "parent_agency_id": a.parent_id, "parent_agency_name": a.parent_name,
        "resolution_problem": a.problem,
    }


def register_agencies(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> list[Agency]:
    """Resolve the names not seen before and add them (and their canonical names) as aliases.

    Returns the resolutions of the new names; those that could not be resolved are logged.
    """
    known = {r[0] for r in run(con, "agency/aliases").fetchall()}
    new = sorted({n for n in names if n} - known)
    if not new:
        return []
    resolved = [resolve_agency(n) for n in new]
    aliases = {a.printed: (a.agency_id, a.renamed_from) for a in resolved}
    for a in resolved:
        aliases.setdefault(a.name, (a.agency_id, None))
    alias_rows = [{"alias_name": n, "agency_id": i, "renamed_from": r} for n, (i, r) in aliases.items() if n not in known]
    agency_rows = list({a.agency_id: _agency_row(a) for a in resolved}.values())
    with registered(con, new_aliases=pl.DataFrame(alias_rows, schema=ALIAS_COLUMNS),
                    new_agencies=pl.DataFrame(agency_rows, schema=AGENCY_COLUMNS)):
        run(con, "agency/add")
    for a in resolved:
        if a.problem:
            log.warning("agency %s: region not resolved (%s); its region columns stay empty", a.printed, a.problem)
    return resolved


def migrate_agency_keys(con: duckdb.DuckDBPyConnection) -> int:
    """A warehouse made before agencies were resolved keyed them by md5(name): re-key its rows.

    Runs inside the caller's transaction; returns how many agencies were re-keyed.
    """
    old = run(con, "agency/unkeyed").fetchall()
    if not old:
        return 0
    register_agencies(con, [name for _, name in old])
    moved = pl.DataFrame([{"old_id": o, "new_id": resolve_agency(name).agency_id} for o, name in old],
                         schema={"old_id": pl.String, "new_id": pl.String}).filter(pl.col("old_id") != pl.col("new_id"))
    with registered(con, moved_agencies=moved):
        run(con, "agency/rekey")
    return moved.height
