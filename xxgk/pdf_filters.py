"""A PDF's streams as the bytes of the file give them, and what decoding them costs, found
without paying more than a limit: for xxgk.budget, before any reader opens the file.

Streams are found by their ``stream`` keyword, wherever it stands (inside another stream's
body too: nothing is skipped that a reader could reach by its cross-reference table). A
stream's dictionary is read by a small PDF parser (strings, comments, nested dictionaries,
``#xx`` escapes in names, indirect references looked up in the file and, failing that, in its
object streams) from each ``<<`` before the keyword whose dictionary ends right there; when
text inside a dictionary makes more than one read so (a dictionary in a comment), each is
taken, so that such text can only add to what is counted. Its body is /Length long when
``endstream`` follows, else up to ``endstream``.

Its filter chain (/Filter: a name or an array) is run layer after layer on pieces of the data:
FlateDecode (zlib, or raw deflate), LZWDecode, RunLengthDecode, ASCII85Decode and
ASCIIHexDecode, each layer's output counted by a meter that stops at its limit, so a bomb
costs the limit, never its size, and memory stays a few MB whatever the chain. Image codecs
(DCTDecode, JPXDecode, CCITTFaxDecode, JBIG2Decode) end a chain: an image's size is its
pixels, read from the head of its data (a JPEG's SOF marker, a JPEG 2000 SIZ marker or ihdr
box) and from its /Width and /Height. Crypt and unknown filters end a chain too. Not looked
into: inline images (BI ... ID ... EI inside a content stream) and the streams of an
encrypted file (their bytes are ciphertext here); the worker's memory limit stays the last
guard for those.
"""
from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

PIECE = 1 << 20  # the most a decoder yields at once
FEED = 1 << 14  # zlib's input pieces (its unconsumed_tail is a copy)
RAW_PIECE = 1 << 16  # pieces of a stream's body as read from the file
MAX_FILTERS = 8  # a longer chain is refused: each layer holds state, and no writer makes one
HEAD = 1 << 16  # bytes of an image codec's data read for its dimensions

