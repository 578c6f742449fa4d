import datetime as _dt
from collections.abc import Iterable

from dagster import DagsterInstance, DynamicPartitionsDefinition

from xxgk.normalise import FIRST_STANDARD_YEAR

# The statistics years the inbox has held reports of: reading the inbox adds each year it
# finds (normalised_documents), the annual schedule adds the year it loads. A fixed set from
# 2019 to this year made every year nobody has reports of a "missing" partition, and the
# asset graph showed the year assets grey (not materialized) although the loaded years were.
year_partitions = DynamicPartitionsDefinition(name="year")


def statistics_years(today: _dt.date | None = None) -> list[int]:
    """The years a report can be of: from the first year of the standard tables to this year."""
    return list(range(FIRST_STANDARD_YEAR, (today or _dt.date.today()).year + 1))


def add_years(instance: DagsterInstance, years: Iterable[int | str]) -> list[str]:
    """Make these years partitions of the year assets (those that are not yet); the ones added."""
    have = set(instance.get_dynamic_partitions(year_partitions.name))
    new = sorted({str(y) for y in years} - have)
    if new:
        instance.add_dynamic_partitions(year_partitions.name, new)
    return new
