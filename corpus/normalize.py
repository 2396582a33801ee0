"""Decoding and normalisation: bytes -> NFC text with ``\\n`` line endings.

Decoding is deliberate, in this order, and the chosen encoding is recorded in the
document's ``meta["encoding"]``:

0. the encoding the user gave (``corpus build --encoding NAME``) when there is one: the only
   one tried; a byte that is not valid in it rejects the file, naming the byte's offset;
1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-16 LE/BE, UTF-32 LE/BE;
2. strict UTF-8. A file that is valid UTF-8 with non-ASCII characters up to some byte and
   then is not (cut inside a character, or another encoding's text appended) is rejected:
   it is never re-read as a legacy code page, which would turn its UTF-8 part into mojibake;
3. the legacy Cyrillic encodings cp1251 and koi8-r, chosen by which one reads as Russian
   (most Cyrillic letters lowercase, as in running text: koi8-r read as cp1251 flips case),
   and only when the result shows no sign of mixed encodings (UTF-8 Cyrillic letters in the
   bytes, or words whose case is flipped after their first letter, such as ``нОВОСТЬ``:
   the other code page's text); a mixed file is rejected rather than half mojibake;
4. otherwise the file is rejected as undecodable (never decoded with replacement
   characters behind the user's back).

Empty files (nothing but white space, Unicode's included) and binary files are rejected: a
NUL anywhere in the file (a single ``b"\\x00" in data``, at C speed), or many control
characters in its first 8 KiB, makes it binary.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from goldwire.errors import DecodeError, InputError, UsageError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SPACE = b" \t\r\n\f\v"
_SAMPLE = 8192
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_LOWER = re.compile(r"[\u0430-\u044f\u0451]")
# two UTF-8 Cyrillic letters in a row (U+0400..U+045F): never cp1251 or koi8-r Russian text
_UTF8_CYRILLIC = re.compile(rb"(?:\xd0[\x80-\xbf]|\xd1[\x80-\x9f]){2}")
# a lowercase letter then three or more capitals: the other code page's word, case flipped
_FLIPPED = re.compile(r"(?<![\u0400-\u04ff])[\u0430-\u044f\u0451][\u0410-\u042f\u0401]{3,}")
_NEWLINES = re.compile(r"\r\n?")


class EmptyFileError(InputError):
    reason = "empty"


class BinaryFileError(InputError):
    reason = "binary"


def check_encoding(name: str) -> str:
    """The codec name for ``--encoding NAME`` (``windows-1251`` -> ``cp1251``), or UsageError."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"--encoding {name}: not a text encoding Python knows; give one such as utf-8, "
            "cp1251, koi8-r, latin-1 or utf-16"
        )
    return info.name


def decode_bytes(data: bytes, source: str = "input", encoding: str | None = None
                 ) -> tuple[str, str]:  # fmt: skip
    """Decode a file's bytes; returns ``(text, encoding)`` or raises an InputError subclass.

    ``encoding`` (the user's ``--encoding``) is the only one tried when given; ``source`` is
    the name messages start with (already safe to show)."""
    if encoding is not None:
        return _checked(_decode_as(data, source, encoding), source), encoding
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"{source}: starts with a {name} byte-order mark but byte {exc.start} "
                    f"is not valid {name}; re-save the file as UTF-8"
                ) from exc
            return _checked(text, source), name
    if not data.strip(_SPACE):
        raise _empty(source)
    sample = data[:_SAMPLE]
    if b"\x00" in data or len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise _binary(source)
    try:
        return _checked(data.decode("utf-8"), source), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    start = utf8_error.start
    if not data[:start].isascii():
        raise DecodeError(_broken_utf8(data, source, utf8_error))
    best = _best_cyrillic(data, source)
    if best is not None:
        return _checked(best[0], source), best[1]
    raise DecodeError(
        f"{source}: not valid UTF-8 (byte {start}: 0x{data[start]:02x}) and not Cyrillic "
        "cp1251/koi8-r text; re-save the file as UTF-8, or pass --encoding NAME"
    )


def _decode_as(data: bytes, source: str, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        byte = f" (0x{data[exc.start]:02x})" if exc.start < len(data) else ""
        raise DecodeError(
            f"{source}: byte {exc.start}{byte} is not valid {encoding} (--encoding "
            f"{encoding}); re-save the file in {encoding}, or build it without --encoding"
        ) from exc


def _checked(text: str, source: str) -> str:
    """Decoded text that is neither empty nor binary (a NUL character)."""
    if not text.lstrip("\ufeff").strip():
        raise _empty(source)
    if "\x00" in text:
        raise _binary(source)
    return text


def _empty(source: str) -> EmptyFileError:
    return EmptyFileError(f"{source}: the file is empty; remove it or give it content")


def _binary(source: str) -> BinaryFileError:
    return BinaryFileError(
        f"{source}: looks like a binary file (NUL or control bytes), not text; "
        "remove it from the input or convert it to text"
    )


def _broken_utf8(data: bytes, source: str, exc: UnicodeDecodeError) -> str:
    """Valid UTF-8 text, then a byte that is not: cut, or another encoding appended."""
    if exc.reason == "unexpected end of data":
        what = "where the file ends inside a character (is it cut off?)"
    else:
        what = f"then 0x{data[exc.start]:02x}, which is not UTF-8 (cut, or mixed encodings)"
    return (
        f"{source}: valid UTF-8 up to byte {exc.start}, {what}; restore or re-save the file "
        "as UTF-8 (it is not re-read as another code page, which would garble the UTF-8 part)"
    )


def _best_cyrillic(data: bytes, source: str) -> tuple[str, str] | None:
    """cp1251 or koi8-r, whichever reads as Russian; DecodeError when the file mixes them or
    holds UTF-8 Cyrillic; None when neither reads as Cyrillic text."""
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
    _, text, encoding = best
    mixed = _UTF8_CYRILLIC.search(data)
    if mixed is not None:
        raise DecodeError(
            f"{source}: reads as {encoding} but holds UTF-8 Cyrillic text at byte "
            f"{mixed.start()} (mixed encodings); re-save the whole file in one encoding"
        )
    flipped = _FLIPPED.search(text)
    if flipped is not None:
        other = "koi8-r" if encoding == "cp1251" else "cp1251"
        raise DecodeError(
            f"{source}: reads as {encoding} but holds words such as {flipped.group()!r} that "
            f"look like {other} (mixed encodings); re-save the whole file in one encoding, "
            "or pass --encoding NAME if it really is one"
        )
    return text, encoding


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
