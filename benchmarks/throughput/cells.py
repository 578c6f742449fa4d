"""3. Are the cells right? The warehouse (or the extraction) against the generator's expected.csv."""
from __future__ import annotations

from pathlib import Path

from benchmarks.throughput.common import say


def read_expected(expected_csv: Path):
    import polars as pl

    return pl.read_csv(expected_csv, infer_schema=False).with_columns(
        pl.col("applicant_type").fill_null(""), pl.col("value").cast(pl.Float64))


CELL_KEY = ["file", "category_code", "applicant_type", "measure"]


def compare_cells(expected, got) -> dict:
    """expected.csv against `got` (file, category_code, applicant_type '' outside table 三, measure,
    value, printed): value (to 1e-9) and printed text must both match."""
    import polars as pl

    both = expected.join(got.rename({"value": "got_value", "printed": "got_printed"}), on=CELL_KEY, how="left", coalesce=True)
    tol = 1e-9 * pl.max_horizontal(pl.lit(1.0), pl.col("value").abs())
    value_ok = (pl.col("got_value") - pl.col("value")).abs() <= tol
    ok = value_ok.fill_null(False) & (pl.col("got_printed") == pl.col("printed")).fill_null(False)
    both = both.with_columns(ok=ok)
    return {"right": both.filter(pl.col("ok")).height, "total": expected.height, "wrong": both.filter(~pl.col("ok")),
            "extra": got.join(expected, on=CELL_KEY, how="anti").height,
            "duplicate_keys": got.group_by(CELL_KEY).len().filter(pl.col("len") > 1).height}


def check_cells(warehouse: Path, expected_csv: Path) -> dict:
    import duckdb
    import polars as pl

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute(
            """SELECT regexp_extract(source_file, '[^/]*$') AS file, category_code,
                      coalesce(applicant_type, '') AS applicant_type, measure, value, printed
               FROM v_disclosure_facts
               -- result.other derived from its printed items (printed null) is not a generated cell
               WHERE NOT (category_code = 'result.other' AND printed IS NULL AND format_version = '2021')"""
        ).pl()
        status = con.execute(
            """SELECT regexp_extract(d.source_file, '[^/]*$') AS file, d.status,
                      (SELECT string_agg(regexp_extract(l.source_file, '[^/]*$'), ', ') FROM dim_document l
                       WHERE l.agency_id = d.agency_id AND l.year = d.year AND l.status = 'loaded') AS loaded_instead
               FROM dim_document d""").pl()
        rejected = con.execute(
            "SELECT regexp_extract(source_file, '[^/]*$') AS file, stage || ': ' || reason AS reason FROM rejected_document").pl()
        # which PDF reader read each document (xxgk.readers.pdf.read_pdf), and why
        readers = con.execute(
            "SELECT coalesce(reader, '(none)') AS reader, count(*) AS documents FROM dim_document GROUP BY ALL ORDER BY 2 DESC, 1").fetchall()
        reader_checks = con.execute(
            """SELECT coalesce(reader, '(none)') AS reader, coalesce(reader_check, '(none)') AS reader_check, count(*) AS documents
               FROM dim_document GROUP BY ALL ORDER BY 3 DESC, 1, 2""").fetchall()
    finally:
        con.close()
    check = compare_cells(read_expected(expected_csv), got)
    wrong = check["wrong"].join(status, on="file", how="left").join(rejected, on="file", how="left")
    superseded = wrong.filter(pl.col("status") == "superseded")
    check.update(
        wrong=wrong,
        # by design (README): one document per agency-year; a second generated report of the same
        # agency and year is kept in dim_document as 'superseded', its cells are not in the view
        superseded_cells=superseded.height,
        superseded_files=superseded.select("file", "loaded_instead").unique().sort("file"),
        loaded_right=check["right"],
        loaded_total=check["total"] - superseded.height,
        readers=readers,
        reader_checks=reader_checks,
        rejected_count=rejected.height,
    )
    return check


def readers_text(readers: list[tuple]) -> str:
    return ", ".join(f"{r}: {n}" for r, n in readers) or "none"


def print_readers(check: dict, indent: str = "        ") -> None:
    total = sum(n for _, n in check["readers"])
    say(f"{indent}documents by reader (dim_document, {total} documents): {readers_text(check['readers'])}")
    for reader, why, n in check["reader_checks"][:8]:
        say(f"{indent}  {n:6d}  {reader:<16} {why[:110]}")
    if len(check["reader_checks"]) > 8:
        say(f"{indent}  ... and {len(check['reader_checks']) - 8} more (reader, reader_check) pairs")


def print_cell_check(check: dict, label: str) -> None:
    say(f"  cells right ({label}): {check['right']} / {check['total']}"
        + (f"   [{check['extra']} cells in the warehouse not in expected.csv]" if check["extra"] else "")
        + (f"   [{check['duplicate_keys']} duplicate keys in v_disclosure_facts]" if check["duplicate_keys"] else ""))
    wrong = check["wrong"]
    if not wrong.height:
        return
    import polars as pl

    real = wrong.filter(pl.col("status").fill_null("") != "superseded")
    say(f"  mismatches (first 10 of {wrong.height}; those of superseded files last):")
    for r in pl.concat([real, wrong.filter(pl.col("status") == "superseded")]).head(10).iter_rows(named=True):
        say(f"    {r['file']}  {r['category_code']}  {r['applicant_type'] or '-'}  {r['measure']}: "
            f"expected {r['printed']!r} ({r['value']:g}), warehouse "
            + ("nothing" if r["got_printed"] is None else f"{r['got_printed']!r} ({r['got_value']})")
            + f"  [file {r['status'] or 'not in dim_document'}{'; rejected: ' + r['reason'] if r['reason'] else ''}]")
    if check["superseded_cells"]:
        files = check["superseded_files"]
        say(f"  {check['superseded_cells']} of the {wrong.height} are all the cells of {files.height} files that the pipeline "
            f"keeps as 'superseded': the corpus has two reports of the same agency and year, the warehouse loads one")
        say("    " + "; ".join(f"{r['file']} (loaded: {r['loaded_instead']})" for r in files.iter_rows(named=True)))
        say(f"  cells right among the documents the warehouse loads: {check['loaded_right']} / {check['loaded_total']}")
