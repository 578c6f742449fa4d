"""The code location with Dagster's multiprocess executor (a process per step), for the test."""
from dagster import multiprocess_executor

from pipelines.definitions import build_definitions

defs = build_definitions(executor=multiprocess_executor)
