"""The README is the front door, under 250 lines; the documents it leads to name only files that
exist (a path the docs name that moved or went is a broken promise)."""
import re

import pytest

from assets.resources import PROJECT_ROOT

DOCS = ["README.md", "docs/architecture.md", "docs/operations.md", "docs/warehouse.md", "benchmarks/README.md"]
SOURCE = ("xxgk", "tests", "pipelines", "assets", "warehouse", "expectations", "benchmarks", "docs", "bi", ".ci")
# what a run makes, not the source: files and folders of a warehouse, the stages' stores
MADE_BY_RUNS = {"staging", "data_docs", "overview", "archive", "export", "dagster_home", "steps"}
MADE_SUFFIXES = (".duckdb", ".html", ".parquet", ".xlsx", ".csv")


def named_paths(text: str) -> set[str]:
    """The repository paths a document names: in backticks, or as the target of a link."""
    found = set()
    for token in re.findall(r"`([^`\s]+)`", text) + re.findall(r"\]\(([^)\s]+)\)", text):
        token = token.split("#")[0].split("::")[0].rstrip("/.,:;")
        if "<" in token or "*" in token or "$" in token or "://" in token or "=" in token:
            continue
        if token.startswith(SOURCE) and "/" in token:
            found.add(token)
    return found


def _made_by_runs(path: str) -> bool:
    parts = path.split("/")
    return bool(MADE_BY_RUNS & set(parts)) or path.endswith(MADE_SUFFIXES) or parts[-1] == "xxgk.yaml"


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_the_docs_name_exists(doc):
    text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
    here = (PROJECT_ROOT / doc).parent
    missing = []
    for path in sorted(named_paths(text)):
        if _made_by_runs(path):
            continue
        if not ((PROJECT_ROOT / path).exists() or (here / path).exists()):
            missing.append(path)
    assert not missing, f"{doc} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_between_the_docs_resolves(doc):
    text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
    here = (PROJECT_ROOT / doc).parent
    broken = [t for t in re.findall(r"\]\(([^)\s#]+)", text) if "://" not in t and not (here / t).exists()]
    assert not broken, broken


def test_the_readme_is_a_front_door():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    for doc in DOCS[1:]:
        assert f"]({doc})" in readme, doc  # it leads to each
    for command in ("make run", "make test", "make ui WAREHOUSE=", "xxgk run --inbox", "xxgk home --warehouse"):
        assert command in readme, command


def test_the_dated_benchmark_tables_live_with_the_benchmarks():
    """Figures measured on a date are in benchmarks/README.md, not in the documents that say how things work."""
    for doc in DOCS[:4]:
        text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
        assert not re.search(r"(Measured|measured) here \(\d", text), doc
    assert "measured here" in (PROJECT_ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8").lower()
