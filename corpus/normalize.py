"""Decoding and normalisation: bytes -> NFC text with ``\\n`` line endings.

Decoding is deliberate, in this order, and the chosen encoding is recorded in the
document's ``meta["encoding"]``:

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-16 LE/BE, UTF-32 LE/BE;
2. strict UTF-8;
3. the legacy Cyrillic encodings cp1251 and koi8-r, chosen by which one reads as Russian
   (most Cyrillic letters lowercase, as in running text: koi8-r read as cp1251 flips case);
4. otherwise the file is rejected as undecodable (never decoded with replacement
   characters behind the user's back).

Empty files and binary files (NUL bytes or many control characters, no BOM) are rejected.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from goldwire.errors import DecodeError, InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_LOWER = re.compile(r"[\u0430-\u044f\u0451]")
_NEWLINES = re.compile(r"\r\n?")


class EmptyFileError(InputError):
    reason = "empty"


class BinaryFileError(InputError):
    reason = "binary"


def decode_bytes(data: bytes, source: str = "input") -> tuple[str, str]:
    """Decode a file's bytes; returns ``(text, encoding)`` or raises an InputError subclass."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise EmptyFileError(f"{source}: the file is empty; remove it or give it content")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"{source}: starts with a {encoding} byte-order mark but byte {exc.start} "
                    f"is not valid {encoding}; re-save the file as UTF-8"
                ) from exc
    sample = data[:8192]
    if b"\x00" in sample or len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise BinaryFileError(
            f"{source}: looks like a binary file (NUL or control bytes), not text; "
            "remove it from the input or convert it to text"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best = _best_cyrillic(data)
    if best is not None:
        return best
    raise DecodeError(
        f"{source}: not valid UTF-8 (byte {utf8_error.start}: "
        f"0x{data[utf8_error.start]:02x}) and not Cyrillic cp1251/koi8-r text; "
        "re-save the file as UTF-8"
    )


def _best_cyrillic(data: bytes) -> tuple[str, str] | None:
    best: tuple[float, str, str] | None = None
    for encoding in ("cp1251", "koi8-r"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        letters = len(_CYRILLIC.findall(text))
        if letters < 3 or letters < 0.2 * sum(ch.isalpha() for ch in text):
            continue
        score = len(_CYRILLIC_LOWER.findall(text)) / letters
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or best[0] < 0.5:
        return None
    return best[1], best[2]


def normalize_text(text: str) -> str:
    """NFC, ``\\n`` line endings, no BOM character. Idempotent."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _NEWLINES.sub("\n", text)
    return unicodedata.normalize("NFC", text)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, each stripped; empty ones dropped."""
    out = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        block = "\n".join(line.rstrip() for line in block.strip().split("\n"))
        if block.strip():
            out.append(block.strip())
    return out
