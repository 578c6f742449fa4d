"""7. cProfile of read + normalise + extract, by library and by the calls that matter."""
from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.throughput.common import PROJECT_ROOT, say


def profile(pdfs: list[Path], verify_share: float, top: int = 15) -> None:
    from xxgk.extract.year import extract_store
    from xxgk.inbox import read_inbox
    from xxgk.normalise import normalise_store

    work = Path(tempfile.mkdtemp(prefix="xxgk-bench-profile-"))
    try:
        # warm the imports and caches so the profile shows the work, not module loading
        warm = normalise_store(read_inbox(pdfs[:2], work / "w" / "raw", verify_share=1.0), work / "w" / "norm")
        for y in warm.years:
            extract_store(warm, y, work / "w" / f"t{y}")

        prof = cProfile.Profile()
        timings = {}
        prof.enable()
        t = time.perf_counter()
        raw = read_inbox(pdfs, work / "raw", workers=1, verify_share=verify_share)
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        norm = normalise_store(raw, work / "normalised", workers=1)
        timings["normalise"] = time.perf_counter() - t
        t = time.perf_counter()
        for y in norm.years:
            extract_store(norm, y, work / f"tables-{y}", workers=1)
        timings["extract"] = time.perf_counter() - t
        prof.disable()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(timings.values())
    say(f"\n== profile: read_inbox + normalise_store + extract_store, 1 process, {len(pdfs)} reports (under cProfile) ==")
    say("  readers: " + ", ".join(f"{r}: {k}" for r, k in raw.documents.group_by("reader").len().sort("reader").rows()))
    say("  " + ", ".join(f"{k} {v:.2f} s ({v / len(pdfs) * 1000:.0f} ms/report)" for k, v in timings.items())
        + f"; total {total:.2f} s = {total / len(pdfs) * 1000:.0f} ms/report")
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    say(f"  top {top} by cumulative time:")
    say("\n".join("    " + l for l in buf.getvalue().splitlines() if l.strip() and not l.startswith("   Ordered")))

    # self time by library: where the seconds actually burn
    by_lib: dict[str, float] = defaultdict(float)
    raw_stats = pstats.Stats(prof).stats  # (file, line, func) -> (cc, nc, tottime, cumtime, callers)
    for (filename, _, func), (_, _, tottime, _, _) in raw_stats.items():
        by_lib[_library(filename, func)] += tottime
    grand = sum(by_lib.values())
    say("  self time by library (sum of tottime):")
    for lib, secs in sorted(by_lib.items(), key=lambda kv: -kv[1])[:12]:
        say(f"    {lib:<34} {secs:6.2f} s  {secs / grand:5.1%}   {secs / len(pdfs) * 1000:5.0f} ms/report")

    # the calls that matter, inclusive time (max over same-named functions)
    say("  inclusive time of the key calls:")
    wanted = {("documents.py", "read_document"): "read_document (one file, all of it)",
              ("pdf.py", "read_pdf"): "  read_pdf",
              ("pdf_layout.py", "pdfium_page_words"): "    pdfium words of every page",
              ("pdf_layout.py", "pdfium_page_chars"): "      pdfium_page_chars",
              ("pdf_layout.py", "words_from_chars"): "      words_from_chars",
              ("pdf_layout.py", "gap_lines"): "    gap_lines (words -> cells)",
              ("pdf.py", "_page_objects"): "    _page_objects (fonts embedded? images?)",
              ("ocr.py", "page_needs_ocr"): "    page_needs_ocr",
              ("trust.py", "reading_facts"): "    reading_facts (normalise + extract the reading)",
              ("pdf.py", "reading_differences"): "    reading_differences (verify_share)",
              ("pdf.py", "_reference_rows"): "    pdfplumber (reference reader)",
              ("page.py", "find_tables"): "      find_tables",
              ("staging.py", "write_raw_rows"): "  write_raw_rows (Parquet)",
              ("staging.py", "read_rows"): "read_rows (Parquet -> dicts, normalise + extract)",
              ("normalise.py", "normalise_document"): "normalise_document (all calls, reading_facts' too)",
              ("normalise.py", "to_simplified"): "  OpenCC t2s",
              ("staging.py", "write_normalised_rows"): "write_normalised_rows (Parquet)",
              ("tables.py", "extract_report"): "extract_report (all calls, reading_facts' too)",
              ("year.py", "extract_documents"): "extract_documents (the extraction stage)",
              ("year.py", "version_differences"): "version_differences"}
    found: dict[str, float] = {}
    calls: dict[str, int] = {}
    for (filename, _, func), (_, nc, _, cumtime, _) in raw_stats.items():
        name = wanted.get((Path(filename).name, func))
        if name:
            found[name] = max(found.get(name, 0.0), cumtime)
            calls[name] = max(calls.get(name, 0), nc)
    for name in wanted.values():
        if name in found:
            say(f"    {name:<56} {found[name]:6.2f} s  {found[name] / total:5.1%}  ({calls[name]} calls)")
    say("  (cProfile slows pure-Python code such as pdfminer more than C code: shares, not absolute times)")


def _library(filename: str, func: str) -> str:
    if filename == "~":
        return f"builtin: {func[:22]}" if "method" not in func else "builtin methods"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    try:
        return "xxgk: " + str(Path(filename).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return "stdlib: " + Path(filename).name
