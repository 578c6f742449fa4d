"""Cells frames built from the bundled samples with the project's own pure stages.

A plain module with a name of its own (not conftest.py, not a package): pytest puts this
folder on sys.path, and a tests/expectations package would shadow the real `expectations`.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from xxgk import SAMPLES_DIR
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.extract.trust import reading_facts
from xxgk.normalise import normalise_document

SAMPLES = sorted(p for p in SAMPLES_DIR.iterdir() if p.suffix in (".txt", ".pdf"))


def cells_of(path: Path) -> pl.DataFrame:
    """The cells of one report, with the agency, year and format the pipeline adds."""
    doc = normalise_document(read_document(path, judge=reading_facts))
    return extract_report(doc).cells_frame().with_columns(
        agency=pl.lit(doc.agency), year=pl.lit(doc.year), format_version=pl.lit(doc.format_version)
    )


@cache
def sample_cells(name: str) -> pl.DataFrame:
    return cells_of(SAMPLES_DIR / name)


def set_values_after(text: str, label: str, values: list[str], *, skip: int = 0) -> str:
    """Rewrite, in a one-cell-per-line report, the value lines that follow the line containing `label`.

    `skip` value lines are left alone first (to reach a column in the middle of a row).
    """
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if label in line)
    todo = [None] * skip + list(values)
    for i in range(at + 1, len(lines)):
        if not todo:
            break
        if lines[i].strip() and lines[i].strip().replace(".", "").isdigit():
            new = todo.pop(0)
            if new is not None:
                lines[i] = new
    assert not todo, f"not enough value lines after {label!r}"
    return "\n".join(lines)


def write_variant(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def damaged_fuxin(tmp_path: Path) -> Path:
    """fuxin with two rows damaged further: 予以公开 (line 61) prints "/" for its last applicant
    column and leaves the total blank; 属于国家秘密 (line 63) prints five zeros for seven columns
    with nothing showing where the gaps are (not placed). Its other six-zero rows stay inferred."""
    lines = (SAMPLES_DIR / "fuxin-taiping-office-2023.txt").read_text(encoding="utf-8").split("\n")
    assert lines[60].endswith("\t0\t0\t0\t0\t0\t0\t") and lines[62].endswith("\t0\t0\t0\t0\t0\t0")
    lines[60] = lines[60][: -len("0\t")] + "/\t"
    lines[62] = lines[62][: -len("\t0")]
    return write_variant(tmp_path, "fuxin-damaged.txt", "\n".join(lines))


def all_sample_cells() -> pl.DataFrame:
    return pl.concat([sample_cells(p.name) for p in SAMPLES])
