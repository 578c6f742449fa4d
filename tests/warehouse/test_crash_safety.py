"""A load killed half-way leaves the warehouse as it was before that load."""
import gc
import os
import signal
import subprocess
import sys
import textwrap

from tests.fixtures.batches import snapshot
from warehouse.loader import connect

KILLED_LOADER = textwrap.dedent(
    """
    import sys, time
    from tests.fixtures.batches import batch_for
    from warehouse.loader import connect, ensure_schema, load_years
    from tests.fixtures.in_memory import ingest
    from tests.fixtures.in_memory import normalise_all
    from tests.conftest import SAMPLE_FILES

    docs, _ = normalise_all(ingest(SAMPLE_FILES).documents)
    batch = batch_for(docs, 2023)
    batch.cells = batch.cells.with_columns(printed=batch.cells["printed"] + "-reloaded")

    class SlowConnection:
        # the loader sees a connection that stalls in the middle of its transaction
        def __init__(self, con):
            self.con = con
        def register(self, name, frame):
            return self.con.register(name, frame)
        def unregister(self, name):
            return self.con.unregister(name)
        def execute(self, sql, *args):
            out = self.con.execute(sql, *args)
            if sql.lstrip().startswith("INSERT INTO fact_application"):
                print("MIDWAY", flush=True)
                time.sleep(60)
            return out

    for attempt in range(60):  # the test's own connection may take a moment to let go of the file
        try:
            con = connect(sys.argv[1])
            break
        except Exception as exc:
            if "lock" not in str(exc).lower():
                raise
            time.sleep(0.5)
    load_years(SlowConnection(con), batch)
    """
)


def test_killing_a_load_midway_leaves_the_warehouse_unchanged(tmp_path):
    from tests.conftest import SAMPLE_FILES
    from tests.fixtures.batches import batch_for
    from tests.fixtures.in_memory import ingest, normalise_all
    from warehouse.loader import ensure_schema, load_years

    path = tmp_path / "w.duckdb"
    docs, _ = normalise_all(ingest(SAMPLE_FILES).documents)
    with connect(path) as con:
        ensure_schema(con)
        load_years(con, batch_for(docs, 2023))
        load_years(con, batch_for(docs, 2024))
        before = snapshot(con)
    gc.collect()  # no relation of ours keeps the database open in this process
    err = tmp_path / "loader.err"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", KILLED_LOADER, str(path)], stdout=subprocess.PIPE, stderr=stderr,
                                text=True, cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        line = proc.stdout.readline().strip()  # blocks until the loader is midway (or dies)
        if line != "MIDWAY":
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError(f"the loader did not get midway: it printed {line!r}; {err.read_text()[-2000:]}")
        proc.send_signal(signal.SIGKILL)  # facts of 2023 deleted, half re-inserted
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with connect(path, read_only=True) as con:
        assert snapshot(con) == before
        assert con.execute("SELECT count(*) FROM v_disclosure_facts WHERE printed LIKE '%-reloaded'").fetchone() == (0,)
