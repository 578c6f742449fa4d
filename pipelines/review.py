"""`xxgk review`: people's verdicts on the findings about the loaded reports (identity
violations, the prose against the tables, extraction warnings; the view v_findings).

    xxgk review [--status open|confirmed|dismissed] [--kind identity|narrative|warning] [--year Y]
    xxgk review FINDING_ID --status confirmed|dismissed|open --reason WHY [--by WHO]

The first lists the findings with their ids; the second records a verdict, who gave it and
why, in the table finding_review. A finding's id is made of what it is about (its kind, its
document, and which finding of that document), so a verdict stays with the finding through
every reload of the same document; another version of the report is another document, with
findings of its own to review."""
from __future__ import annotations

import argparse
import sys

from assets.deployment import WAREHOUSE_HELP, locate

STATUSES = ("open", "confirmed", "dismissed")
KINDS = ("identity", "narrative", "warning")


def add_parser(sub) -> None:
    p = sub.add_parser("review", help="list the findings about the loaded reports, or record a verdict on one (who, why)")
    p.add_argument("finding", nargs="?", help="a finding's id (as listed); without it, the findings are listed")
    p.add_argument("--status", choices=STATUSES, help="with a finding: its verdict; without: list only findings with this status")
    p.add_argument("--reason", help="why (required with a finding), kept in the table finding_review")
    p.add_argument("--by", help="who (default: the user running the command)")
    p.add_argument("--kind", choices=KINDS, help="list only findings of this kind")
    p.add_argument("--year", type=int, help="list only findings of this statistics year")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)


def _warn(text: str) -> None:
    print(f"xxgk review: {text}", file=sys.stderr, flush=True)


def review(args: argparse.Namespace) -> int:
    import getpass

    # here, not at the top: it imports Dagster, which `xxgk run`'s "nothing changed" (importing this module) never needs
    from warehouse.loader import connect, ensure_schema
    from warehouse.statements import run as run_sql
    from warehouse.writer import open_writer, readable_path

    path = locate(args.warehouse).database  # a warehouse's folder or its DuckDB file; else $XXGK_WAREHOUSE, the default
    if not path.is_file():
        _warn(f"warehouse not found: {path} (load reports first with `xxgk run`, or give --warehouse)")
        return 2
    if args.finding is None:
        with connect(readable_path(path), read_only=True) as con:
            if not run_sql(con, "review/has_findings").fetchone()[0]:
                _warn(f"{path} has no findings view yet: load it once with this version (`xxgk run`)")
                return 2
            rows = run_sql(con, "review/list", [args.status, args.kind, args.year]).fetchall()
        for finding_id, kind, agency, year, location, description, status, by, reason in rows:
            verdict = f"{status}" + (f" by {by}: {reason}" if by else "")
            print(f"{finding_id}  {year}  {agency}  {kind}  {location or ''}  [{verdict}]\n    {description}")
        print(f"{len(rows)} finding{'' if len(rows) == 1 else 's'}")
        return 0
    if args.status is None or not args.reason:
        _warn("a verdict needs --status (open, confirmed or dismissed) and --reason")
        return 2
    with open_writer(path) as con:  # the readers' copy is published with the verdict in it
        ensure_schema(con)
        if not run_sql(con, "review/get", [args.finding]).fetchall():
            _warn(f"no finding {args.finding!r} in {path} (`xxgk review` lists them)")
            return 2
        run_sql(con, "review/set", [args.finding, args.status, args.by or getpass.getuser(), args.reason])
        (finding_id, kind, agency, year, _, description, status, by, reason), = run_sql(con, "review/get", [args.finding]).fetchall()
    print(f"{finding_id}  {year}  {agency}  {kind}: {status} by {by}: {reason}\n    {description}")
    return 0
