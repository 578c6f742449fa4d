"""The annual overview page of each statistics year, rendered from the warehouse after its load."""

from contextlib import closing
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from assets.partitions import year_partitions
from assets.resources import OverviewResource
from assets.warehouse import WRITER_POOL
from warehouse.loader import connect
from warehouse.statements import run
from warehouse.writer import readable_path
from xxgk.code_version import code_version
from xxgk.parallel import later


@asset(
    group_name="reporting",
    kinds={"duckdb", "html"},
    code_version=code_version("warehouse", "assets"),
    partitions_def=year_partitions,
    deps=["warehouse_facts"],
    # it only reads, but DuckDB lets no other process open the file while one writes it
    pool=WRITER_POOL,
    description="An offline HTML page per year (charts as inline SVG, nothing loaded from the network): totals by "
                "region and level, the agencies with most applications, the mix of results, the change against the "
                "year before, and the reports whose totals do not add up with their findings.",
)
def annual_overview(context: AssetExecutionContext, duckdb: DuckDBResource, overview: OverviewResource) -> MaterializeResult:
    from warehouse.overview import write_from

    year = int(context.partition_key)
    # read-only from the readers' copy that the load just published (as the summary and the export
    # do): the page never holds the writer's file, and a failure leaves no writing connection open.
    # Written by the helper process when `xxgk run` started one (xxgk.parallel.later): the next
    # year's load does not wait for the charts; the command waits for the pages before it ends.
    database = str(readable_path(duckdb.database))
    later(f"annual overview of {year}", write_from, database, str(overview.folder), year)
    page = overview.folder / f"{year}.html"
    with closing(connect(database, read_only=True)) as con:
        reports, findings = run(con, "overview/totals", [year]).fetchone()
    context.log.info(f"annual overview of {year}: {page}")
    return MaterializeResult(metadata={"page": MetadataValue.path(str(page)), "reports": reports or 0,
                                       "identity violations": int(findings or 0),
                                       "index": MetadataValue.path(str(Path(page).with_name("index.html")))})
