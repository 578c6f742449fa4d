"""The Dagster instance `xxgk run` works against: DAGSTER_HOME when set, else the project folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# the instance's settings as the wheel ships them (the project root's dagster.yaml links to this file)
PACKAGED_CONFIG = Path(__file__).with_name("dagster.yaml")


def dagster_home() -> Path:
    """DAGSTER_HOME when set, else the project folder (the source tree, or, installed from a
    wheel, the folder xxgk runs in); nothing is written to os.environ."""
    from assets.resources import PROJECT_ROOT  # here, not above: `xxgk run` may not need Dagster at all

    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT)


def open_instance():
    from dagster import DagsterInstance

    home = dagster_home()
    if not os.environ.get("DAGSTER_HOME") and not (home / "dagster.yaml").exists():
        # installed from a wheel, the default home has no settings yet: the project's own (telemetry off,
        # one warehouse writer at a time), where Dagster's own commands run in that folder find them too
        shutil.copyfile(PACKAGED_CONFIG, home / "dagster.yaml")
    return DagsterInstance.from_config(str(home))
