"""`xxgk run` as a user meets it: bad arguments, odd inboxes, and a summary that says what happened."""
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout

import pytest

from assets.resources import PROJECT_ROOT, inbox_key
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES

DONGNING = next(p for p in SAMPLE_FILES if "dongning" in p.name)


def _run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as exit_:  # argparse errors
            rc = exit_.code
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("XXGK_INBOX", "XXGK_WAREHOUSE", "XXGK_STAGING", "XXGK_DATA_DOCS", "XXGK_ARCHIVE", "XXGK_OVERVIEW"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_version():
    rc, out, _ = _run("--version")
    assert rc == 0 and out.strip() == "xxgk 0.1.0"


@pytest.mark.parametrize("years, message", [
    ("20x4", "'20x4' is not a year: give four-digit years"),
    ("2019,2099", "2099: not a statistics year of the standard tables (2019–"),
    ("2018", "2018: not a statistics year"),
    (",", "no year given"),
])
def test_bad_years_are_a_clear_error(years, message):
    rc, _, err = _run("run", "--years", years)
    assert rc == 2 and f"argument --years: {message}" in err, err


def test_an_inbox_that_does_not_exist(home, tmp_path):
    rc, _, err = _run("run", "--inbox", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert rc == 2 and f"inbox not found: {tmp_path / 'nowhere'} (give a folder of reports, or one report file" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_an_empty_inbox_says_no_reports_found_and_creates_nothing(home, tmp_path):
    (tmp_path / "inbox").mkdir()
    rc, _, err = _run("run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "out" / "w.duckdb"))
    assert rc == 1 and "no reports found: the inbox" in err and "holds no files" in err
    assert not (tmp_path / "out").exists()


def test_one_file_as_inbox_and_years_it_does_not_hold(home, tmp_path):
    """--inbox may be one file; --years names what it skipped and what it could not find; nothing to do is rc 1."""
    import os

    environ = dict(os.environ)
    rc, out, err = _run("run", "--inbox", str(DONGNING), "--warehouse", str(tmp_path / "w.duckdb"), "--years", "2024")
    assert "1 files: 1 documents (by year 2023: 1), 0 not loaded while reading" in out
    assert "no reports of 2024 in the inbox: nothing to load for it" in out
    assert "skipped (not in --years): 1 report of 2023" in out
    assert rc == 1 and "nothing to load: the inbox holds reports of 2023 only" in err
    assert dict(os.environ) == environ  # --inbox, --warehouse travel as run config, not through the environment


@pytest.fixture(scope="module")
def versions_run(tmp_path_factory):
    """One agency-year three times: the report, the same bytes under another name, and a re-publication."""
    root = tmp_path_factory.mktemp("cli")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(DONGNING, inbox / DONGNING.name)
    shutil.copy(DONGNING, inbox / "dongning-copy.txt")
    # the re-publication differs by a shorter closing line: fewer bytes, the same cells, so the original is loaded
    text = DONGNING.read_text(encoding="utf-8")
    (inbox / "dongning-republished.txt").write_text(text.rstrip() + "\n", encoding="utf-8")
    assert (inbox / "dongning-republished.txt").stat().st_size != DONGNING.stat().st_size
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    warehouse = root / "out" / "w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        for name in ("XXGK_INBOX", "XXGK_WAREHOUSE", "XXGK_STAGING", "XXGK_DATA_DOCS", "XXGK_DATA_DOCS_ENABLED"):
            mp.delenv(name, raising=False)
        rc, out, err = _run("run", "--inbox", str(inbox), "--warehouse", str(warehouse))
    return rc, out, err, inbox, warehouse


def test_the_summary_lists_superseded_versions_and_duplicate_files(versions_run):
    rc, out, err, inbox, _ = versions_run
    assert rc == 0, err
    from warehouse.loader import connect

    with connect(versions_run[4], read_only=True) as con:
        superseded = con.execute("SELECT source_file FROM dim_document WHERE status = 'superseded'").fetchall()
    assert len(superseded) == 1
    assert "superseded versions: 1 (another document of the same agency-year was loaded)" in out
    assert "  2023  东宁市人民政府" in out and superseded[0][0] in out
    assert "duplicate files:   1 (the same bytes under another name: read once)" in out
    assert str(inbox / "dongning-copy.txt") in out or str(inbox / DONGNING.name) + " = " in out


def test_the_summary_counts_in_words_that_agree(versions_run):
    _, out, _, _, warehouse = versions_run
    from warehouse.loader import connect

    with connect(warehouse, read_only=True) as con:
        (warnings,) = con.execute("SELECT warnings FROM fact_report").fetchone()
    report_line = next(line for line in out.splitlines() if line.startswith("  2023  东宁市人民政府"))
    assert f" {warnings} warning{'' if warnings == 1 else 's'} " in report_line, report_line


def test_staging_and_data_docs_go_beside_the_warehouse(versions_run):
    _, out, _, _, warehouse = versions_run
    assert (warehouse.parent / "staging").is_dir()
    index = warehouse.parent / "data_docs" / "2023" / "index.html"
    assert index.is_file() and f"data docs 2023: {index}" in out


# Outputs that cannot be written: one line naming the path and the cause, before any work (as
# root chmod stops nothing: a path under a regular file cannot be written by anyone).
@pytest.mark.parametrize("setting", ["staging", "warehouse under a file", "warehouse a folder", "data docs", "archive"])
def test_an_output_that_cannot_be_written_is_one_line_naming_it_and_why(home, tmp_path, monkeypatch, setting):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    warehouse = tmp_path / "out" / "w.duckdb"
    expected = {
        "staging": f"xxgk: cannot write the staging folder (XXGK_STAGING) {blocker}/sub: {blocker} is a file, not a folder",
        "warehouse under a file": f"xxgk: cannot write the warehouse {blocker}/w.duckdb: {blocker} is a file, not a folder",
        "warehouse a folder": f"xxgk: cannot write the warehouse {tmp_path}/w/xxgk.duckdb: it is a folder, not a DuckDB file "
                              f"(give the warehouse's folder, {tmp_path}/w, or another DuckDB file)",
        "data docs": f"xxgk: cannot write the Data Docs folder (XXGK_DATA_DOCS) {blocker}/docs: {blocker} is a file, not a folder",
        "archive": f"xxgk: cannot write the archive (XXGK_ARCHIVE) {blocker}/a: {blocker} is a file, not a folder",
    }[setting]
    if setting == "staging":
        monkeypatch.setenv("XXGK_STAGING", str(blocker / "sub"))
    elif setting == "warehouse under a file":
        warehouse = blocker / "w.duckdb"
    elif setting == "warehouse a folder":  # (a folder names a warehouse: its DuckDB file xxgk.duckdb is a folder here)
        (tmp_path / "w" / "xxgk.duckdb").mkdir(parents=True)
        warehouse = tmp_path / "w"
    elif setting == "data docs":
        monkeypatch.setenv("XXGK_DATA_DOCS", str(blocker / "docs"))
    else:
        monkeypatch.setenv("XXGK_ARCHIVE", str(blocker / "a"))
    rc, out, err = _run("run", "--inbox", str(DONGNING), "--warehouse", str(warehouse))
    assert rc == 1
    assert err.strip() == expected
    assert out == ""
    assert not (tmp_path / "out").exists()  # nothing created


def test_warehouse_given_on_the_command_line_keeps_the_other_settings(home, tmp_path, monkeypatch):
    """--warehouse reaches the runs as the config of the warehouse and Data Docs resources, which
    replaces all of it: XXGK_ARCHIVE and XXGK_DATA_DOCS_ENABLED=0 were dropped with it."""
    from dagster import build_resources

    from assets.resources import default_resources
    from tests.fixtures.run_config import run_config

    monkeypatch.setenv("XXGK_ARCHIVE", str(tmp_path / "kept"))
    monkeypatch.setenv("XXGK_DATA_DOCS_ENABLED", "0")
    config = run_config(warehouse=tmp_path / "w.duckdb")
    with build_resources(default_resources(), resource_config=config["resources"]) as settings:
        assert settings.duckdb.database == str(tmp_path / "w.duckdb")
        assert settings.duckdb.archive_folder == tmp_path / "kept"
        assert settings.data_docs.enabled is False and settings.data_docs.path == str(tmp_path / "data_docs")


def test_a_staging_folder_that_may_not_be_written_is_one_line(home, tmp_path, monkeypatch):
    from tests.warehouse.test_writer import read_only_folder

    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setenv("XXGK_STAGING", str(staging))
    with read_only_folder(staging):  # chmod, or for root the immutable attribute
        rc, out, err = _run("run", "--inbox", str(DONGNING), "--warehouse", str(tmp_path / "out" / "w.duckdb"))
    assert rc == 1 and out == ""
    assert err.strip() in (f"xxgk: cannot write the staging folder {staging}/{inbox_key(str(DONGNING))}: {why}"
                           for why in ("Permission denied", "Operation not permitted")), err


NO_TABLES = "某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我县认真贯彻落实《条例》。\n六、其他需要报告的事项\n无。\n"


def test_the_reading_line_and_the_summary_count_alike_and_only_this_runs_rows(home, tmp_path, monkeypatch):
    """Finding 4: a report rejected while extracting made the reading line say "5 files, 5 reports
    … 0 not loaded" and the summary "files not loaded: 1"; and a later run's summary listed the
    rows an earlier run (another inbox) left in the warehouse. Each run now counts its own files
    one way: read = loaded + duplicates + not loaded (with the stage), and lists only its rows."""
    monkeypatch.setenv("XXGK_DATA_DOCS_ENABLED", "0")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for sample in SAMPLE_FILES:
        if sample.suffix == ".txt" and "dongning" not in sample.name:
            shutil.copy(sample, first / sample.name)
    (first / "no-tables.txt").write_text(NO_TABLES, encoding="utf-8")
    (second / "dongning-2024.txt").write_text(DONGNING.read_text(encoding="utf-8").replace("2023", "2024"), encoding="utf-8")
    warehouse = tmp_path / "w"

    rc, out, err = _run("run", "--inbox", str(first), "--warehouse", str(warehouse))
    assert rc == 0, err
    assert "      5 files: 5 documents (by year 2023: 5), 0 not loaded while reading" in out
    assert "files read:        5: 4 documents loaded, 1 not loaded" in out
    assert "reports loaded:    4" in out
    assert "files not loaded:  1 (1 while extracting)" in out
    assert f"  {first / 'no-tables.txt'}: a report with no tables" in out

    rc, out, err = _run("run", "--inbox", str(second), "--warehouse", str(warehouse))
    assert rc == 0, err
    assert "      1 files: 1 documents (by year 2024: 1), 0 not loaded while reading" in out
    assert "files read:        1: 1 document loaded, 0 not loaded" in out
    assert "reports loaded:    1\n  2024  东宁市人民政府" in out
    assert "files not loaded:  0\n" in out
    assert str(first) not in out.split("[2/2]")[-1]  # nothing of the first run's inbox in this one's summary


def test_library_noise_goes_to_the_log_not_the_console(home, tmp_path, monkeypatch):
    """pdfminer says "Could not get FontBBox …" for a font whose descriptor has no box: in the
    run's event log (at INFO, under xxgk.libraries), never on the console. Every PDF is read by
    both readers (XXGK_VERIFY_SHARE=1), so pdfminer parses it in a worker process."""
    from dagster import DagsterInstance

    from tests.fixtures.synthetic import make_report

    monkeypatch.setenv("XXGK_DATA_DOCS_ENABLED", "0")
    monkeypatch.setenv("XXGK_VERIFY_SHARE", "1")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pdf = make_report(7, "2021", year=2023).pdf_bytes
    assert pdf.count(b"/FontBBox [") == 1
    (inbox / "no-font-box.pdf").write_bytes(pdf.replace(b"/FontBBox [", b"/XontBBox ["))  # same length: xref intact
    rc, out, err = _run("run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w"))
    assert rc == 0, err
    assert "FontBBox" not in out + err, out + err
    with DagsterInstance.from_config(str(home)) as instance:
        said = [e.user_message for r in instance.get_runs() for e in instance.all_logs(r.run_id)
                if "Could not get FontBBox" in (e.user_message or "")]
    assert said and said[0].startswith("pdfminer.pdffont (WARNING): Could not get FontBBox from font descriptor"), said


def test_a_setting_with_a_bad_value_is_one_line_before_any_work(home, tmp_path, monkeypatch):
    monkeypatch.setenv("XXGK_MAX_PAGES", "many")
    rc, out, err = _run("run", "--inbox", str(DONGNING), "--warehouse", str(tmp_path / "out"))
    assert rc == 2 and out == ""
    assert err == ("xxgk: XXGK_MAX_PAGES='many' is not a valid setting: input should be a valid integer, "
                   "unable to parse string as an integer\n")
    assert not (tmp_path / "out").exists()
