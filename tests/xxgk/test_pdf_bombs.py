"""Decompression bombs a one-layer, big-files-only check let through: a few KB of PDF whose
stream decodes through a chain of filters (Flate twice, ASCIIHex or ASCII85 before Flate,
RunLength or LZW after it, names spelt with #xx escapes, raw deflate without zlib's header),
and images whose JPEG or JPEG 2000 data is far larger than their dictionary declares. Each is
rejected by the budget with its limit and variable, quickly and in a few MB; a real report
still reads, and its check costs about a millisecond."""
from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest

from tests.fixtures import hostile
from xxgk import SAMPLES_DIR
from xxgk.budget import Budget
from xxgk.documents import read_document
from xxgk.model import DocumentRejected

INFLATED = ("over budget: its compressed streams inflate to more than {mb} MB (a decompression bomb?), "
            "the limit is {mb} MB (XXGK_MAX_INFLATED_MB)")


def _rejected(data: bytes, budget: Budget) -> tuple[str, float, int]:
    """The reason check_inflated gives, the seconds it took and the most memory it held."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        budget.check_inflated(data)
    except DocumentRejected as exc:
        return exc.reason, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("passed the budget")


@pytest.mark.parametrize("kind", ["flate-flate", "a85-flate-flate", "flate-runlength", "flate-lzw", "escaped-names"])
def test_a_gibibyte_behind_two_or_three_filters_is_rejected_at_the_limit(kind):
    bomb = hostile.layered_bomb(kind, 1024)
    assert len(bomb) < 20_000  # a few KB for 1 GiB
    reason, seconds, peak = _rejected(bomb, Budget())
    assert reason == INFLATED.format(mb=512)
    assert seconds < 20 and peak < 32 << 20  # the limit decoded in pieces, never held


@pytest.mark.parametrize("kind", ["hex-flate", "raw-deflate"])
def test_a_stream_that_does_not_start_as_zlib_is_decoded_too(kind):
    bomb = hostile.layered_bomb(kind, 64)
    assert len(bomb) < 200_000  # under the ~496 KB the old check never looked into
    reason, seconds, peak = _rejected(bomb, Budget(max_inflated_mb=32))
    assert reason == INFLATED.format(mb=32)
    assert seconds < 10 and peak < 32 << 20


def test_every_layer_counts():
    """8 MiB of zeros behind two Flate layers: the outer layer's output is counted as well as
    the inner one's (a reader holds both)."""
    bomb = hostile.layered_bomb("flate-flate", 8)
    Budget(max_inflated_mb=9).check_inflated(bomb)  # 8.4 MB and a few KB
    reason, _, _ = _rejected(hostile.layered_bomb("a85-flate-flate", 9), Budget(max_inflated_mb=9))
    assert reason == INFLATED.format(mb=9)


def test_filters_given_by_reference_are_followed():
    inner = hostile.zeros_deflated(1024)
    direct = hostile.filtered_page(zlib.compress(inner, 9), ["FlateDecode", "FlateDecode"])
    page = _objects(direct.replace(b"/Filter [/FlateDecode /FlateDecode]", b"/Filter 6 0 R"))
    # its /Filter an indirect array: object 6, in the file
    in_file = hostile.pdf([*page, b"null", b"[/FlateDecode /FlateDecode]"])
    assert _rejected(in_file, Budget())[0] == INFLATED.format(mb=512)
    # object 6 kept in an object stream (object 5): found there
    packed = zlib.compress(b"6 0 [/FlateDecode /FlateDecode]")
    in_stream = hostile.pdf([*page, b"<< /Type /ObjStm /N 1 /First 4 /Length %d /Filter /FlateDecode >>\nstream\n"
                             % len(packed) + packed + b"\nendstream"])
    assert b"6 0 obj" not in in_stream
    assert _rejected(in_stream, Budget())[0] == INFLATED.format(mb=512)
    # found nowhere: it cannot be counted, so it is not read
    reason, _, _ = _rejected(hostile.pdf(page), Budget())
    assert reason == ("over budget: a stream (object 4) names its filters by a reference found nowhere (6 0 R), "
                      "so its decoded bytes cannot be counted (XXGK_MAX_INFLATED_MB)")


