"""Configuration: Dagster resources built from the settings (xxgk/settings.py) of the warehouse
they serve (assets/deployment.py), beside the assets that use them (this package is the code
location's defs folder). Nothing here is read when the module is imported: `resources()` runs
when the code location loads, and Dagster resolves each EnvVar when a run starts."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from pathlib import Path

from dagster import ConfigurableResource, Definitions, EnvVar, InitResourceContext, definitions
from dagster_duckdb import DuckDBResource

from assets.deployment import DATABASE, DEFAULT_FOLDER, PROJECT_ROOT, Deployment, locate
from xxgk.budget import Budget
from xxgk.listing import inbox_key, stores_root  # noqa: F401 (inbox_key: where the stores' folder names were always asked for)
from xxgk.settings import DEFAULTS, MB, variable_of
from xxgk.staging import join, store_lock

__all__ = ["PROJECT_ROOT", "DEFAULT_WAREHOUSE"]  # (PROJECT_ROOT: the project folder, from assets.deployment)
DEFAULT_WAREHOUSE = DEFAULT_FOLDER / DATABASE


class InboxResource(ConfigurableResource):
    """Where the reports arrive (a folder, read recursively, or one file), how big a file may be,
    and whether links that lead out of the inbox are followed."""

    path: str = DEFAULTS.inbox
    max_file_mb: int = DEFAULTS.max_file_mb
    follow_outside_links: bool = DEFAULTS.follow_outside_links

    @property
    def folder(self) -> Path:
        return Path(self.path).expanduser()

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * MB


class ProcessingResource(ConfigurableResource):
    """How documents are processed: in how many processes, in shards of how many files (or
    documents) per Dagster step, which share of the PDFs is read by both readers to verify the
    fast one, and what one document may cost (each field is the setting of its name: xxgk/settings.py)."""

    workers: int = DEFAULTS.workers
    shard_size: int = DEFAULTS.shard_size
    verify_share: float = DEFAULTS.verify_share
    max_pages: int = DEFAULTS.max_pages
    max_megapixels: float = DEFAULTS.max_megapixels
    max_inflated_mb: int = DEFAULTS.max_inflated_mb
    max_html_mb: int = DEFAULTS.max_html_mb
    worker_memory_mb: int = DEFAULTS.worker_memory_mb
    document_seconds: float = DEFAULTS.document_seconds

    @property
    def budget(self) -> Budget:
        return Budget(**{limit.name: getattr(self, limit.name) for limit in fields(Budget)})

    @property
    def worker_count(self) -> int:
        from xxgk.parallel import worker_count

        return worker_count(self.workers)


class StagingResource(ConfigurableResource):
    """Where the stages keep their stores (XXGK_STAGING: a folder, or an fsspec URL such as
    s3://bucket/prefix): one folder per inbox (pipelines/io_manager.py says what is in it)."""

    url: str
    # (no `from __future__ import annotations` in this module: Dagster reads this annotation to
    # find the inbox resource a run configures)
    inbox: InboxResource  # the inbox these stores are of: another inbox's stores are kept apart

    @property
    def root(self) -> str:
        return stores_root(self.url, self.inbox.path)

    def folder(self, asset: str, partition: str | int | None = None) -> str:
        """The folder of an asset (and year): the IO manager writes its record there, and the
        stage writes its part files there."""
        return join(self.root, asset, *([f"year={partition}"] if partition is not None else []))

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator["StagingResource"]:
        """For the whole of a run (the in-process executor, this code location's, builds resources
        once per run; an executor of a process per step, once per step), the lock of the stores
        it writes (xxgk.staging.store_lock): a run that writes the inbox's
        stores (reading, normalising) holds them alone; a run of one year's assets shares them
        with the other years' runs and holds its year's folders alone. So a second run on the
        same inbox waits instead of clearing what the first reads. `xxgk run` holds the inbox's
        lock itself from start to end; the runs it executes in its process take it again freely."""
        run = context.run
        if run is None:  # built outside a run (the CLI reads its settings so)
            yield self
            return
        exclusive, partition = store_locks(run)
        who = f"run {run.run_id[:8]} ({run.job_name}{' ' + partition if partition else ''})"
        what = f"the stores of the inbox {self.inbox.path}"
        say = context.log.warning if context.log is not None else None
        with ExitStack() as locks:
            locks.enter_context(store_lock(self.root, exclusive=exclusive, what=what, who=who, say=say))
            if partition is not None:
                locks.enter_context(store_lock(self.root, f"year={partition}", what=f"{what}, year {partition}",
                                               who=who, say=say))
            yield self


# The assets partitioned by year: a run of these only reads the inbox's stores and writes its
# year's folders (tests/pipelines/test_concurrency.py checks the list against the definitions).
YEAR_ASSETS = frozenset({"report_tables", "checked_facts", "warehouse_facts", "annual_overview"})


def store_locks(run) -> tuple[bool, str | None]:
    """How a run (a DagsterRun) holds the inbox's stores: alone (True) unless it materializes
    year assets only; and the year whose folders it holds alone, if it has one."""
    selected = {key.to_user_string() for key in run.asset_selection} if run.asset_selection is not None else None
    years_only = selected <= YEAR_ASSETS if selected is not None else run.job_name == "xxgk_year"
    return not years_only, run.tags.get("dagster/partition")


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse, and the archive of the loaded documents' bytes beside it."""

    archive: str

    @property
    def archive_folder(self) -> Path:
        return Path(self.archive).expanduser()


class DataDocsResource(ConfigurableResource):
    """Where Great Expectations writes its HTML Data Docs (one folder per year)."""

    path: str
    enabled: bool = DEFAULTS.data_docs_enabled
    keep_validations: int = 5  # validation pages kept per year and suite (older runs' are removed)


class OverviewResource(ConfigurableResource):
    """Where the annual overview pages go (one HTML file per year, and index.html)."""

    path: str

    @property
    def folder(self) -> Path:
        return Path(self.path).expanduser()


def reading_key(inbox: InboxResource, processing: ProcessingResource) -> str:
    """What a document's reading depends on besides its bytes: the code, and the settings that
    change it (a file read with the same key, unchanged since, is not read again: xxgk.inbox)."""
    from xxgk.code_version import document_code, key

    return key("read", document_code(), inbox.max_bytes, processing.verify_share, processing.budget)


def normalising_key(inbox: InboxResource, processing: ProcessingResource, today) -> str:
    """The reading's key, and this year: a report's year is 'in the future' until it is not."""
    from xxgk.code_version import key

    return key("normalise", reading_key(inbox, processing), today.year)


# What the settings give each resource of a warehouse: a field, and its setting.
CONFIGURED = {"inbox": {"path": "inbox", "max_file_mb": "max_file_mb", "follow_outside_links": "follow_outside_links"},
              "staging": {"url": "staging"}, "duckdb": {"archive": "archive"},
              "data_docs": {"path": "data_docs", "enabled": "data_docs_enabled"}, "overview": {"path": "overview"}}


def default_resources(deployment: Deployment | None = None) -> dict[str, ConfigurableResource]:
    """The code location's resources, for the warehouse it serves (assets.deployment.locate:
    XXGK_WAREHOUSE, else the warehouse whose Dagster instance DAGSTER_HOME is, else the default),
    from its settings (xxgk/settings.py: a variable, else its xxgk.yaml, else the default). So a
    run launched with an empty run config -- a backfill, the schedule, a sensor, the UI's
    Materialize -- reads the inbox and writes the warehouse that `xxgk run` gave that instance.
    The warehouse itself is fixed when the location loads: the instance is its.
    """
    deployment = deployment or locate()
    deployment.check_home()  # a Dagster home bound to another warehouse: refused, in one line
    settings = deployment.effective()  # a variable with a bad value: refused here, in one line

    def given(name: str):
        # a variable that is set stays an EnvVar, which Dagster resolves (and shows) when a run
        # starts; it has no float or bool form: those are taken when the location loads
        value, variable = getattr(settings, name), variable_of(name)
        if not deployment.environ.get(variable) or isinstance(value, bool | float):
            return value
        return EnvVar.int(variable) if isinstance(value, int) else EnvVar(variable)

    config = {resource: {field: given(name) for field, name in fields.items()} for resource, fields in CONFIGURED.items()}
    # configured at launch (with these values unless a run says otherwise), so that the staging
    # resource, and the IO manager through it, see the inbox a run is given (the CLI's --inbox)
    inbox = InboxResource.configure_at_launch(**config["inbox"])
    return {
        "inbox": inbox,
        "staging": StagingResource.configure_at_launch(**config["staging"], inbox=inbox),
        "processing": ProcessingResource(**{name: given(name) for name in ProcessingResource.model_fields}),
        "duckdb": WarehouseResource(database=str(deployment.database), **config["duckdb"]),
        "data_docs": DataDocsResource(**config["data_docs"]),
        "overview": OverviewResource(**config["overview"]),
    }


def resources_config(deployment: Deployment, values: dict) -> dict:
    """Run config that gives a run every setting of a warehouse (`values`, Deployment.values):
    what `xxgk run` hands its runs, so that the UI shows what each used. Run config replaces the
    whole config of a resource built with values (unlike one configured at launch, whose values
    it completes): each such resource gets all its fields."""
    resources = {name: {"config": {field: values[setting] for field, setting in fields.items()}}
                 for name, fields in CONFIGURED.items()}
    resources["duckdb"]["config"]["database"] = str(deployment.database)
    return {"resources": resources}


@definitions
def resources() -> Definitions:
    """What the defs folder's loader (pipelines.definitions) finds here: the resources, built when the location loads."""
    return Definitions(resources=default_resources())
