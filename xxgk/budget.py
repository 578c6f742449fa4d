"""What one document may cost: pages, rendered pixels, decompressed bytes, memory, wall time.

A file over its budget is rejected with the limit it hit and the variable that sets it,
before the cost is paid wherever that can be known in advance (pages, pixels, inflated
bytes), else when it is reached (memory: the worker's address-space limit; time: a timer).
"""
from __future__ import annotations

import io
import re
import signal
import struct
import threading
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from xxgk.model import DocumentRejected
from xxgk.settings import DEFAULTS, variable_of


class OverTime(BaseException):
    """A document ran out of time. Not an Exception: the readers' `except Exception`
    (pdfminer raises many kinds) must not turn it into another reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Budget:  # the settings' limits (a dataclass: its repr is part of the reading's cache key)
    max_pages: int = DEFAULTS.max_pages
    max_megapixels: float = DEFAULTS.max_megapixels
    max_inflated_mb: int = DEFAULTS.max_inflated_mb
    worker_memory_mb: int = DEFAULTS.worker_memory_mb
    document_seconds: float = DEFAULTS.document_seconds
    max_html_mb: int = DEFAULTS.max_html_mb

    def check_pages(self, pages: int) -> None:
        if pages > self.max_pages:
            raise DocumentRejected(f"over budget: {pages} pages, the limit is {self.max_pages} ({variable_of('max_pages')})")

    def check_pixels(self, page: int, width_pt: float, height_pt: float, dpi: int) -> None:
        """Before a page is rendered at `dpi`: its bitmap must fit the budget."""
        w, h = round(width_pt * dpi / 72), round(height_pt * dpi / 72)
        if w * h > self.max_megapixels * 1e6:
            raise DocumentRejected(
                f"over budget: page {page + 1} ({width_pt:.0f}x{height_pt:.0f} pt) would render at {dpi} dpi as "
                f"{w}x{h} px = {w * h / 1e6:,.0f} Mpx, the limit is {self.max_megapixels:g} Mpx ({variable_of('max_megapixels')})")

    def check_inflated(self, data: bytes) -> None:
        """Decoding the PDF's streams must fit the budget, at any file size: each stream's
        filter chain (Flate, LZW, RunLength, ASCII85, ASCIIHex; up to 8 layers) decoded in
        pieces, the bytes of every layer counted and stopped at the limit, so a bomb costs
        the limit, not its full size (xxgk.pdf_filters). Its images must fit the pixel
        budget: an image's /Width x /Height, and what a JPEG's SOF marker or a JPEG 2000's
        SIZ marker says (the size a decoder allocates), whatever the dictionary declares.
        Cheap for a normal PDF: streams that cannot reach the limit between them, by the
        most each filter can expand, are not decoded."""
        from xxgk import pdf_filters as pf

        meter = pf.Meter(self.max_inflated_mb * 1_000_000)
        objects = pf.Objects(data)
        try:
            found = list(pf.streams(data, objects))
            if any(s.filters is None for s in found):  # an indirect /Filter: looked for in object streams
                pf.unpack_object_streams(data, objects, meter)
            for s in found:
                self._check_stream(data, s, objects)
            rest = sum(s.bound() for s in found)
            for s in sorted(found, key=lambda s: (s.needs_head(), s.bound()), reverse=True):
                if not s.needs_head() and meter.used + rest <= meter.limit:
                    break  # the streams left cannot reach the limit between them
                rest -= s.bound()
                head, wanted = bytearray(), pf.HEAD if s.needs_head() else 0
                for chunk in pf.decode(data, s, meter, objects):  # every piece counted, the first kept if wanted
                    if len(head) < wanted:
                        head += chunk[:wanted - len(head)]
                if wanted:
                    codec = next(f for f in s.filters if f in ("DCTDecode", "JPXDecode"))
                    self._check_image(s, pf.codec_size(codec, bytes(head)))
        except pf.OverLimit:
            raise DocumentRejected(
                f"over budget: its compressed streams inflate to more than {self.max_inflated_mb} MB "
                f"(a decompression bomb?), the limit is {self.max_inflated_mb} MB ({variable_of('max_inflated_mb')})") from None

    def _check_stream(self, data: bytes, stream, objects) -> None:
        """A stream's filters known and few enough to count, its image's pixels in the budget."""
        from xxgk import pdf_filters as pf

        where = f" (object {stream.number})" if stream.number is not None else f" (at byte {stream.start})"
        if stream.problem:
            raise DocumentRejected(f"over budget: a stream{where} {stream.problem}, so its decoded bytes cannot be "
                                   f"counted ({variable_of('max_inflated_mb')})")
        if stream.filters is None:
            try:
                stream.filters = pf.filters_of(objects, stream.dictionary)
            except pf.Unresolved as unknown:
                raise DocumentRejected(
                    f"over budget: a stream{where} names its filters by a reference found nowhere ({unknown}), "
                    f"so its decoded bytes cannot be counted ({variable_of('max_inflated_mb')})") from None
        if len(stream.filters) > pf.MAX_FILTERS:
            raise DocumentRejected(
                f"over budget: a stream{where} has {len(stream.filters)} filters in a chain, more than the "
                f"{pf.MAX_FILTERS} whose decoded bytes xxgk counts ({variable_of('max_inflated_mb')})")
        if stream.is_image and stream.width and stream.height:
            self._check_image(stream, (stream.width, stream.height))
        codecs = [f for f in stream.filters if f in ("DCTDecode", "JPXDecode")]
        if codecs and stream.filters[0] == codecs[0]:  # the codec's data as the file holds it
            self._check_image(stream, pf.codec_size(codecs[0], data[stream.start:min(stream.end, stream.start + pf.HEAD)]))

    def _check_image(self, stream, size: tuple[int, int] | None) -> None:
        if size is None:
            return
        w, h = size
        if w * h > self.max_megapixels * 1e6:
            where = f" (object {stream.number})" if stream.number is not None else f" (at byte {stream.start})"
            raise DocumentRejected(
                f"over budget: an image{where} of {w}x{h} px = {w * h / 1e6:,.0f} Mpx, "
                f"the limit is {self.max_megapixels:g} Mpx ({variable_of('max_megapixels')})")

    def check_zip(self, data: bytes) -> None:
        """The parts of a zipped document (.docx) must inflate within the budget. First the
        sizes its central directory declares, summed (nothing inflated); those can lie (the
        reader would then get a part cut short), so when the file is big enough to inflate
        past the limit at all, each part's compressed bytes are inflated in pieces and
        counted, stopped at the limit. Not a zip: left to the reader to say so."""
        limit = self.max_inflated_mb * 1_000_000
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            return
        declared = sum(p.file_size for p in parts)
        if declared > limit:
            biggest = max(parts, key=lambda p: p.file_size)
            raise DocumentRejected(self._zip_over(f"{biggest.filename} declares {biggest.file_size / 1e6:,.1f} MB"))
        if len(data) * 1032 <= limit:  # deflate inflates at most ~1032:1: nothing to look at
            return
        total = 0
        for part in parts:
            for size in _inflated_pieces(data, part):
                total += size
                if total > limit:
                    raise DocumentRejected(self._zip_over(
                        f"{part.filename} inflates past the {part.file_size:,} bytes its header declares"))

    def _zip_over(self, detail: str) -> str:
        return (f"over budget: its zipped parts inflate to more than {self.max_inflated_mb} MB ({detail}; a decompression "
                f"bomb?), the limit is {self.max_inflated_mb} MB ({variable_of('max_inflated_mb')})")

    def fit_html(self, data: bytes) -> bytes:
        """A web page small enough to parse: its tree takes ~30x its markup in memory (a
        49 MB page ~1.5 GB). Over the budget, the bulk a report does not need (inline base64
        images of a Word export, scripts, styles, comments) is taken out first."""
        limit = self.max_html_mb * 1_000_000
        if len(data) <= limit:
            return data
        data = _HTML_BULK.sub(b"", data)
        data = _DATA_URI.sub(b'\\1""', data)
        if len(data) > limit:
            raise DocumentRejected(
                f"over budget: {len(data) / 1e6:.1f} MB of HTML markup (without images, scripts and styles), "
                f"the limit is {self.max_html_mb} MB ({variable_of('max_html_mb')})")
        return data

    @contextmanager
    def deadline(self):
        """Raise DocumentRejected in this thread when the document takes longer than its
        budget. A timer signal: it lands between two library calls, so the caller also kills
        a worker that stays in one call far beyond it (xxgk.parallel)."""
        if not self.document_seconds or threading.current_thread() is not threading.main_thread():
            yield
            return

        def expired(signum, frame):
            raise OverTime(f"over budget: took longer than {self.document_seconds:g} s ({variable_of('document_seconds')})")

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, self.document_seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def memory_reason() -> str:
    """Why a document that ran out of memory is rejected (naming the worker's limit, if set)."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return "ran out of memory"
    return f"over budget: ran out of memory within the {soft >> 20} MB of a worker ({variable_of('worker_memory_mb')})"


_HTML_BULK = re.compile(rb"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.S | re.I)
_DATA_URI = re.compile(rb"""(\bsrc\s*=\s*)["']data:[^"']*["']""", re.I)


def _inflated_pieces(data: bytes, part: zipfile.ZipInfo):
    """The sizes of the pieces a zip part's compressed bytes inflate to, whatever its header
    declares (zipfile stops at the declared size). A stored part is its bytes; a method
    other than deflate is taken at its declared size (zipfile reads no more of it)."""
    start = part.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        return
    name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
    body = memoryview(data)[start + 30 + name_length + extra_length:][:part.compress_size]
    if part.compress_type == zipfile.ZIP_STORED:
        yield len(body)
        return
    if part.compress_type != zipfile.ZIP_DEFLATED:
        yield part.file_size
        return
    inflater = zlib.decompressobj(-15)
    try:
        for at in range(0, len(body), 1 << 14):  # small pieces: unconsumed_tail is a copy
            chunk = body[at:at + (1 << 14)]
            while chunk:
                yield len(inflater.decompress(chunk, 1 << 20))
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                return
    except zlib.error:
        return  # damaged: the reader says so
