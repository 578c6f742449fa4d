"""Plain text: encodings as Chinese publishers save them, one row per line."""
from __future__ import annotations

from xxgk.model import DocumentRejected, Row


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK/GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise DocumentRejected("text encoding not recognised (tried UTF-8, GB18030)") from None
        return str(best)


def text_rows(text: str) -> list[Row]:
    """One row per line; tab-separated cells (text copied out of tables keeps its tabs)."""
    return [
        Row(line.rstrip("\r").split("\t"), f"line {n}")
        for n, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]