_ABBREVIATIONS = {"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
                  "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}
# the most bytes one input byte becomes, per filter (LZW: a 9-bit code gives at most 4096 bytes)
EXPANSION = {"FlateDecode": 1032, "LZWDecode": 3641, "RunLengthDecode": 64, "ASCII85Decode": 4, "ASCIIHexDecode": 1}
IMAGE_CODECS = ("DCTDecode", "JPXDecode", "CCITTFaxDecode", "JBIG2Decode")


class OverLimit(Exception):
    """The bytes decoded passed the meter's limit."""


class Unresolved(Exception):
    """A stream whose filters cannot be known (an indirect /Filter found nowhere in the file)."""


@dataclass
class Meter:
    """Bytes decoded so far, every layer of every stream; raises OverLimit past `limit`."""

    limit: int
    used: int = 0

    def add(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise OverLimit(self.used)


class Name(str):
    """A PDF name, its #xx escapes decoded (/Fl#61teDecode is FlateDecode)."""


class Ref(int):
    """An indirect reference: the object's number."""


class _Bad(Exception):
    """Text that is not a PDF object."""


_DELIMITER = rb"\s\x00()<>\[\]{}/%"
_TOKEN = re.compile(rb"(?:[\s\x00]+|%[^\r\n]*)*(<<|>>|\[|\]|\(|<[0-9A-Fa-f\s\x00]*>|/[^" + _DELIMITER + rb"]*|[^"
                    + _DELIMITER + rb"]+|[{}<>)])")
_STRING_STOP = re.compile(rb"[()\\]")
_SPACE = re.compile(rb"(?:[\s\x00]+|%[^\r\n]*)*")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)$")
_DEPTH = 32  # nesting beyond which a value is not believed


def _unescape(text: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text) if b"#" in text else text


class _Parser:
    """One PDF value read from data[pos:end]: dictionaries, arrays, names, numbers,
    references; strings are skipped (read as ""), comments are white space."""

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end
        self.ahead: list[tuple[bytes, int]] = []  # tokens read ahead, with the position after each

    def _read(self, pos: int) -> tuple[bytes | None, int]:
        found = _TOKEN.match(self.data, pos, self.end)
        if found is None:
            return None, pos
        token = found.group(1)
        if token != b"(":
            return token, found.end()
        depth, i = 0, found.start(1)
        while (stop := _STRING_STOP.search(self.data, i, self.end)) is not None:  # balanced parentheses, escapes
            c, i = stop.group(0), stop.end()
            if c == b"\\":
                i += 1
                continue
            depth += 1 if c == b"(" else -1
            if depth == 0:
                return b"()", i
        raise _Bad("an unterminated string")

    def peek(self, k: int = 0) -> bytes | None:
        while len(self.ahead) <= k:
            token, after = self._read(self.ahead[-1][1] if self.ahead else self.pos)
            if token is None:
                return None
            self.ahead.append((token, after))
        return self.ahead[k][0]

    def next(self) -> bytes | None:
        token = self.peek()
        if token is not None:
            self.pos = self.ahead.pop(0)[1]
        return token

    def at_end(self) -> bool:
        return not self.ahead and _SPACE.match(self.data, self.pos, self.end).end() == self.end

    def value(self, depth: int = 0):
        if depth > _DEPTH:
            raise _Bad("nested too deep")
        token = self.next()
        if token is None:
            raise _Bad("nothing")
        if token == b"<<":
            out = {}
            while (key := self.next()) != b">>":
                if key is None or key[:1] != b"/":
                    raise _Bad("a dictionary key that is not a name")
                out[_unescape(key[1:]).decode("latin-1")] = self.value(depth + 1)  # the last of a key wins
            return out
        if token == b"[":
            items = []
            while self.peek() != b"]":
                if self.peek() is None:
                    raise _Bad("an unterminated array")
                items.append(self.value(depth + 1))
            self.next()
            return items
        if token[:1] == b"/":
            return Name(_unescape(token[1:]).decode("latin-1"))
        if token.isdigit() and (self.peek(0) or b"").isdigit() and self.peek(1) == b"R":
            self.next()
            self.next()
            return Ref(int(token))
        if _NUMBER.match(token):
            return float(token) if b"." in token else int(token)
        if token in (b">>", b"]", b")", b"{", b"}", b">") or token in _NOT_VALUES:
            raise _Bad(f"a stray {token!r}")
        return token  # a string, a keyword (true, false, null, ...)


class Objects:
    """The file's objects by number, found by their ``N G obj`` (the last one of a number wins,
    as an incremental update's would); indexed once, when first asked."""

    def __init__(self, data: bytes):
        self.data = data
        self._at: dict[int, int] | None = None
        self.packed: dict[int, tuple[bytes, int]] = {}  # objects of object streams, once unpacked

    def get(self, number: int):
        """The object's value; Unresolved when it is found nowhere or is not an object."""
        if self._at is None:
            self._at = dict(_headers(self.data, 0, len(self.data)))
        at = self._at.get(number)
        text, pos = (self.data, at) if at is not None else self.packed.get(number, (None, 0))
        if text is None:
            raise Unresolved(f"{number} 0 R")
        try:
            return _Parser(text, pos, len(text)).value()
        except _Bad:
            raise Unresolved(f"{number} 0 R") from None

    def resolve(self, value, depth: int = 0):
        """A direct value as it is, an indirect one looked up (Unresolved: found nowhere)."""
        while isinstance(value, Ref) and depth < 8:
            value, depth = self.get(value), depth + 1
        if isinstance(value, Ref):
            raise Unresolved(f"{value} 0 R")
        return value


_BOUNDARY = frozenset(b" \t\r\n\f\x00()<>[]{}/%")
_NUMBERS = re.compile(rb"(?<![0-9])(\d+)[\s\x00]+\d+[\s\x00]+$")


def _keywords(data: bytes, word: bytes, lo: int = 0, hi: int | None = None) -> Iterator[int]:
    """Where `word` stands as a keyword in data[lo:hi] (a delimiter or white space, or the
    edge, on each side): found by bytes.find, as fast as memory is read."""
    hi = len(data) if hi is None else hi
    at = data.find(word, lo, hi)
    while at >= 0:
        after = at + len(word)
        if (at == 0 or data[at - 1] in _BOUNDARY) and (after >= len(data) or data[after] in _BOUNDARY):
            yield at
        at = data.find(word, at + 1, hi)


def _headers(data: bytes, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """(object number, position after ``obj``) of each ``N G obj`` in data[lo:hi]."""
    for at in _keywords(data, b"obj", lo, hi):
        numbers = _NUMBERS.search(data, max(lo, at - 40), at)
        if numbers:
            yield int(numbers.group(1)), at + 3
_EOL = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)")
_ENDSTREAM = re.compile(rb"[\s\x00]*endstream")


@dataclass
class PdfStream:
    number: int | None  # its object number
    start: int  # offset of its body in the file
    end: int
    dictionary: dict
    filters: list[str] | None = field(default_factory=list)  # None: an indirect /Filter found nowhere
    unresolved: str = ""  # that reference
    problem: str = ""  # why it cannot be checked, when it cannot
    width: int | None = None  # an image's /Width and /Height
    height: int | None = None
    is_image: bool = False

    def bound(self) -> int:
        """The most bytes decoding it can give, every layer counted."""
        size, total = self.end - self.start, 0
        for name in self.filters or ():
            if name not in EXPANSION:
                break
            size *= EXPANSION[name]
            total += size
        return total

    def needs_head(self) -> bool:
        """An image codec behind another filter: its dimensions are in decoded data."""
        codecs = [i for i, name in enumerate(self.filters or ()) if name in ("DCTDecode", "JPXDecode")]
        return bool(codecs) and codecs[0] > 0

    def parms(self, objects: Objects, index: int) -> dict:
        """The /DecodeParms of its `index`-th filter."""
        try:
            parms = objects.resolve(self.dictionary.get("DecodeParms"))
            if isinstance(parms, list):
                parms = objects.resolve(parms[index]) if index < len(parms) else None
        except Unresolved:
            return {}
        return parms if isinstance(parms, dict) else {}


def filters_of(objects: Objects, dictionary: dict) -> list[str]:
    """The stream's filter names, in the order they decode (Unresolved: an indirect /Filter,
    or a name of its array, found nowhere). What is not a name ends the chain, as '?'."""
    value = objects.resolve(dictionary.get("Filter"))
    if value is None:
        return []
    names = [objects.resolve(v) for v in value] if isinstance(value, list) else [value]
    return [_ABBREVIATIONS.get(n, n) if isinstance(n, Name) else "?" for n in names]


def _integer(objects: Objects, dictionary: dict, key: str) -> int | None:
    try:
        value = objects.resolve(dictionary.get(key))
    except Unresolved:
        return None
    return int(value) if isinstance(value, (int, float)) and value >= 0 else None


WINDOW = 1 << 20  # how far before its keyword a dictionary is looked for, when strings or comments hide where it starts
MAX_CANDIDATES = 256  # '<<' tried before a keyword; more, and the stream is not believed checkable


def streams(data: bytes, objects: Objects | None = None) -> Iterator[PdfStream]:
    """Every stream of the file, in file order: each ``stream`` keyword that a dictionary ends
    right before. The dictionary is read from each ``<<`` before the keyword, nearest first,
    back to the last ``endobj`` or ``endstream`` (or WINDOW bytes, when a string or comment
    between could hide one); every one that reads as a dictionary ending at the keyword is
    given (a dictionary in a comment, beside the real one: both), so that no text inside a
    dictionary can hide its filters, only add to what is counted. A keyword after ``>>`` whose
    dictionary cannot be read is given with `problem` set. Filters None: an indirect /Filter
    found nowhere in the file (see unpack_object_streams)."""
    objects = objects or Objects(data)
    for keyword in _keywords(data, b"stream"):
        eol = _EOL.match(data, keyword + 6)
        start = eol.end() if eol else len(data)
        found = 0
        for at, dictionary in _dictionaries(data, keyword):
            if dictionary is None:
                yield PdfStream(_number(data, at), start, start, {}, [], problem=f"has {MAX_CANDIDATES} or more "
                                "dictionaries that could be its own (a decompression bomb in hiding?)")
                break
            found += 1
            stream = PdfStream(_number(data, at), start, 0, dictionary)
            try:
                stream.filters = filters_of(objects, dictionary)
            except Unresolved as unknown:
                stream.filters, stream.unresolved = None, str(unknown)
            stream.end = _body_end(data, start, _integer(objects, dictionary, "Length"))
            stream.is_image = dictionary.get("Subtype") == "Image"
            if stream.is_image:
                stream.width, stream.height = _integer(objects, dictionary, "Width"), _integer(objects, dictionary, "Height")
            yield stream
        if not found and _CLOSED.search(data, max(0, keyword - 64), keyword):
            yield PdfStream(None, start, start, {}, [], problem="has a dictionary that cannot be read")


_CLOSED = re.compile(rb">>[\s\x00]*$")  # a dictionary's end right before a keyword (comments aside)
_NOT_VALUES = (b"obj", b"endobj", b"stream", b"endstream", b"R")


def _dictionaries(data: bytes, keyword: int) -> Iterator[tuple[int, dict | None]]:
    """(position, dictionary) of each ``<<`` before `keyword` that reads as a dictionary ending
    right there, nearest first; (position, None) once MAX_CANDIDATES are tried."""
    barrier = max(data.rfind(b"endobj", 0, keyword), data.rfind(b"endstream", 0, keyword))
    line = max(data.rfind(b"\n", 0, barrier), data.rfind(b"\r", 0, barrier)) + 1 if barrier >= 0 else 0
    if barrier >= 0 and not any(data.find(c, line, keyword) >= 0 for c in (b"(", b")", b"%")):
        low = barrier  # no string or comment between (or on its line) could hide where the object before ended
    else:
        low = max(0, keyword - WINDOW)
    at, tried = keyword, 0
    while (at := data.rfind(b"<<", low, at)) >= 0:
        tried += 1
        if tried > MAX_CANDIDATES:
            yield at, None
            return
        parser = _Parser(data, at, keyword)
        try:
            dictionary = parser.value()
        except _Bad:
            continue
        if isinstance(dictionary, dict) and parser.at_end():
            yield at, dictionary


def _number(data: bytes, at: int) -> int | None:
    """The object number of the ``N G obj`` right before `at`, if one is."""
    head = re.search(rb"(\d+)[\s\x00]+\d+[\s\x00]+obj[\s\x00]*$", data[max(0, at - 48):at])
    return int(head.group(1)) if head else None


def _body_end(data: bytes, start: int, length: int | None) -> int:
    """Where a body ends: at /Length when ``endstream`` follows it there, else before the next
    ``endstream`` (as pdfium does with a wrong length)."""
    if length is not None and start + length <= len(data) and _ENDSTREAM.match(data, start + length):
        return start + length
    end = data.find(b"endstream", start)
    if end < 0:
        return len(data)
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    return end


def unpack_object_streams(data: bytes, objects: Objects, meter: Meter) -> None:
    """The objects kept in object streams (/Type /ObjStm), for the indirect values found
    nowhere else; their decoding counted by `meter` like any stream's."""
    for stream in streams(data, objects):
        first = _integer(objects, stream.dictionary, "First")
        if stream.dictionary.get("Type") != "ObjStm" or first is None or stream.filters is None:
            continue
        body = b"".join(decode(data, stream, meter, objects))
        numbers = [int(n) for n in re.findall(rb"\d+", body[:first])]
        for number, offset in zip(numbers[0::2], numbers[1::2]):
            objects.packed.setdefault(number, (body, first + offset))


def decode(data: bytes, stream: PdfStream, meter: Meter, objects: Objects | None = None) -> Iterator[bytes]:
    """The stream's bytes through its decoding filters, every layer's output counted by
    `meter`; stops before the first filter that is not decoded here (an image codec, Crypt,
    one unknown)."""
    objects = objects or Objects(data)
    layer: Iterable[bytes] = _pieces(memoryview(data)[stream.start:stream.end])
    for index, name in enumerate(stream.filters or ()):
        decoder = _DECODERS.get(name)
        if decoder is None:
            break
        layer = _counted(decoder(layer, stream.parms(objects, index)), meter)
    yield from layer


def _pieces(body: memoryview) -> Iterator[memoryview]:
    for at in range(0, len(body), RAW_PIECE):
        yield body[at:at + RAW_PIECE]


def _counted(chunks: Iterable[bytes], meter: Meter) -> Iterator[bytes]:
    for chunk in chunks:
        meter.add(len(chunk))
        yield chunk


# --- the decoders: each takes pieces of input and yields pieces of output, at most ~PIECE ----

def _flate(chunks: Iterable[bytes], parms: dict) -> Iterator[bytes]:
    inflater = None
    try:
        for chunk in chunks:
            for at in range(0, len(chunk), FEED):
                piece = chunk[at:at + FEED]
                if inflater is None:  # a zlib header, else raw deflate (readers that accept it)
                    zlib_header = len(piece) >= 2 and piece[0] & 0x0F == 8 and (piece[0] << 8 | piece[1]) % 31 == 0
                    inflater = zlib.decompressobj(15 if zlib_header else -15)
                while piece:
                    out = inflater.decompress(piece, PIECE)
                    if out:
                        yield out
                    piece = inflater.unconsumed_tail
                if inflater.eof:
                    return
        while inflater is not None and (out := inflater.decompress(b"", PIECE)):
            yield out
    except zlib.error:
        return  # damaged: what came out before is counted; a reader stops there too


def _lzw(chunks: Iterable[bytes], parms: dict) -> Iterator[bytes]:
    """PDF's LZW: codes of 9 to 12 bits, most significant bit first; 256 clears the table, 257
    ends; the code width grows one code early unless /EarlyChange 0."""
    early = 0 if parms.get("EarlyChange") == 0 else 1
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    width, previous, buffer, bits = 9, None, 0, 0
    out = bytearray()
    for chunk in chunks:
        for byte in bytes(chunk):
            buffer = (buffer << 8) | byte
            bits += 8
            while bits >= width:
                bits -= width
                code = buffer >> bits
                buffer &= (1 << bits) - 1
                if code == 256:
                    del table[258:]
                    width, previous = 9, None
                    continue
                if code == 257:
                    if out:
                        yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                    if previous is not None and len(table) < 4096:
                        table.append(previous + entry[:1])
                elif code == len(table) and previous is not None:
                    entry = previous + previous[:1]
                    if len(table) < 4096:
                        table.append(entry)
                else:
                    if out:
                        yield bytes(out)
                    return  # a code not in the table: damaged
                out += entry
                previous = entry
                if len(table) + early >= 1 << width and width < 12:
                    width += 1
                if len(out) >= PIECE:
                    yield bytes(out)
                    out.clear()
    if out:
        yield bytes(out)


def _repeats(data: bytes, at: int, pair: bytes) -> int:
    """How many times the two bytes `pair` follow one another from `at` (by blocks: a few
    comparisons, however many there are)."""
    end = at
    for size in (4096, 256, 16, 1):
        block = pair * size
        while data.startswith(block, end):
            end += len(block)
    return (end - at) // 2


def _run_length(chunks: Iterable[bytes], parms: dict) -> Iterator[bytes]:
    """RunLengthDecode: a length byte L, then L+1 bytes as they are (L < 128), or one byte
    257-L times (L > 128); 128 ends. A repeat run given again and again is expanded at once,
    in pieces of the same bytes: a bomb of them costs no loop per run."""
    out, pending = bytearray(), b""
    for chunk in chunks:
        data = pending + bytes(chunk)
        i, n = 0, len(data)
        while i < n:
            length = data[i]
            if length == 128:
                if out:
                    yield bytes(out)
                return
            if length < 128:
                if i + length + 2 > n:
                    break
                out += data[i + 1:i + length + 2]
                i += length + 2
            else:
                if i + 1 >= n:  # the byte to repeat is in the next piece
                    break
                runs = _repeats(data, i, data[i:i + 2])
                count = runs * (257 - length)
                if count < PIECE:
                    out += data[i + 1:i + 2] * count
                else:
                    if out:
                        yield bytes(out)
                        out.clear()
                    piece = data[i + 1:i + 2] * PIECE
                    for _ in range(count // PIECE):
                        yield piece
                    out += piece[:count % PIECE]
                i += 2 * runs
            if len(out) >= PIECE:
                yield bytes(out)
                out.clear()
        pending = data[i:]
    if out:
        yield bytes(out)


_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")


def _ascii_hex(chunks: Iterable[bytes], parms: dict) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        chunk = bytes(chunk)
        end = chunk.find(b">")
        text = pending + _NOT_HEX.sub(b"", chunk if end < 0 else chunk[:end])
        cut = len(text) & ~1
        pending = text[cut:]
        if cut:
            yield binascii.unhexlify(text[:cut])
        if end >= 0:
            break
    if pending:
        yield binascii.unhexlify(pending + b"0")


_NOT_A85 = re.compile(rb"[^!-uz]")


def _ascii85(chunks: Iterable[bytes], parms: dict) -> Iterator[bytes]:
    pending = b""
    try:
        for chunk in chunks:
            chunk = bytes(chunk)
            end = chunk.find(b"~")
            text = pending + _NOT_A85.sub(b"", chunk if end < 0 else chunk[:end]).replace(b"z", b"!!!!!")
            cut = len(text) - len(text) % 5
            pending = text[cut:]
            for at in range(0, cut, 5 * (PIECE // 4)):
                yield base64.a85decode(text[at:min(cut, at + 5 * (PIECE // 4))])
            if end >= 0:
                break
        if len(pending) > 1:
            yield base64.a85decode(pending + b"u" * (5 - len(pending)))[:len(pending) - 1]
    except ValueError:
        return


_DECODERS: dict[str, Callable[[Iterable[bytes], dict], Iterator[bytes]]] = {
    "FlateDecode": _flate, "LZWDecode": _lzw, "RunLengthDecode": _run_length,
    "ASCII85Decode": _ascii85, "ASCIIHexDecode": _ascii_hex,
}


# --- image dimensions -----------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's first SOF marker; None if there is none before the scan."""
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1  # not at a marker: a reader resynchronises the same way
            continue
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1  # fill byte
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xD9, 0xDA):
            return None
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in _SOF and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def jpx_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG 2000 image: its codestream's SIZ marker (what a decoder
    allocates), else the ihdr box of its JP2 header; the larger when both are there."""
    sizes = []
    siz = data.find(b"\xff\x4f\xff\x51")
    if siz >= 0 and siz + 24 <= len(data):
        xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", data[siz + 8:siz + 24])
        sizes.append((max(0, xsiz - xosiz), max(0, ysiz - yosiz)))
    ihdr = data.find(b"ihdr")
    if ihdr >= 0 and ihdr + 12 <= len(data):
        height, width = struct.unpack(">II", data[ihdr + 4:ihdr + 12])
        sizes.append((width, height))
    return max(sizes, key=lambda s: s[0] * s[1]) if sizes else None


def codec_size(name: str, head: bytes) -> tuple[int, int] | None:
    if name == "DCTDecode":
        return jpeg_size(head)
    if name == "JPXDecode":
        return jpx_size(head)
    return None
