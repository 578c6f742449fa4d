"""The version of the code that made a stage's results: a hash of its source, not a number a
person must remember to raise.

A result kept from an earlier run (a document read, normalised or extracted) is used again
only when it was made by the same code: :func:`code_version` hashes the packages' files
(their Python, the spec's CSV and text, the SQL) and the versions of the libraries that read
the documents, so an edit to any of them, or an upgrade, makes every result new again.
"""
from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the folder holding the packages (the source tree or site-packages)
SOURCE_SUFFIXES = (".py", ".csv", ".md", ".txt", ".sql", ".json", ".yaml")
# What reads and normalises a document, besides xxgk's own code: an upgrade can change what is read.
READING_LIBRARIES = ("pdfplumber", "pdfminer.six", "pypdfium2", "rapidocr", "onnxruntime", "opencc", "python-docx",
                     "lxml", "charset-normalizer", "polars")


@cache
def source_digest(package: str) -> str:
    """A hash of the files of one package (``xxgk``, ``expectations`` …): names and bytes, in order.
    The bundled sample reports are data, not code."""
    h = hashlib.sha256()
    folder = ROOT / package
    for path in sorted(folder.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts and "samples" not in path.parts:
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


@cache
def library_versions(names: tuple[str, ...] = READING_LIBRARIES) -> str:
    out = []
    for name in names:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} missing")
    return ";".join(out)


def code_version(*packages: str, libraries: tuple[str, ...] = ()) -> str:
    """16 hex digits naming the code of `packages` (and the installed `libraries`)."""
    h = hashlib.sha256()
    for package in packages:
        h.update(f"{package}:{source_digest(package)}\n".encode())
    if libraries:
        h.update(library_versions(libraries).encode())
    return h.hexdigest()[:16]


def document_code() -> str:
    """The code that reads, normalises and extracts a document: xxgk and the readers' libraries."""
    return code_version("xxgk", libraries=READING_LIBRARIES)


def key(*parts: object) -> str:
    """A cache key: the code version and the settings that change a result, hashed together."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]
