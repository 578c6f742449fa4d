import datetime as _dt

from dagster import StaticPartitionsDefinition

from xxgk.normalise import FIRST_STANDARD_YEAR

# Statistics years, from the first year of the standard tables to the current year.
year_partitions = StaticPartitionsDefinition(
    [str(y) for y in range(FIRST_STANDARD_YEAR, _dt.date.today().year + 1)]
)
