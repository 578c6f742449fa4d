"""Configuration comes through Dagster resources fed by EnvVar, with defaults; nothing is read at import."""
import subprocess
import sys

import pytest
from dagster import EnvVar

from assets.resources import DEFAULT_WAREHOUSE, InboxResource, default_resources
from tests.fixtures.run_config import run_config
from xxgk import SAMPLES_DIR
from xxgk.documents import DocumentRejected, read_document

TRACK_IMPORTS = """
import os, sys
read = []
PROJECT = ("/pipelines/", "/assets/", "/xxgk/", "/expectations/", "/warehouse/")
def note(key):  # a read by the project's own code (Dagster copying the whole environment is not one)
    caller = sys._getframe(2).f_code.co_filename
    if any(part in caller for part in PROJECT) and "site-packages" not in caller:
        read.append(key)
class Tracking(type(os.environ)):
    def __getitem__(self, key):
        note(key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        note(key)
        return super().get(key, default)
    def __contains__(self, key):
        note(key)
        return super().__contains__(key)
os.environ = Tracking(os.environ._data, os.environ.encodekey, os.environ.decodekey, os.environ.encodevalue, os.environ.decodevalue)
import pipelines.definitions, pipelines.cli, assets.resources, assets.quality, assets.warehouse
print(sorted(set(read)))
"""


