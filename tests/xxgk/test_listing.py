"""The inbox listing: what is read, and every entry that is not, with the reason."""
import os
from pathlib import Path

from tests.fixtures import hostile
from xxgk.listing import display_name, scan_inbox


def test_each_kind_of_entry_is_read_or_listed_with_its_reason(tmp_path):
    names = hostile.write_inbox(tmp_path / "inbox", tmp_path / "outside")
    os.mkfifo(tmp_path / "inbox" / "pipe.txt")  # reading it would block forever
    listing = scan_inbox(tmp_path / "inbox")
    skipped = {name.rsplit("/inbox/", 1)[1]: reason for name, reason in listing.skipped}
    assert set(skipped) == {names["hidden"], "broken-link.pdf", "sub/loop", "outside-link.txt", "pipe.txt"}
    assert skipped["pipe.txt"] == "not a regular file (a FIFO, socket or device): not read"
    read = {p.name for p in listing.files}
    assert names["gbk_name"] in read and "huge-mediabox.pdf" in read and len(read) == 12


def test_links_out_of_the_inbox_are_followed_when_allowed(tmp_path):
    hostile.write_inbox(tmp_path / "inbox", tmp_path / "outside")
    listing = scan_inbox(tmp_path / "inbox", follow_outside_links=True)
    assert "outside-link.txt" in {p.name for p in listing.files}
    assert "outside-link.txt" not in " ".join(name for name, _ in listing.skipped)


def test_a_name_that_is_not_utf8_is_shown_escaped_and_traceable(tmp_path):
    path = os.fsdecode(os.fsencode(str(tmp_path)) + b"/" + hostile.GBK_NAME)
    shown = display_name(path)
    shown.encode("utf-8")  # storable anywhere
    assert shown == str(tmp_path) + "/" + hostile.GBK_SHOWN
    assert shown.encode().decode("unicode_escape").encode("latin-1").endswith(hostile.GBK_NAME)


def _listing_as_nobody(inbox, conn):
    """In a forked child: as root, chmod cannot hide a folder, so become an ordinary user first."""
    if os.getuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    listing = scan_inbox(Path(inbox))
    conn.send(([str(p) for p in listing.files], listing.skipped))


def test_a_folder_that_cannot_be_read_is_listed_and_its_neighbours_are_read(tmp_path):
    import multiprocessing
    import shutil
    import tempfile

    # under /tmp itself, not pytest's root-only folder, so that the ordinary user can reach it
    inbox = tempfile.mkdtemp(prefix="xxgk-unreadable-")
    try:
        os.chmod(inbox, 0o755)
        shutil.copy(hostile.SAMPLES / "dongning-2023.txt", inbox)
        locked = os.path.join(inbox, "2024")
        os.mkdir(locked)
        shutil.copy(hostile.SAMPLES / "lingdong-2023.txt", locked)
        os.chmod(inbox + "/dongning-2023.txt", 0o644)
        os.chmod(locked, 0o000)
        parent, child = multiprocessing.get_context("fork").Pipe()
        process = multiprocessing.get_context("fork").Process(target=_listing_as_nobody, args=(inbox, child))
        process.start()
        child.close()  # so that recv ends (EOFError) if the child dies before it sends
        files, skipped = parent.recv()
        process.join()
    finally:
        os.chmod(os.path.join(inbox, "2024"), 0o755)
        shutil.rmtree(inbox)
    assert [os.path.basename(f) for f in files] == ["dongning-2023.txt"]
    assert skipped == [(locked, "folder cannot be read: Permission denied; its files were not read")]
