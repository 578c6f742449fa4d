"""What `xxgk run` is asked to do, checked before any work: the years and the inbox."""
from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

from xxgk.settings import variable_of


def parse_years(text: str) -> list[int]:
    """`--years 2023,2024` (a range `2019-2021` too); a clear error for anything else."""
    years: list[int] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        first, _, last = item.partition("-")
        if not (first.isdigit() and len(first) == 4 and (not last or (last.isdigit() and len(last) == 4))):
            raise argparse.ArgumentTypeError(f"'{item}' is not a year: give four-digit years, e.g. 2023,2024 or 2019-2021")
        years += range(int(first), int(last or first) + 1)
    if not years:
        raise argparse.ArgumentTypeError("no year given: e.g. --years 2023,2024")
    from assets.partitions import statistics_years  # Dagster: only when years are asked for

    valid = statistics_years()
    outside = [y for y in years if y not in valid]
    if outside:
        raise argparse.ArgumentTypeError(
            f"{', '.join(map(str, outside))}: not a statistics year of the standard tables ({valid[0]}–{valid[-1]})")
    return sorted(set(years))


def choose_years(found: list[int], wanted: list[int] | None, reports_by_year: Counter) -> tuple[list[int], list[str]]:
    """The years to load, and what the user should hear about the others."""
    if wanted is None:
        return found, []
    notes = []
    absent = [y for y in wanted if y not in found]
    if absent:
        notes.append(f"no reports of {', '.join(map(str, absent))} in the inbox: nothing to load for "
                     f"{'it' if len(absent) == 1 else 'them'}")
    skipped = [y for y in found if y not in wanted]
    if skipped:
        notes.append("skipped (not in --years): " + ", ".join(
            f"{reports_by_year[y]} report{'s' if reports_by_year[y] != 1 else ''} of {y}" for y in skipped))
    return [y for y in found if y in wanted], notes


def inbox_problem(inbox: Path) -> str | None:
    """Why this inbox cannot be read, or None."""
    if not inbox.exists():
        return f"inbox not found: {inbox} (give a folder of reports, or one report file, with --inbox or {variable_of('inbox')})"
    if not (inbox.is_dir() or inbox.is_file()):
        return f"inbox is neither a folder nor a file: {inbox}"
    return None


def output_problem(warehouse: Path, folders: dict[str, str]) -> str | None:
    """Why the run could not write the warehouse file or one of its `folders` ({"the staging folder
    (XXGK_STAGING)": path, …}), in one line; None when nothing stands in the way that a check can
    see before any work: a warehouse that is a folder, a file where a folder must be (object-store
    URLs are left to the run), a warehouse folder that takes no new file. Another folder that may
    not be written is said, in one line too, where the write happens (warehouse/writer.py, the store lock)."""
    if warehouse.is_dir():
        return (f"cannot write the warehouse {warehouse}: it is a folder, not a DuckDB file "
                f"(give the warehouse's folder, {warehouse.parent}, or another DuckDB file)")
    if warehouse.exists() and not os.access(warehouse, os.W_OK):
        return f"cannot write the warehouse {warehouse}: permission denied"
    for what, path in {"the warehouse": str(warehouse), **folders}.items():
        if "://" in path:
            continue
        target = Path(path).expanduser()
        folder = target.parent if what == "the warehouse" else target
        existing = next(p for p in (folder, *folder.parents) if p.exists() or p == Path(p.anchor))
        if not existing.is_dir():
            return f"cannot write {what} {target}: {existing} is a file, not a folder"
    return _folder_unwritable(warehouse)


def _folder_unwritable(warehouse: Path) -> str | None:
    """Whether the warehouse's folder, when it exists, takes a new file: a probe made and removed
    at once (permissions, as root the immutable attribute, a read-only mount: only a write tells)."""
    import tempfile

    if not warehouse.parent.is_dir():
        return None
    try:
        fd, probe = tempfile.mkstemp(dir=warehouse.parent, prefix=".xxgk-probe-")
    except OSError as error:
        return f"cannot write the warehouse {warehouse}: {error.strerror or error} (its folder {warehouse.parent})"
    os.close(fd)
    os.unlink(probe)
    return None
