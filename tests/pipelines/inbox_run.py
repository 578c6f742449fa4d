"""`xxgk run` over an inbox into a warehouse of its own, with its own Dagster home: the set-up
every end-to-end test of an inbox shares."""
import io
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main


def run_inbox(root: Path, inbox: Path, **settings: str) -> tuple[str, str]:
    """Load `inbox` with `xxgk run` (Data Docs off; `settings`: further XXGK_* variables, by
    name without the prefix). Returns the warehouse path and what the run printed."""
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    warehouse = str(root / "w.duckdb")
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": warehouse, "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS_ENABLED": "0", **{f"XXGK_{k.upper()}": v for k, v in settings.items()}}
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        with redirect_stdout(out):
            assert main(["run"]) == 0
    return warehouse, out.getvalue()
