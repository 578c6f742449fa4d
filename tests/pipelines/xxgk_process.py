"""`xxgk run` as an operator runs it: a process of its own, on its own instance and warehouse,
to be killed, interrupted and run again; and what it leaves behind."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from assets.resources import PROJECT_ROOT

WRITER_POOL = "duckdb_writer"


@dataclass
class Setup:
    """One operator's setup: a Dagster home, a warehouse, an inbox."""

    root: Path
    inbox: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "xxgk.duckdb"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DAGSTER_HOME": str(self.home), "XXGK_INBOX": str(self.inbox),
                "XXGK_WAREHOUSE": str(self.warehouse), "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_WORKERS": "2"}

    def instance(self):
        from dagster import DagsterInstance

        return DagsterInstance.from_config(str(self.home))


def new_setup(root: Path, inbox: Path, warehouse_from: Setup | None = None) -> Setup:
    """A fresh Dagster home (the project's dagster.yaml) and warehouse folder; the warehouse a
    copy of `warehouse_from`'s, if given."""
    setup = Setup(root, inbox)
    setup.home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", setup.home / "dagster.yaml")
    setup.warehouse.parent.mkdir(parents=True)
    if warehouse_from is not None:
        shutil.copy(warehouse_from.warehouse, setup.warehouse)
    return setup


def start(setup: Setup, *args: str) -> subprocess.Popen:
    """`xxgk run` started in a session of its own (so a Ctrl-C can reach its whole group)."""
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", *args], env=setup.env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def run(setup: Setup, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "run", *args], env=setup.env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def wait_for(condition, proc: subprocess.Popen, timeout: float = 300, every: float = 0.02):
    """Poll `condition()` until it returns something true; fail if `proc` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"xxgk ended (rc {proc.returncode}) before the moment came:\n{out[-2000:]}\n{err[-3000:]}")
        time.sleep(every)
    raise AssertionError("the moment never came")


def writer_slot_holders(instance) -> list[tuple[str, str]]:
    """(run id, step) of every claimed slot of the writer pool."""
    info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
    return [(slot.run_id, slot.step_key) for slot in info.claimed_slots]


def processes_of(setup: Setup) -> dict[int, tuple[int, str]]:
    """pid -> (ppid, command line) of every process running with this setup's environment:
    the command, its fork server, resource tracker and workers."""
    marker = f"XXGK_WAREHOUSE={setup.warehouse}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if marker not in environ:
                continue
            stat = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            if stat[0] in (b"Z", b"X"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile, or not ours to read
            continue
        found[int(entry.name)] = (int(stat[1]), cmdline)
    return found


def workers_of(setup: Setup, pid: int) -> dict[int, tuple[int, str]]:
    """The fork server of command `pid` and its workers, if any are running."""
    ours = processes_of(setup)
    servers = {p for p, (ppid, cmd) in ours.items() if ppid == pid and "forkserver" in cmd}
    return {p: v for p, v in ours.items() if p in servers or v[0] in servers}


def gone_within(setup: Setup, seconds: float) -> dict[int, tuple[int, str]]:
    """What is left of this setup's processes after waiting up to `seconds` for them to go."""
    deadline = time.monotonic() + seconds
    while (left := processes_of(setup)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the command alone (not to its group, as the kernel's OOM killer would)."""
    proc.send_signal(sig)
    proc.wait(timeout=60)


DIGEST_TABLES = ("v_disclosure_facts", "dim_document", "fact_report", "rejected_document")


def warehouse_digest(path: Path) -> dict[str, tuple[int, str]]:
    """Per table: rows and a hash of all its rows in order (timestamps aside: they say when,
    not what)."""
    import duckdb

    digest = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in DIGEST_TABLES:
            columns = [name for name, kind in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if "TIME" not in kind and "DATE" not in kind]
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
            digest[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
    return digest
