"""The Dagster home `xxgk run` opens: created by one process at a time, and repaired (or the
repair named in one line) when two processes broke it by creating it at once."""
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assets.resources import PROJECT_ROOT
from pipelines.instance import VERSIONED, _revisions, open_instance
from xxgk import SAMPLES_DIR


def _home(path: Path) -> Path:
    """A fresh home: only dagster.yaml."""
    path.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", path / "dagster.yaml")
    return path


def _versions(home: Path) -> dict[str, list[str]]:
    out = {}
    for name in VERSIONED:
        with sqlite3.connect(home / name) as con:
            out[name] = [v for (v,) in con.execute("SELECT version_num FROM alembic_version")]
    return out


def test_processes_opening_a_fresh_home_at_once_all_succeed(tmp_path):
    """Four processes, imports done, open the same fresh home within a millisecond of each other
    (Dagster alone breaks such a home: two version rows in history/runs.db)."""
    home = _home(tmp_path / "home")
    start = time.time() + 8  # after every process has imported Dagster
    code = textwrap.dedent(f"""
        import time
        from pipelines.instance import open_instance
        import dagster
        time.sleep(max(0.0, {start} - time.time()))
        print(open_instance(say=None).get_runs_count())
    """)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    assert all(len(rows) == 1 for rows in _versions(home).values()), _versions(home)


def test_two_xxgk_runs_on_a_fresh_home_both_succeed(tmp_path):
    """Two inboxes, one warehouse and its fresh home, started at the same moment (the case that broke
    the home for good)."""
    home = _home(tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XXGK_")}
    env.update(DAGSTER_HOME=str(home), XXGK_DATA_DOCS_ENABLED="0")
    runs = []
    for name in ("lingdong-2023.txt", "dongning-2023.txt"):
        inbox = tmp_path / name.split("-")[0]
        inbox.mkdir()
        shutil.copy(SAMPLES_DIR / name, inbox)
        runs.append([sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox),
                     "--warehouse", str(tmp_path / "w.duckdb")])  # one home serves one warehouse
    procs = [subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd in runs]
    outputs = [p.communicate(timeout=400) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, (out, err)
        assert "reports loaded:    1" in out
    assert all(len(rows) == 1 for rows in _versions(home).values()), _versions(home)


def _broken(tmp_path: Path, *versions: str) -> Path:
    """A home whose history/runs.db records `versions`, as two processes creating it at once leave it."""
    home = _home(tmp_path / "home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        open_instance(say=None).dispose()
    with sqlite3.connect(home / "history" / "runs.db") as con:
        con.execute("DELETE FROM alembic_version")
        con.executemany("INSERT INTO alembic_version VALUES (?)", [(v,) for v in versions])
    return home


def test_a_home_left_with_two_versions_is_repaired_and_said_in_one_line(tmp_path, monkeypatch):
    head, _ = _revisions()
    home = _broken(tmp_path, head, "5771160a95ad")  # what the race leaves: the current version, and Dagster's "last known"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    said = []
    instance = open_instance(say=said.append)
    assert instance.get_runs_count() == 0
    assert len(said) == 1 and "\n" not in said[0], said
    assert said[0] == (f"repaired the Dagster home {home}: history/runs.db recorded 2 schema versions ({head}, 5771160a95ad; "
                       f"two processes created it at once), kept Dagster's current {head}")
    assert _versions(home)["history/runs.db"] == [head]


def test_a_home_whose_right_version_cannot_be_told_is_one_line_with_the_command_that_repairs_it(tmp_path):
    _, order = _revisions()
    older = next(v for v, n in order.items() if n == 12)
    home = _broken(tmp_path, older, "5771160a95ad")  # neither is Dagster's current version
    env = {k: v for k, v in os.environ.items() if not k.startswith("XXGK_")}
    env.update(DAGSTER_HOME=str(home), XXGK_DATA_DOCS_ENABLED="0")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(SAMPLES_DIR / "lingdong-2023.txt"),
                           "--warehouse", str(tmp_path / "w.duckdb")], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"xxgk: the Dagster home {home} is broken: history/runs.db records 2 schema versions "
                               f"({older}, 5771160a95ad) where one belongs (two processes created it at once); "
                               f"repair it with: "), lines[0]
    command = lines[0].split("repair it with: ", 1)[1]
    fixed = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=300)
    assert fixed.returncode == 0, fixed
    assert all(len(rows) == 1 for rows in _versions(home).values()), _versions(home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        assert open_instance(say=None).get_runs_count() == 0