def test_importing_the_code_location_reads_no_configuration():
    env = {"PATH": "/usr/bin:/bin", "XXGK_INBOX": "/nowhere", "XXGK_WAREHOUSE": "/nowhere/w.duckdb"}
    out = subprocess.run([sys.executable, "-c", TRACK_IMPORTS], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _resolved(resources: dict, config: dict | None = None):
    """The resources as a run sees them (Dagster resolves EnvVars and launch config)."""
    from dagster import build_resources

    return build_resources(resources, resource_config=(config or {}).get("resources", {}))


def test_defaults_without_any_variable(monkeypatch):
    for name in ("XXGK_INBOX", "XXGK_WAREHOUSE", "XXGK_STAGING", "XXGK_DATA_DOCS", "XXGK_MAX_FILE_MB", "XXGK_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    with _resolved(default_resources()) as r:
        assert r.inbox.path == str(SAMPLES_DIR) and r.inbox.max_file_mb == 50
        assert r.duckdb.database == str(DEFAULT_WAREHOUSE)
        assert r.staging.url == str(DEFAULT_WAREHOUSE.parent / "staging")
        assert r.data_docs.path == str(DEFAULT_WAREHOUSE.parent / "data_docs")


def test_variables_become_env_vars_that_dagster_resolves_at_launch(monkeypatch, tmp_path):
    """Settings are EnvVars resolved when a run starts; the warehouse is not: the code location
    serves one warehouse, whose Dagster instance it runs on (assets/deployment.py)."""
    monkeypatch.setenv("XXGK_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("XXGK_MAX_FILE_MB", "7")
    monkeypatch.setenv("XXGK_INBOX", str(tmp_path / "in"))
    monkeypatch.delenv("XXGK_STAGING", raising=False)
    monkeypatch.delenv("XXGK_ARCHIVE", raising=False)
    resources = default_resources()
    assert isinstance(resources["duckdb"].archive, EnvVar) is False  # (XXGK_ARCHIVE unset: beside the warehouse)
    assert resources["duckdb"].database == str(tmp_path / "w.duckdb")
    monkeypatch.setenv("XXGK_INBOX", str(tmp_path / "later"))  # what counts is the value when the run starts
    monkeypatch.setenv("XXGK_WAREHOUSE", str(tmp_path / "later.duckdb"))  # not for the warehouse: fixed at load
    with _resolved(resources) as r:
        assert r.inbox.path == str(tmp_path / "later")
        assert r.duckdb.database == str(tmp_path / "w.duckdb")
        assert r.inbox.max_bytes == 7_000_000
        assert r.staging.url == str(tmp_path / "staging")  # beside the warehouse named when the location loaded


def test_run_config_moves_staging_and_data_docs_with_the_warehouse(monkeypatch, tmp_path):
    monkeypatch.delenv("XXGK_STAGING", raising=False)
    monkeypatch.delenv("XXGK_OVERVIEW", raising=False)
    monkeypatch.setenv("XXGK_DATA_DOCS", str(tmp_path / "docs"))
    config = run_config(inbox=tmp_path / "in", warehouse=tmp_path / "out" / "w.duckdb")
    with _resolved(default_resources(), config) as r:
        assert r.inbox.path == str(tmp_path / "in")
        assert r.duckdb.database == str(tmp_path / "out" / "w.duckdb")
        assert r.staging.url == str(tmp_path / "out" / "staging")
        assert r.data_docs.path == str(tmp_path / "docs")  # named by its variable: stays
    assert run_config() == {}


def test_the_size_limit_is_in_one_unit_everywhere(tmp_path):
    """50 MB means 50,000,000 bytes: in the resource, the reason a file is rejected, and the README."""
    assert InboxResource(max_file_mb=50).max_bytes == 50_000_000
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        fh.truncate(62_900_000)  # sparse: no disk used
    with pytest.raises(DocumentRejected, match=r"^file too large: 62.9 MB over the 50 MB limit \(XXGK_MAX_FILE_MB\)$"):
        read_document(big, max_bytes=InboxResource().max_bytes)
    from assets.resources import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `XXGK_MAX_FILE_MB` | 50 (MB: 1 MB = 1,000,000 bytes) |" in readme
    assert "MiB" not in readme


def test_the_source_archive_sits_beside_the_warehouse_unless_configured(monkeypatch, tmp_path):
    from dagster import build_resources

    monkeypatch.delenv("XXGK_ARCHIVE", raising=False)
    monkeypatch.setenv("XXGK_WAREHOUSE", str(tmp_path / "w.duckdb"))
    with build_resources(default_resources()) as built:
        assert built.duckdb.archive_folder == tmp_path / "archive"
    with build_resources(default_resources(), resource_config=run_config(warehouse=tmp_path / "other" / "w.duckdb")["resources"]) as built:
        assert built.duckdb.archive_folder == tmp_path / "other" / "archive"  # moves with --warehouse
    monkeypatch.setenv("XXGK_ARCHIVE", str(tmp_path / "kept"))
    with build_resources(default_resources()) as built:
        assert built.duckdb.archive_folder == tmp_path / "kept"


def test_the_defs_folder_holds_the_assets_with_their_resources():
    """assets/ is the code location's defs folder, as the Dagster project template has it:
    Dagster's own loader finds there every asset, every check and the resources beside them
    (no list of modules); the assets import no module of pipelines (lint-imports: layers)."""
    import tomllib

    from dagster import ComponentTree

    import assets
    from assets.resources import PROJECT_ROOT
    from pipelines.definitions import build_definitions

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]
    layers = project["importlinter"]["contracts"][0]["layers"]
    assert layers[:2] == ["pipelines", "assets"]  # two layers: pipelines above, assets below
    found = ComponentTree.from_module(defs_module=assets, project_root=PROJECT_ROOT).build_defs()
    keys = {k.to_user_string() for k in found.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"raw_documents", "normalised_documents", "rejected_documents", "report_tables", "checked_facts",
                    "warehouse_facts", "annual_overview"}
    assert set(found.resources) == {"inbox", "staging", "processing", "duckdb", "data_docs", "overview"}
    # a group per stage, in the order the data flows
    graph = found.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {"raw_documents": "ingestion", "normalised_documents": "normalisation", "report_tables": "extraction",
                      "checked_facts": "quality", "warehouse_facts": "warehouse", "rejected_documents": "warehouse",
                      "annual_overview": "reporting"}
    assert all(graph.get(k).kinds for k in graph.get_all_asset_keys())
    checks = {k.name for k in found.resolve_asset_graph().asset_check_keys}
    assert {"cells_well_formed", "T3_BALANCE", "XY_CARRY", "extraction_complete"} <= checks
    # the code location adds the jobs, schedule, sensors and the IO manager over the staging resource
    defs = build_definitions()
    assert set(defs.resources) == set(found.resources) | {"io_manager"}
    assert {j.name for j in defs.jobs} == {"xxgk_inbox", "xxgk_year", "xxgk_annual"}
