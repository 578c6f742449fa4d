"""`xxgk retract <document id | file> --reason WHY [--by WHO] [--undo] [--warehouse DIR|FILE]`: remove one
loaded document from the warehouse, recorded in the table retraction (who, when, why); its
agency-year is chosen again among the documents left (warehouse/loader.py retract). With
--undo, take a retraction back, recorded the same way: the next `xxgk run` that meets the file
loads it again.

Both write through the warehouse's one writer (warehouse/writer.py): they wait for a load that
holds the file, and end by publishing the readers' copy, so BI tools and `xxgk export` see
the change at once."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assets.deployment import WAREHOUSE_HELP, locate


def add_parser(sub) -> None:
    p = sub.add_parser("retract", help="remove one loaded document (recorded: who, when, why); its agency-year is chosen again")
    p.add_argument("document", help="a document id (dim_document.document_id), or a file: its bytes, or its path as loaded")
    p.add_argument("--reason", required=True, help="why, kept in the table retraction")
    p.add_argument("--by", help="who (default: the user running the command)")
    p.add_argument("--undo", action="store_true",
                   help="take the document's retraction back (recorded: who, when, why); the next `xxgk run` that meets its file loads it again")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)


def _say(text: str) -> None:
    print(text, flush=True)


def _warn(text: str) -> None:
    print(f"xxgk: {text}", file=sys.stderr, flush=True)


def retract(args: argparse.Namespace) -> int:
    """Remove one loaded document from the warehouse, recorded (who, when, why); its agency-year
    is chosen again among the documents left. With --undo, take a retraction back."""
    from warehouse.writer import WarehouseWriteError, open_writer
    from xxgk.documents import document_id

    path = locate(args.warehouse).database  # a warehouse's folder or its DuckDB file; else $XXGK_WAREHOUSE, the default
    if not path.is_file():
        _warn(f"warehouse not found: {path} (load reports first with `xxgk run`, or give --warehouse)")
        return 2
    given = Path(args.document).expanduser()
    # a file that exists is named by its bytes first; the argument is also an id, or a path as loaded
    doc_id = document_id(given.read_bytes()) if given.is_file() else args.document.lower()
    names = [args.document, str(given), str(given.absolute()), str(given.resolve())]
    try:
        # the writer's slot (it waits for a load holding the file), and the readers' copy published after
        with open_writer(path) as con:
            return (_undo if args.undo else _retract)(con, path, args, doc_id, names)
    except WarehouseWriteError as error:
        _warn(str(error))
        return 1


def _find(con, path: Path, args: argparse.Namespace, doc_id: str, names: list[str]) -> dict | None:
    from warehouse.loader import ensure_schema, find_documents

    ensure_schema(con)
    found = find_documents(con, doc_id, names)
    found = [d for d in found if d["document_id"] == doc_id] or found
    if not found:
        _warn(f"no document {args.document!r} in {path} (give a document id, or a file as it was loaded)")
        return None
    if len(found) > 1:
        ids = ", ".join(f"{d['document_id']} ({d['source_file']})" for d in found)
        _warn(f"{args.document!r} names {len(found)} documents: {ids}; {'undo' if args.undo else 'retract'} one by its id")
        return None
    return found[0]


def _retract(con, path: Path, args: argparse.Namespace, doc_id: str, names: list[str]) -> int:
    import getpass

    from warehouse.loader import retract as retract_document
    from warehouse.statements import run as run_sql

    doc = _find(con, path, args, doc_id, names)
    if doc is None:
        return 2
    if doc["retracted_by"] is not None:  # a retraction in force (one taken back does not count)
        _warn(f"{doc['document_id']} was already retracted by {doc['retracted_by']} on {doc['retracted_at']:%Y-%m-%d}: {doc['reason']}")
        return 2
    from expectations.gates import validate_year_carry  # GX: only once there is something to retract

    counts = retract_document(con, doc["document_id"], args.by or getpass.getuser(), args.reason,
                              check_carry=lambda cells: validate_year_carry(cells).violations)
    now = run_sql(con, "report/agency_year", [doc["agency_id"], doc["year"]]).fetchall()
    _say(f"retracted {doc['document_id']} ({doc['source_file']}): {doc['agency_name']} {doc['year']}")
    _say(f"  {doc['agency_name']} {doc['year']} now: " + (f"{now[0][0]} ({now[0][1]})" if now else "no report left"))
    _say(f"  reports: {counts['reports']}, superseded versions: {counts['superseded']}, cells: {counts['cells']}")
    return 0


def _undo(con, path: Path, args: argparse.Namespace, doc_id: str, names: list[str]) -> int:
    import getpass

    from warehouse.loader import undo_retraction

    doc = _find(con, path, args, doc_id, names)
    if doc is None:
        return 2
    if doc["retracted_by"] is None:
        _warn(f"{doc['document_id']} ({doc['source_file']}) is not retracted ({doc['status']}): nothing to undo")
        return 2
    undo_retraction(con, doc["document_id"], args.by or getpass.getuser(), args.reason)
    _say(f"took back the retraction of {doc['document_id']} ({doc['source_file']}): {doc['agency_name']} {doc['year']}, "
         f"retracted by {doc['retracted_by']} on {doc['retracted_at']:%Y-%m-%d}: {doc['reason']}")
    _say(f"  the next `xxgk run` that meets {doc['source_file']} loads it again")
    return 0
