"""Cells right, per sample and per synthetic fixture: expected vs extracted correctly.

    .venv/bin/python -m benchmarks.accuracy [--scans] [--zoo]

Samples: xxgk/samples/, against the hand transcriptions in tests/expected/ (a cell the
report prints ambiguously is expected as not placed). Fixtures: the layouts of
tests/xxgk/test_extract_synthetic.py, the CJK font embedded and not, against what the
generator printed; the web pages and Word files of tests/fixtures/web_reports.py against
their hand-written values. With --scans, also the two scanned copies of hongze-2024.pdf (OCR,
about a minute). A cell is right when its value and its printed text both match.

With --zoo, also the rendering zoo (tests/fixtures/zoo: the official 2021 template filled twice
and published by real tools), one line per rendering: right of total, wrong, null, lost (cells
the rendering itself lost), and why the file was rejected; the zoo alone with --zoo-only
(its two scans are OCR'd: about a minute).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

KEY = ["category_code", "applicant_type", "measure"]


def score(want, got) -> tuple[int, int, int]:
    """(expected, right, extracted)."""
    import polars as pl

    joined = want.select(*KEY, "value", "printed").join(got.select(*KEY, "value", "printed"), on=KEY, how="left",
                                                         nulls_equal=True, suffix="_got")
    right = joined.filter(pl.col("value").eq_missing(pl.col("value_got")) & pl.col("printed").eq_missing(pl.col("printed_got")))
    return want.height, right.height, got.height


def main(argv: list[str] | None = None) -> int:
    import polars as pl

    from tests.fixtures.expected import SAMPLE_FILES, expected_cells
    from tests.fixtures.synthetic import EMBEDDABLE_FONT, make_report
    from xxgk.documents import read_document
    from xxgk.extract import extract_report
    from xxgk.extract.trust import reading_facts
    from xxgk.normalise import normalise_document

    parser = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--scans", action="store_true", help="also the scanned copies of hongze-2024.pdf (OCR)")
    parser.add_argument("--zoo", action="store_true", help="also the rendering zoo, per rendering (tests/fixtures/zoo)")
    parser.add_argument("--zoo-only", action="store_true", help="only the rendering zoo")
    args = parser.parse_args(argv)
    if args.zoo_only:
        return zoo()
    rows = []
    for path in SAMPLE_FILES:
        doc = normalise_document(read_document(path, judge=reading_facts))
        rows.append(("sample", path.name, doc.format_version, read_document(path, judge=reading_facts).reader, *score(expected_cells(path.stem), extract_report(doc).cells_frame())))
    from tests.fixtures.synthetic import LAYOUTS

    fonts = [None] + ([str(EMBEDDABLE_FONT)] if EMBEDDABLE_FONT.exists() else [])
    with tempfile.TemporaryDirectory() as tmp:
        for case_id, seed, template, layout in LAYOUTS:
            for font in fonts:
                report = make_report(seed, template, embed_font=font, **layout)
                raw = read_document(report.write(Path(tmp) / f"{case_id}.pdf"), judge=reading_facts)
                want = pl.DataFrame(report.loaded, schema={"category_code": pl.String, "applicant_type": pl.String,
                                                             "measure": pl.String, "value": pl.Float64, "printed": pl.String})
                got = extract_report(normalise_document(raw)).cells_frame()
                rows.append(("fixture", f"{case_id} ({'font embedded' if font else 'font not embedded'})", template, raw.reader,
                             *score(want, got)))
        from tests.fixtures.web_reports import FIXTURES as WEB_AND_WORD
        from tests.fixtures.web_reports import want as hand_written

        for name, (report, write, suffix) in WEB_AND_WORD.items():
            path = Path(tmp) / f"{name}{suffix}"
            write(path)
            raw = read_document(path)
            got = extract_report(normalise_document(raw)).cells_frame()
            rows.append(("web/word", name, report.template, raw.reader, *score(hand_written(report), got)))
        if args.scans:
            from tests.fixtures import scans
            from tests.fixtures.in_memory import ingest

            for name, data in (("hongze-2024-scan.pdf", scans.image_only()), ("hongze-2024-table-pages-scanned.pdf", scans.table_pages_as_images())):
                path = Path(tmp) / name
                path.write_bytes(data)
                [raw] = ingest([path], workers=2).documents
                got = extract_report(normalise_document(raw)).cells_frame()
                rows.append(("scan", name, "2021", raw.reader, *score(expected_cells("hongze-2024"), got)))
    width = max(len(r[1]) for r in rows)
    print(f"{'kind':8} {'file':{width}} {'template':8} {'reader':15} {'expected':>8} {'right':>6} {'extracted':>9}")
    for kind, name, template, reader, expected, right, extracted in rows:
        print(f"{kind:8} {name:{width}} {template:8} {reader:15} {expected:8d} {right:6d} {extracted:9d}")
    total_expected, total_right = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print(f"{'all':8} {'':{width}} {'':8} {'':15} {total_expected:8d} {total_right:6d}")
    if args.zoo:
        print()
        return zoo()
    return 0


def zoo() -> int:
    """The rendering zoo, one line per rendering: right/total, wrong, null (lost included), lost,
    the reader, and the reason when the file was rejected."""
    import logging
    import time

    from tests.fixtures.zoo import RENDERINGS, score

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's Type 3 fonts: a line per glyph

    rows = []
    for fill, name in RENDERINGS:
        start = time.perf_counter()
        s = score(fill, name)
        rows.append((f"{fill}/{name}", s, time.perf_counter() - start))
    width = max(len(r[0]) for r in rows)
    print(f"{'rendering':{width}} {'right/total':>11} {'wrong':>5} {'null':>5} {'lost':>5} {'reader':15} {'s':>5}  rejected")
    for name, s, seconds in rows:
        print(f"{name:{width}} {f'{s.right}/{s.total}':>11} {s.wrong:5d} {s.null:5d} {s.lost:5d} {s.reader or '-':15} "
              f"{seconds:5.1f}  {s.rejected or ''}")
    right, total, lost = (sum(getattr(r[1], a) for r in rows) for a in ("right", "total", "lost"))
    wrong = sum(r[1].wrong for r in rows)
    kept = total - lost
    print(f"{'all':{width}} {f'{right}/{total}':>11} {wrong:5d} {'':5} {lost:5d}  ({right / kept:.1%} of the {kept} cells kept; "
          f"{sum(r[1].right == r[1].total - r[1].lost for r in rows)} of {len(rows)} renderings read whole)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
