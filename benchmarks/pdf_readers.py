"""The pipeline's PDF reader against pdfplumber's extract_tables on every page, side by side.

    .venv/bin/python -m benchmarks.pdf_readers [--repeat 5]

PDFs with the layout of real reports: hongze-2024.pdf (WPS, every font embedded, ruled
tables, a vertical merged label in a vertical-writing font, table 三 broken across pages)
and the generator's ruled reports with the font embedded (vertical merged label, table 三
split across pages, header repeated or not, wrapped labels, both templates; see
tests/fixtures; two drawn as WPS writes). For each PDF, in one process and alternating, the median of --repeat runs:

- pipeline: ``xxgk.readers.pdf.read_pdf`` with the inbox stage's trust judge (normalisation and
  extraction run on the pdfium reading), i.e. what a file costs the read stage;
- plain pdfplumber: ``extract_tables()`` on every page (no judging, no text around tables).

Prints the reader the pipeline chose and why, both medians (wall time, and the CPU time of
the process: on a shared machine other processes lengthen the wall time) and their ratios,
per PDF and over all; asserts nothing.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# (seed, template, layout options) of the generator's ruled reports; all with the font embedded
GENERATED = [
    (3, "2021", {"split_table3_across_pages": True, "repeat_table3_header": True}),
    (4, "2021", {"split_table3_across_pages": True, "repeat_table3_header": False, "long_labels_wrap": True}),
    (6, "2019", {"split_table3_across_pages": True}),
    (8, "2019", {"long_labels_wrap": True, "shaded_headers": True}),
    (10, "2021", {"wps_drawing": True, "split_table3_across_pages": True, "long_labels_wrap": True}),
    (11, "2019", {"wps_drawing": True, "split_table3_across_pages": True, "repeat_table3_header": True,
                  "shaded_headers": True}),
]


def corpus() -> list[tuple[str, bytes]]:
    from tests.fixtures import synthetic
    from xxgk import SAMPLES_DIR

    out = [("hongze-2024.pdf", (SAMPLES_DIR / "hongze-2024.pdf").read_bytes())]
    font = str(synthetic.EMBEDDABLE_FONT) if synthetic.EMBEDDABLE_FONT.exists() else None
    if font is None:
        print(f"(no {synthetic.EMBEDDABLE_FONT}: generated reports left out)")
        return out
    for seed, template, layout in GENERATED:
        report = synthetic.make_report(seed, template, embed_font=font, **layout)
        name = f"generated-{seed}-{template}-" + "-".join(k.split("_")[0] for k, v in layout.items() if v) + ".pdf"
        out.append((name, report.pdf_bytes))
    return out


def pipeline(data: bytes):
    from xxgk.extract.trust import reading_facts
    from xxgk.readers.pdf import read_pdf

    return read_pdf(data, judge=reading_facts)


def plain_pdfplumber(data: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return sum(len(page.extract_tables()) for page in pdf.pages)


def _timed(fn, data) -> tuple[object, float, float]:
    """fn(data), its wall time and the CPU time of this process (the machine may be shared:
    other processes lengthen the wall time, not the CPU time)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(data)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    docs = corpus()
    pipeline(docs[0][1]), plain_pdfplumber(docs[0][1])  # imports and first-call costs out of the figures
    print(f"{'PDF':<46} {'pages':>5} {'reader':<7} {'pipeline ms':>17} {'pdfplumber ms':>17} {'ratio':>11}  why")
    print(f"{'':<46} {'':>5} {'':<7} {'wall':>8} {'CPU':>8} {'wall':>8} {'CPU':>8} {'wall':>5} {'CPU':>5}")
    ratios: dict[str, list[float]] = {"wall": [], "CPU": []}
    totals = [0.0, 0.0, 0.0, 0.0]
    for name, data in docs:
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        reading = None
        for _ in range(args.repeat):  # alternating, so a busy spell of the machine hits both
            reading, wall, cpu = _timed(pipeline, data)
            ours.append((wall, cpu))
            _, wall, cpu = _timed(plain_pdfplumber, data)
            theirs.append((wall, cpu))
        a_wall, a_cpu = (statistics.median(t[k] for t in ours) for k in (0, 1))
        b_wall, b_cpu = (statistics.median(t[k] for t in theirs) for k in (0, 1))
        for i, v in enumerate((a_wall, a_cpu, b_wall, b_cpu)):
            totals[i] += v
        ratios["wall"].append(b_wall / a_wall)
        ratios["CPU"].append(b_cpu / a_cpu)
        print(f"{name:<46} {reading.pages:>5} {reading.reader:<7} {a_wall * 1000:>8.0f} {a_cpu * 1000:>8.0f} "
              f"{b_wall * 1000:>8.0f} {b_cpu * 1000:>8.0f} {b_wall / a_wall:>4.1f}x {b_cpu / a_cpu:>4.1f}x  {reading.check}")
    print(f"{'all ' + str(len(docs)) + ' PDFs (sum of medians)':<46} {'':>5} {'':<7} {totals[0] * 1000:>8.0f} "
          f"{totals[1] * 1000:>8.0f} {totals[2] * 1000:>8.0f} {totals[3] * 1000:>8.0f} "
          f"{totals[2] / totals[0]:>4.1f}x {totals[3] / totals[1]:>4.1f}x")
    print(f"median ratio over {len(docs)} PDFs: {statistics.median(ratios['wall']):.1f}x wall, "
          f"{statistics.median(ratios['CPU']):.1f}x CPU (pdfplumber time / pipeline time, median of {args.repeat} runs each)")


if __name__ == "__main__":
    main()
