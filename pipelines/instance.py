"""The Dagster instance `xxgk run` works against: the warehouse's own (`dagster_home/` in its
folder, assets/deployment.py), or DAGSTER_HOME when set -- a home that serves one warehouse only.

Opening an instance on a fresh home creates its SQLite databases, and Dagster does that without
a lock: two processes that open a fresh home at the same moment both create the tables and
stamp their schema version. One then fails (`table alembic_version already exists`), or both
succeed and `history/runs.db` is left with two version rows, one of them wrong, after which
every process fails to open the home (alembic: "more than one head"). So `xxgk run` opens the
instance under an flock in the home (`.instance.lock`), and before opening it repairs a home
broken that way (or, when it cannot tell which version is right, says in one line the command
that repairs it).
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from assets.deployment import Deployment, locate
from xxgk.staging import store_lock
from xxgk.waiting import say_on_stderr

# the instance's settings as the wheel ships them (the project root's dagster.yaml links to this file)
PACKAGED_CONFIG = Path(__file__).with_name("dagster.yaml")
# the SQLite databases of a home whose schema version Dagster stamps (alembic_version: one row)
VERSIONED = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")


class BrokenHome(Exception):
    """The Dagster home cannot be opened; the message says why and the command that repairs it, in one line."""


def open_instance(deployment: Deployment | None = None, say: Callable[[str], None] | None = say_on_stderr):
    """The instance of the warehouse's home, opened (and on a fresh home, created) by one process at a
    time, and bound to that warehouse (a home serves one); a home left with two schema versions is
    repaired first (said through `say`). Bound to the warehouse `deployment` when one is given. A home of the warehouse's own gets the project's settings
    (dagster.yaml) when it has none; one named by DAGSTER_HOME is used as it is."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    bind = deployment is not None  # the instance of a warehouse named by the caller (xxgk run, ui, home)
    deployment = deployment or locate()
    deployment.check_home()
    home = deployment.home
    with store_lock(home, "instance", what=f"the Dagster home {home} (another process is creating it)",
                    who="xxgk run, opening the instance", say=say):
        if not deployment.environ.get("DAGSTER_HOME") and not (home / "dagster.yaml").exists():
            # the settings the project ships (telemetry off, one warehouse writer at a time); Dagster's
            # own commands run on this home (DAGSTER_HOME=…/dagster_home) find them there too
            shutil.copyfile(PACKAGED_CONFIG, home / "dagster.yaml")
        if bind:
            deployment.bind_home()
        for line in repair_versions(home):
            if say is not None:
                say(line)
        instance = DagsterInstance.from_ref(_quiet_compute_logs(InstanceRef.from_dir(str(home))))
        # every storage created while the lock is held (Dagster creates them when the instance is made)
        instance.run_storage, instance.event_log_storage, instance.schedule_storage  # noqa: B018
    return instance


def repair_versions(home: Path) -> list[str]:
    """Repair the databases of `home` that record more than one schema version, keeping
    Dagster's current one (the version the tables were created at; the other row is the
    "last known" revision Dagster stamps when it finds tables without a version, i.e. those
    another process had just created). One line said per database repaired; BrokenHome when
    the current version is not among the rows."""
    lines = []
    for name in VERSIONED:
        db = home / name
        if not db.is_file():
            continue
        with closing(sqlite3.connect(db, timeout=30)) as con:
            try:
                rows = [v for (v,) in con.execute("SELECT version_num FROM alembic_version")]
            except sqlite3.OperationalError:  # no version table yet
                continue
            if len(rows) <= 1:
                continue
            head, order = _revisions()
            if head in rows:
                with con:
                    con.execute("DELETE FROM alembic_version WHERE version_num <> ?", (head,))
                    con.execute("DELETE FROM alembic_version WHERE rowid <> (SELECT min(rowid) FROM alembic_version)")
                lines.append(f"repaired the Dagster home {home}: {name} recorded {len(rows)} schema versions "
                             f"({', '.join(rows)}; two processes created it at once), kept Dagster's current {head}")
                continue
            newest = min(rows, key=lambda v: order.get(v, len(order)))
            dagster = Path(sys.executable).with_name("dagster")
            fix = (f"{sys.executable} -c \"import sqlite3; c = sqlite3.connect('{db}'); c.execute('DELETE FROM alembic_version "
                   f"WHERE version_num <> \\'{newest}\\''); c.commit()\" && DAGSTER_HOME={home} "
                   f"{dagster if dagster.exists() else 'dagster'} instance migrate")
            raise BrokenHome(f"the Dagster home {home} is broken: {name} records {len(rows)} schema versions "
                             f"({', '.join(rows)}) where one belongs (two processes created it at once); repair it with: {fix}")
    return lines


def _revisions() -> tuple[str, dict[str, int]]:
    """Dagster's current schema version, and every version's distance from it (0: the current one)."""
    from alembic.script import ScriptDirectory
    from dagster._core.storage.runs.sqlite import sqlite_run_storage
    from dagster._core.storage.sql import get_alembic_config

    script = ScriptDirectory.from_config(get_alembic_config(sqlite_run_storage.__file__))
    order = {rev.revision: n for n, rev in enumerate(script.walk_revisions())}
    return script.get_current_head(), order


def _quiet_compute_logs(ref):
    """The instance `ref` with QuietComputeLogs in place of Dagster's local compute logs (another
    compute log manager, configured in dagster.yaml, is left as it is)."""
    from dagster._serdes.config_class import ConfigurableClassData

    from pipelines.quiet_logs import QuietComputeLogs

    data = ref.compute_logs_data
    if data.class_name != "LocalComputeLogManager" or not data.module_name.endswith("local_compute_log_manager"):
        return ref
    return ref._replace(compute_logs_data=ConfigurableClassData(QuietComputeLogs.__module__, QuietComputeLogs.__name__,
                                                                data.config_yaml))
