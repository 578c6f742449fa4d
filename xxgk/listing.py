"""Which files of an inbox are read, and why the others are not.

Nothing under the inbox is dropped silently: a hidden name, a folder that cannot be read, a
link that leads nowhere, round in a loop or out of the inbox, a FIFO or a device, each is
listed with its reason (it becomes a row of ``rejected_document``). Written by hand over
``os.scandir`` because ``Path.rglob`` neither reports what it skips nor guards against
link loops.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from xxgk.settings import variable_of


@dataclass
class Listing:
    files: list[Path] = field(default_factory=list)  # regular files to read, in a stable order
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (display name, reason)


def inbox_key(inbox: str | Path) -> str:
    """The folder name of an inbox's stores: the same inbox always gets the same folder."""
    import hashlib

    return "inbox-" + hashlib.sha256(str(Path(inbox).expanduser().resolve()).encode()).hexdigest()[:12]


def stores_root(staging: str, inbox: str | Path) -> str:
    """The folder of an inbox's stores under the staging location (a local folder or an fsspec URL)."""
    staging = staging if "://" in staging else str(Path(staging).expanduser().resolve())
    return "/".join([staging.rstrip("/"), inbox_key(inbox)])


def display_name(path: Path | str) -> str:
    """The path as text that any store can hold. A name that is not UTF-8 (a GBK name from a
    Windows zip, kept by Python as lone surrogates) shows each of its non-ASCII bytes as
    \\xNN, so it stays traceable to the bytes on disk."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    parts = []
    for part in os.fsencode(text).split(b"/"):
        try:
            parts.append(part.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append("".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in part))
    return "/".join(parts)


def _within(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def scan_inbox(inbox: Path, *, follow_outside_links: bool = False) -> Listing:
    """Every regular file under `inbox`, and every entry not read with the reason."""
    if inbox.is_file():
        return Listing([inbox])
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox not found (neither a folder nor a file): {inbox}")
    root = os.path.realpath(inbox)
    out = Listing()

    def skip(path: str, reason: str) -> None:
        out.skipped.append((display_name(path), reason))

    def walk(folder: str, ancestors: frozenset[str]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            skip(folder, f"folder cannot be read: {exc.strerror or exc}; its files were not read")
            return
        for entry in entries:
            path = entry.path
            if entry.name.startswith("."):
                skip(path, f"hidden {'folder' if entry.is_dir(follow_symlinks=False) else 'file'} (name starts with '.'): not read")
                continue
            if entry.is_symlink():
                target = os.path.realpath(path)
                try:
                    st = os.stat(path)
                except OSError as exc:
                    what = "a loop of links" if exc.errno == errno.ELOOP else f"its target is missing ({display_name(os.readlink(path))})"
                    skip(path, f"broken link: {what}")
                    continue
                if not _within(target, root) and not follow_outside_links:
                    skip(path, f"link to {display_name(target)}, outside the inbox: not followed "
                              f"({variable_of('follow_outside_links')}=1 or --follow-outside-links follows it)")
                    continue
            else:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    skip(path, f"cannot be read: {exc.strerror or exc}")
                    continue
                target = path
            if stat.S_ISDIR(st.st_mode):
                real = os.path.realpath(target)
                if real in ancestors:
                    skip(path, f"link loop: leads back to {display_name(real)}, a folder above it")
                    continue
                walk(path, ancestors | {real})
            elif stat.S_ISREG(st.st_mode):
                out.files.append(Path(path))
            else:
                skip(path, "not a regular file (a FIFO, socket or device): not read")

    walk(str(inbox), frozenset({root}))
    out.files.sort()  # as Path orders them: part by part
    return out
