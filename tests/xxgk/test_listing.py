"""The inbox listing: what is read, and every entry that is not, with the reason."""
import os

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
    assert names["gbk_name"] in read and "huge-mediabox.pdf" in read and len(read) == 9


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