@pytest.mark.parametrize("dictionary", [
    b"<< /Filter [/FlateDecode /FlateDecode] %% 9 0 obj << /Filter /DCTDecode\n /Length %d >>",  # a header in a comment
    b"<< /A (x >> endobj stream\n9 0 obj << /Filter /DCTDecode) /Filter [/FlateDecode /FlateDecode] /Length %d >>",
    b"<< /Filter /DCTDecode /Filter [/FlateDecode /FlateDecode] /Length %d >>",  # the last of a key is the one read
    b"<< /Filter [/Fl#61teDecode /FlateDecode] /DecodeParms [null << /Filter /DCTDecode >>] /Length %d >>",
], ids=["comment", "string", "repeated-key", "nested"])
def test_text_inside_a_dictionary_does_not_hide_its_filters(dictionary):
    body = zlib.compress(hostile.zeros_deflated(1024), 9)
    page = _objects(hostile.layered_bomb("flate-flate", 1))[:3]
    bomb = hostile.pdf([*page, dictionary % len(body) + b"\nstream\n" + body + b"\nendstream"])
    assert _rejected(bomb, Budget())[0] == INFLATED.format(mb=512)


def _objects(pdf: bytes) -> list[bytes]:
    """The bodies of a PDF made by hostile.pdf, in order."""
    import re

    return [m.group(1) for m in re.finditer(rb"\d+ 0 obj\n(.*?)\nendobj\n", pdf, re.S)]


def test_a_chain_too_long_to_count_is_refused():
    data = b"q Q"
    for _ in range(9):
        data = zlib.compress(data)
    reason, _, _ = _rejected(hostile.filtered_page(data, ["FlateDecode"] * 9), Budget())
    assert reason == ("over budget: a stream (object 4) has 9 filters in a chain, more than the 8 whose decoded bytes "
                      "xxgk counts (XXGK_MAX_INFLATED_MB)")


@pytest.mark.parametrize("image, filters", [
    (hostile.jpeg_header(40000, 40000), ["DCTDecode"]),
    (zlib.compress(hostile.jpeg_header(40000, 40000)), ["FlateDecode", "DCTDecode"]),
    (hostile.jpx_header(40000, 40000), ["JPXDecode"]),
    (hostile.zeros_deflated(1), ["FlateDecode"]),  # its dictionary's own 40000 x 40000, below
], ids=["jpeg", "jpeg-behind-flate", "jpx", "declared"])
def test_an_image_over_the_pixel_budget_is_rejected_whatever_its_dictionary_says(image, filters):
    declared = (40000, 40000) if filters == ["FlateDecode"] else (1, 1)
    page = hostile.image_page(image, filters, *declared)
    assert len(page) < 2000
    reason, seconds, _ = _rejected(page, Budget())
    assert reason == ("over budget: an image (object 5) of 40000x40000 px = 1,600 Mpx, "
                      "the limit is 100 Mpx (XXGK_MAX_PIXELS)")
    assert seconds < 1
    Budget(max_megapixels=2000).check_inflated(page)  # within a larger budget: passes


def test_a_real_report_still_reads_and_its_check_is_cheap():
    data = (SAMPLES_DIR / "hongze-2024.pdf").read_bytes()
    budget = Budget()
    budget.check_inflated(data)
    start = time.perf_counter()
    for _ in range(20):
        budget.check_inflated(data)
    assert (time.perf_counter() - start) / 20 < 0.05  # ~1 ms measured; generous for a loaded machine
    # all its 18 Flate streams decoded when the limit is near their 1.15 MB: counted, and under 2 MB
    Budget(max_inflated_mb=2).check_inflated(data)
    assert _rejected(data, Budget(max_inflated_mb=1))[0] == INFLATED.format(mb=1)
    doc = read_document(SAMPLES_DIR / "hongze-2024.pdf", budget=budget)
    assert len(doc.rows) > 50
