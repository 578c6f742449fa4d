"""A warehouse is a deployment: one folder holds the DuckDB file, the stages' stores, the
archive, the Data Docs, the overview pages, its own Dagster instance and the settings it was
made with; whatever runs for that warehouse (`xxgk run`, `xxgk ui` and its daemon, a backfill,
the schedule, the sensors) reads them from there, so it reads the same inbox and writes the
same file.

    <folder>/                  warehouse/ in the project (the default), or any folder: ~/xxgk/
      xxgk.yaml                the settings: its inbox, its DuckDB file, paths set elsewhere
      xxgk.duckdb              the writer's file;  xxgk.published.duckdb  the copy readers open
      staging/ archive/ data_docs/ overview/ export/
      dagster_home/            its Dagster instance (DAGSTER_HOME): dagster.yaml, run history,
                               schedules, sensor cursors, compute logs; `xxgk-warehouse` in it
                               names the DuckDB file it serves

A warehouse is named by its folder, or by its DuckDB file (whose folder is the deployment's).
Its settings: xxgk/settings.py's rule, xxgk.yaml the recorded ones. Nothing here imports Dagster.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from xxgk.settings import DEFAULTS, Settings, variable_of

_SOURCE_TREE = Path(__file__).resolve().parents[1]
# The project folder: the source tree (pyproject.toml, dagster.yaml) when run from one (`make`, an
# editable install); installed from a wheel, the folder xxgk runs in (the packages sit in site-packages)
PROJECT_ROOT = _SOURCE_TREE if (_SOURCE_TREE / "pyproject.toml").is_file() else Path.cwd()
DEFAULT_FOLDER = PROJECT_ROOT / "warehouse"
DATABASE = "xxgk.duckdb"  # the DuckDB file of a warehouse named by its folder
SETTINGS_FILE = "xxgk.yaml"
HOME_FOLDER = "dagster_home"
HOME_POINTER = "xxgk-warehouse"  # in a Dagster home: the DuckDB file of the warehouse it serves
DATABASE_SUFFIXES = (".duckdb", ".db", ".ddb")
WAREHOUSE_HELP = f"the warehouse: its folder or its DuckDB file (default: ${variable_of('warehouse')}, else warehouse/)"

# What `xxgk run` records in xxgk.yaml besides the inbox (where its runs read and write; any setting there is read)
RECORDED = ("follow_outside_links", "staging", "archive", "data_docs", "data_docs_enabled", "overview")


class DeploymentError(Exception):
    """Two warehouses would share one Dagster instance, or one folder; the message says which, in one line."""


def database_of(given: str | Path) -> Path:
    """The DuckDB file that a --warehouse (or XXGK_WAREHOUSE) names: a folder names the file its
    settings record (xxgk.duckdb in a new one); a DuckDB file (an existing file, or a name ending
    in .duckdb, .db or .ddb) names itself."""
    path = Path(given).expanduser().resolve()
    if path.is_dir() or (not path.exists() and path.suffix.lower() not in DATABASE_SUFFIXES):
        return path / str(read_settings(path).get("database") or DATABASE)
    return path


def read_settings(folder: Path) -> dict:
    """The settings recorded in `folder` ({} when there are none)."""
    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise DeploymentError(f"cannot read the settings of the warehouse {folder}: {path}: {error}") from None
    if not isinstance(data, dict):
        raise DeploymentError(f"cannot read the settings of the warehouse {folder}: {path} is not a mapping of settings")
    return data


HEADER = """\
# The settings of this warehouse, written by `xxgk run` (and `xxgk ui`, `xxgk home`) and read by
# everything that runs for it: `xxgk run`, `xxgk ui` and its daemon, backfills, the schedule and
# the sensors. `xxgk run --inbox DIR --warehouse {folder}` changes the inbox; a variable that is
# set (XXGK_INBOX, XXGK_STAGING, …) is used instead of the setting, and `xxgk run` records it.
"""


def write_settings(folder: Path, settings: Mapping) -> Path:
    """Record `settings` in `folder` (written whole under a temporary name, then renamed)."""
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SETTINGS_FILE
    text = HEADER.format(folder=folder) + yaml.safe_dump(dict(settings), allow_unicode=True, sort_keys=False)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    _write_whole(path, text)
    return path


def _write_whole(path: Path, text: str) -> None:
    """`text` into `path`, written under a temporary name (the umask's permissions) and renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def home_warehouse(home: Path) -> Path | None:
    """The DuckDB file of the warehouse whose instance `home` is, if it is bound to one."""
    pointer = Path(home) / HOME_POINTER
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


@dataclass(frozen=True)
class Deployment:
    """One warehouse: its DuckDB file (whose folder holds the rest) and its recorded settings."""

    database: Path
    settings: Mapping = field(default_factory=dict)
    environ: Mapping = field(default_factory=dict, compare=False, repr=False)

    @property
    def folder(self) -> Path:
        return self.database.parent

    @property
    def settings_file(self) -> Path:
        return self.folder / SETTINGS_FILE

    @property
    def own_home(self) -> Path:
        return self.folder / HOME_FOLDER

    @property
    def home(self) -> Path:
        """Its Dagster instance: DAGSTER_HOME when set, else the one its settings record, else its own."""
        given = self.environ.get("DAGSTER_HOME")
        if given:
            return Path(given).expanduser().resolve()
        recorded = self.settings.get("dagster_home")
        return Path(str(recorded)).expanduser().resolve() if recorded else self.own_home

    def effective(self, **explicit) -> Settings:
        """The settings in effect for this warehouse (`explicit`: the command line's), its folders
        beside its DuckDB file unless set elsewhere."""
        return Settings.resolve(self.settings, self.environ, warehouse=str(self.database), **explicit).beside(self.database)

    def values(self, **explicit) -> dict:
        return self.effective(**explicit).model_dump()

    def to_record(self, values: Mapping) -> dict:
        """What xxgk.yaml records of `values`: the inbox and the DuckDB file always; the other
        settings where they differ from the defaults; the Dagster home where it is not its own."""
        record = {"inbox": values["inbox"], "database": self.database.name}
        defaults = DEFAULTS.beside(self.database)
        record.update({name: values[name] for name in RECORDED if values[name] != getattr(defaults, name)})
        if self.home != self.own_home:
            record["dagster_home"] = str(self.home)
        return record

    def check_home(self) -> None:
        """One Dagster instance serves one warehouse: a home bound to another one is refused."""
        serves = home_warehouse(self.home)
        # its own home (dagster_home/ in its folder) is its, whatever it names: the folder was moved
        if serves is not None and serves != self.database and self.home != self.own_home:
            raise DeploymentError(
                f"the Dagster home {self.home} is the instance of the warehouse {serves}, not of {self.database}: "
                f"each warehouse keeps its own (runs, partitions and checks of two would mix in one UI); "
                + (f"unset DAGSTER_HOME, or set it to {self.own_home}" if self.environ.get("DAGSTER_HOME")
                   else f"name the warehouse {serves.parent} to use it"))

    def bind_home(self) -> None:
        """Record in the home which warehouse it serves (after check_home)."""
        self.check_home()
        pointer = self.home / HOME_POINTER
        if home_warehouse(self.home) == self.database:
            return
        self.home.mkdir(parents=True, exist_ok=True)
        _write_whole(pointer, f"{self.database}\n")


def locate(warehouse: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Deployment:
    """The warehouse that `warehouse` (the command line's) names, else XXGK_WAREHOUSE, else the
    one whose instance DAGSTER_HOME is, else the default (warehouse/ in the project folder)."""
    environ = os.environ if environ is None else environ
    given = warehouse or environ.get(variable_of("warehouse"))
    if given:
        database = database_of(given)
    else:
        home = environ.get("DAGSTER_HOME")
        database = home_warehouse(Path(home).expanduser()) if home else None
        database = database or database_of(DEFAULT_FOLDER)
    return Deployment(database=database, settings=read_settings(database.parent), environ=dict(environ))
