"""Configuration, from environment variables with defaults that work out of the box."""
from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from xxgk import SAMPLES_DIR

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "xxgk.duckdb"


class InboxResource(ConfigurableResource):
    """Where the reports arrive, and how big a file may be."""

    path: str
    max_file_mb: int = 50

    @property
    def folder(self) -> Path:
        return Path(self.path).expanduser()

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def inbox_from_env() -> InboxResource:
    return InboxResource(
        path=os.environ.get("XXGK_INBOX") or str(SAMPLES_DIR),
        max_file_mb=int(os.environ.get("XXGK_MAX_FILE_MB") or 50),
    )


class ProcessingResource(ConfigurableResource):
    """How documents are processed: where the stages keep their stores, in how many processes,
    and which share of the PDFs is read by both readers to verify the fast one."""

    staging: str
    workers: int = 0  # worker processes per stage; 0 = one per core
    verify_share: float = 0.02
    keep_stores: int = 3  # inbox stores kept on disk (older ones are removed)

    @property
    def worker_count(self) -> int:
        from xxgk.parallel import worker_count

        return worker_count(self.workers)

    @property
    def folder(self) -> Path:
        return Path(self.staging).expanduser()


def processing_from_env() -> ProcessingResource:
    return ProcessingResource(
        staging=os.environ.get("XXGK_STAGING") or str(warehouse_path_from_env().parent / "staging"),
        workers=int(os.environ.get("XXGK_WORKERS") or 0),
        verify_share=float(os.environ.get("XXGK_VERIFY_SHARE") or 0.02),
    )


def warehouse_path_from_env() -> Path:
    return Path(os.environ.get("XXGK_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser()


def warehouse_from_env() -> DuckDBResource:
    return DuckDBResource(database=str(warehouse_path_from_env()))


class DataDocsResource(ConfigurableResource):
    """Where Great Expectations writes its HTML Data Docs (one folder per year)."""

    path: str
    enabled: bool = True


def data_docs_from_env() -> DataDocsResource:
    return DataDocsResource(
        path=os.environ.get("XXGK_DATA_DOCS") or str(warehouse_path_from_env().parent / "data_docs"),
        enabled=(os.environ.get("XXGK_DATA_DOCS_ENABLED", "1") not in ("0", "false", "no")),
    )
