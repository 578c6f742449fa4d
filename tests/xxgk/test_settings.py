"""The settings: one rule of precedence, a bad value said in one line, and the docs' table made
from the declarations (xxgk/settings.py)."""
from dataclasses import fields
from pathlib import Path

import pytest

from assets.deployment import PROJECT_ROOT, Deployment
from xxgk import SAMPLES_DIR
from xxgk.budget import Budget
from xxgk.settings import DEFAULTS, FOLDERS, Settings, SettingsError, variable_of

HEADER = "| variable | default | what |"


def test_an_argument_over_a_variable_over_the_recorded_over_the_default():
    recorded = {"inbox": "/recorded", "staging": "/recorded/staging", "max_pages": 40, "database": "w.duckdb"}
    environ = {"XXGK_STAGING": "/env/staging", "XXGK_WORKERS": "3", "XXGK_MAX_PIXELS": "7.5", "PATH": "/bin"}
    settings = Settings.resolve(recorded, environ, inbox="/argument", workers=None)  # None: not given
    assert settings.inbox == "/argument"  # the argument over the recorded one
    assert settings.staging == "/env/staging"  # the variable over the recorded one
    assert settings.workers == 3 and settings.max_megapixels == 7.5  # variables (one named otherwise than its field)
    assert settings.max_pages == 40  # recorded, no variable
    assert settings.shard_size == DEFAULTS.shard_size == 1000 and settings.archive is None  # neither: the default
    assert Settings.resolve({}, {"XXGK_INBOX": ""}).inbox == str(SAMPLES_DIR)  # an empty variable is not set


def test_a_warehouse_resolves_its_settings_by_the_same_rule(tmp_path):
    """assets/deployment.py: the folders default to the warehouse's folder; the inbox is made absolute."""
    database = tmp_path / "w" / "xxgk.duckdb"
    deployment = Deployment(database, {"inbox": "/recorded", "data_docs_enabled": False, "overview": "/o"},
                            {"XXGK_OVERVIEW": "/env/o", "XXGK_FOLLOW_OUTSIDE_LINKS": "1"})
    values = deployment.values(inbox=str(tmp_path / "in"))
    assert values["inbox"] == str(tmp_path / "in")
    assert values["overview"] == "/env/o" and values["follow_outside_links"] is True
    assert values["data_docs_enabled"] is False
    assert values["staging"] == str(database.parent / "staging") and values["archive"] == str(database.parent / "archive")
    assert deployment.to_record(values) == {"inbox": str(tmp_path / "in"), "database": "xxgk.duckdb",
                                            "follow_outside_links": True, "data_docs_enabled": False, "overview": "/env/o"}


@pytest.mark.parametrize("environ, message", [
    ({"XXGK_MAX_PAGES": "many"},
     "XXGK_MAX_PAGES='many' is not a valid setting: input should be a valid integer, unable to parse string as an integer"),
    ({"XXGK_MAX_PIXELS": "0"}, "XXGK_MAX_PIXELS='0' is not a valid setting: input should be greater than 0"),
    ({"XXGK_DATA_DOCS_ENABLED": "maybe"},
     "XXGK_DATA_DOCS_ENABLED='maybe' is not a valid setting: input should be a valid boolean, unable to interpret input"),
])
def test_a_bad_value_is_one_line_naming_its_variable(environ, message):
    with pytest.raises(SettingsError) as raised:
        Settings.resolve({}, environ)
    assert str(raised.value) == message


def test_importing_reads_nothing_and_the_budget_defaults_are_the_settings(monkeypatch):
    monkeypatch.setenv("XXGK_MAX_PAGES", "3")
    assert DEFAULTS.max_pages == 500 and Settings().max_pages == 3  # DEFAULTS: no variable read
    assert {f.name: f.default for f in fields(Budget)} == {f.name: getattr(DEFAULTS, f.name) for f in fields(Budget)}
    assert variable_of("max_pages") == "XXGK_MAX_PAGES" and variable_of("max_megapixels") == "XXGK_MAX_PIXELS"


# the defaults the docs say otherwise than their values
SHOWN = {"warehouse": "`warehouse/`", "inbox": "the warehouse's inbox, else `xxgk/samples/` (the six bundled reports)",
         "max_file_mb": f"{DEFAULTS.max_file_mb} (MB: 1 MB = 1,000,000 bytes)", "workers": "one per core",
         "max_megapixels": f"{DEFAULTS.max_megapixels:g} (million pixels)",
         **{name: f"`{name}/` in the warehouse's folder" for name in FOLDERS}}


def _row(name: str) -> str:
    field, default = Settings.model_fields[name], Settings.model_fields[name].default
    shown = SHOWN.get(name) or (str(int(default)) if isinstance(default, bool) else f"{default:g}"
                                if isinstance(default, float) else str(default))
    return f"| `{variable_of(name)}` | {shown} | {field.description} |"


def _table(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(HEADER) + 2
    return lines[start:next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))]


def test_the_operations_table_is_the_settings():
    """docs/operations.md lists every setting, as declared; the README's rows are some of those rows."""
    table = _table((PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8"))
    expected = [_row(name) for name in Settings.model_fields]
    assert table == expected, "docs/operations.md's settings table should be:\n" + "\n".join([HEADER, "|---|---|---|", *expected])
    readme = _table((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme and set(readme) <= set(expected), set(readme) - set(expected)


def test_the_folders_are_beside_the_warehouse_unless_set():
    settings = Settings.resolve({}, {"XXGK_ARCHIVE": "~/kept"}).beside(Path("/data/w/xxgk.duckdb"))
    assert settings.archive == "~/kept" and settings.staging == "/data/w/staging" and settings.data_docs == "/data/w/data_docs"
