"""Decoding: an input file's bytes as text.

BOMs are honoured; UTF-8 comes first, and a file that is UTF-8 but for a
few bad bytes (a stray byte, a file cut in the middle of a character) is
read as UTF-8 with those bytes replaced, saying on which lines; otherwise
the region's legacy encodings (cp1251, koi8-u, latin-1) are detected by
charset-normalizer. NULs are removed and line endings made "\\n".
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

LEGACY_ENCODINGS = ["cp1251", "koi8_u", "latin_1"]
BINARY_SIGNATURES = (b"\x89PNG", b"PK\x03\x04", b"%PDF", b"GIF8", b"\xff\xd8\xff", b"\x7fELF",
                     b"\x1f\x8b", b"BZh", b"7z\xbc\xaf")
# UTF-8 with bad bytes: at most one bad sequence per this many good non-ASCII
# characters (a file in a legacy encoding has almost nothing but bad ones).
GOOD_PER_BAD = 20
MAX_BAD_SEQUENCES = 1000
LINES_NAMED = 5
REPLACED = "\N{REPLACEMENT CHARACTER}"


class DecodeError(Exception):
    """Bytes that are not text in any encoding geomap reads."""


@dataclass(frozen=True)
class Decoded:
    text: str
    bad_lines: tuple[int, ...] = ()  # lines (from 1) where bytes were not UTF-8 and replaced

    def warning(self, first_line: int = 1) -> str | None:
        """What to say about replaced bytes, or None when there were none."""
        if not self.bad_lines:
            return None
        lines = [str(line + first_line - 1) for line in self.bad_lines[:LINES_NAMED]]
        more = len(self.bad_lines) - len(lines)
        where = ", ".join(lines) + (f" and {more} more" if more else "")
        return (f"bytes that are not UTF-8 on line{'s' if len(self.bad_lines) > 1 else ''} "
                f"{where}, read as {REPLACED}")


def decode(data: bytes) -> Decoded:
    """Bytes of a text file as text (see the module's docstring)."""
    if not data.strip():
        raise DecodeError("empty file")
    bad_lines: tuple[int, ...] = ()
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        head = data[:8192]
        if head.startswith(BINARY_SIGNATURES) or head.count(0) > len(head) // 10:
            raise DecodeError("binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, bad_lines = _mostly_utf8(data) or (_legacy(data), ())
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DecodeError("no text")
    return Decoded(text, bad_lines)


def _mostly_utf8(data: bytes) -> tuple[str, tuple[int, ...]] | None:
    """UTF-8 with its few bad sequences replaced, and their lines; None when
    the bytes look like another encoding."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count(REPLACED) - data.count(REPLACED.encode("utf-8"))
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    cut_at_end = bad == 1 and text.endswith(REPLACED)
    if not cut_at_end and (bad > MAX_BAD_SEQUENCES or non_ascii < GOOD_PER_BAD * bad):
        return None
    lines: list[int] = []
    line, counted, position = 1, 0, text.find(REPLACED)
    while position >= 0:
        line += text.count("\n", counted, position)
        counted = position
        if not lines or lines[-1] != line:
            lines.append(line)
        position = text.find(REPLACED, position + 1)
    return text, tuple(lines)


def _legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        raise DecodeError("not text in UTF-8, UTF-16, cp1251, koi8-u or latin-1")
    return str(best)
