"""Every setting of xxgk, declared once: type, default, variable (XXGK_ and the name in capitals
unless the field says otherwise) and its line in docs/operations.md (tests/xxgk/test_settings.py).
One rule: an explicit argument (`--inbox`), else the variable, else what the warehouse recorded
(its xxgk.yaml: assets/deployment.py), else the default. The core names a setting by its field;
`variable_of` gives the variable, for the messages users read."""
from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, InitSettingsSource, SettingsConfigDict

from xxgk import SAMPLES_DIR

MB = 1_000_000  # file sizes are decimal megabytes everywhere: the limit, the rejection reason, the docs
FOLDERS = ("staging", "archive", "data_docs", "overview")  # each beside the warehouse's DuckDB file unless set


def _setting(default, what: str, **checks):
    return Field(default, description=what, **checks)


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names its variable, in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XXGK_", env_ignore_empty=True, extra="ignore", frozen=True, validate_by_name=True)

    warehouse: str | None = _setting(None, "the warehouse: a folder (its DuckDB file `xxgk.duckdb`) or a DuckDB file, whose "
                                     "folder is the warehouse's (`--warehouse`)")
    inbox: str = _setting(str(SAMPLES_DIR), "the folder of reports, read recursively, or one report file (`--inbox`)")
    follow_outside_links: bool = _setting(False, "1: follow links in the inbox that point outside it (`--follow-outside-links`)")
    staging: str | None = _setting(None, "the stages' Parquet stores, one folder per inbox (a local folder, or an fsspec URL such as "
                                   "`s3://bucket/prefix`)")
    archive: str | None = _setting(None, "every loaded document's bytes, by sha256")
    data_docs: str | None = _setting(None, "Great Expectations Data Docs, a folder per year")
    data_docs_enabled: bool = _setting(True, "0: no Data Docs")
    overview: str | None = _setting(None, "the annual overview pages")
    max_file_mb: int = _setting(50, "larger files are rejected, not read", gt=0)
    workers: int = _setting(0, "worker processes of each stage (reading, OCR, normalising, extracting)", ge=0)
    shard_size: int = _setting(1000, "files (reading) or documents (normalising, extracting) per Dagster step", gt=0)
    verify_share: float = _setting(0.02, "share of PDFs read by both PDF readers and compared", ge=0, le=1)
    # what one document may cost (xxgk.budget): over it, the document is rejected saying which limit
    max_pages: int = _setting(500, "a PDF with more pages is rejected before its pages are read", gt=0)  # real reports: 5-60
    max_megapixels: float = _setting(100.0, "a page that would render larger for OCR (at 200 dpi), or a PDF with a larger image, is "
                                     "rejected before anything renders it", gt=0, validation_alias="XXGK_MAX_PIXELS")  # A0: 62 Mpx
    max_inflated_mb: int = _setting(512, "a PDF whose streams decode to more, or a `.docx` whose zipped parts inflate to more, is "
                                    "rejected, at any file size", gt=0)
    max_html_mb: int = _setting(8, "a web page with more markup, once inline images, scripts, styles and comments are taken out, "
                                "is rejected", gt=0)
    worker_memory_mb: int = _setting(2048, "address space of each worker process (`RLIMIT_AS`); 0: no limit", ge=0)
    document_seconds: float = _setting(300.0, "wall time of one document in one stage; 0: no limit", ge=0)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        # no .env file, no secrets: the environment given (`xxgk ui`'s leaves out what xxgk.yaml records), then xxgk.yaml
        environ, recorded = _GIVEN.get() or (os.environ, {})
        env_settings.env_vars = {k.lower(): v for k, v in environ.items() if v != ""}
        return init_settings, env_settings, InitSettingsSource(settings_cls, dict(recorded))

    @classmethod
    def resolve(cls, recorded: Mapping | None = None, environ: Mapping[str, str] | None = None, **explicit) -> Settings:
        """`explicit` (None: not given) over `environ` (os.environ) over `recorded` (xxgk.yaml) over the defaults."""
        token = _GIVEN.set((os.environ if environ is None else environ,
                            {k: v for k, v in (recorded or {}).items() if v not in (None, "")}))
        try:
            return cls(**{k: v for k, v in explicit.items() if v is not None})
        except ValidationError as error:
            names = {field.validation_alias: name for name, field in cls.model_fields.items() if field.validation_alias}
            raise SettingsError("; ".join(
                f"{variable_of(names.get(e['loc'][0], e['loc'][0]))}={e['input']!r} is not a valid setting: "
                f"{e['msg'][:1].lower()}{e['msg'][1:]}" for e in error.errors())) from None
        finally:
            _GIVEN.reset(token)

    def beside(self, database: Path) -> Settings:
        """With each folder not set beside the DuckDB file `database`, and the inbox an absolute path."""
        folders = {name: str(Path(database).parent / name) for name in FOLDERS if getattr(self, name) is None}
        return self.model_copy(update={**folders, "inbox": str(Path(self.inbox).expanduser().resolve())})


# (environment, recorded settings) of the Settings being made: its sources are built by the class
_GIVEN: ContextVar[tuple[Mapping, Mapping] | None] = ContextVar("xxgk_settings_given", default=None)
DEFAULTS = Settings.model_construct()  # no variable read


def variable_of(name: str) -> str:
    """The variable that sets a setting: variable_of("max_pages") is "XXGK_MAX_PAGES"."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else Settings.model_config["env_prefix"] + name.upper()
