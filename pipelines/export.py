"""`xxgk export --to xlsx|csv|parquet [--years …] [--out DIR] [--warehouse DIR|FILE] [--excel]`: the BI views
written out (warehouse/export.py says how), read from the warehouse opened read-only."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assets.deployment import WAREHOUSE_HELP, locate
from pipelines.run_options import parse_years


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the BI views as an Excel workbook, CSV files, or Parquet by year")
    p.add_argument("--to", required=True, choices=("xlsx", "csv", "parquet"), help="output format")
    p.add_argument("--years", type=parse_years, metavar="YEARS", help="only these statistics years, e.g. 2023,2024 or 2019-2021")
    p.add_argument("--out", help="folder to write into (default: export/ beside the warehouse)")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument("--excel", action="store_true",
                   help="with --to csv: start each file with a UTF-8 byte order mark, so that Excel reads it as UTF-8")


def export(args: argparse.Namespace) -> int:
    from warehouse.export import ExportError
    from warehouse.export import export as write
    from warehouse.loader import connect
    from warehouse.writer import readable_path

    if args.excel and args.to != "csv":
        print("xxgk export: --excel is for --to csv (an xlsx workbook is Excel's own)", file=sys.stderr)
        return 2
    warehouse = locate(args.warehouse).database  # a warehouse's folder or its DuckDB file; else $XXGK_WAREHOUSE, the default
    if not warehouse.is_file():
        print(f"xxgk: warehouse not found: {warehouse} (load reports first with `xxgk run`, or give --warehouse)", file=sys.stderr)
        return 2
    out = Path(args.out).expanduser() if args.out else warehouse.parent / "export"
    print(f"exporting {warehouse} as {args.to} to {out}" + (f" (years {', '.join(map(str, args.years))})" if args.years else ""), flush=True)
    try:
        with connect(readable_path(warehouse), read_only=True) as con:  # the published copy: a load never blocks it
            written = write(con, args.to, out, args.years, say=lambda line: print(line, flush=True), excel=args.excel)
    except ExportError as exc:  # one line: what could not be done, and why
        print(f"xxgk export: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"xxgk export: cannot write {exc.filename or out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} {'file' if len(written) == 1 else 'files/folders'} under {out}")
    return 0
