from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.corpus.normalize import (
    BinaryFileError,
    EmptyFileError,
    decode_bytes,
    normalize_text,
    split_paragraphs,
)
from goldwire.errors import DecodeError

RU = "МОСКВА, 31 марта. /ТАСС/. Организация Договора о коллективной безопасности готова помочь."


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("cp1251", b"", "cp1251"),
        ("koi8-r", b"", "koi8-r"),
    ],
)
def test_decodes_russian_in_each_supported_encoding(encoding, prefix, expected):
    text, used = decode_bytes(prefix + RU.encode(encoding), "ru.txt")
    assert used == expected
    assert normalize_text(text) == RU


def test_empty_and_whitespace_files_are_rejected():
    for data in (b"", b"  \n\r\n\t", codecs.BOM_UTF8 + b"\n"):
        with pytest.raises(EmptyFileError, match=r"^e\.txt: the file is empty"):
            decode_bytes(data, "e.txt")


def test_binary_is_rejected():
    with pytest.raises(BinaryFileError, match=r"^b\.bin: looks like a binary file"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "b.bin")


def test_undecodable_latin_bytes_are_rejected_not_guessed():
    data = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e in Paris".encode("latin-1")
    with pytest.raises(DecodeError, match=r"^x\.txt: not valid UTF-8 \(byte 3: 0xe9\)"):
        decode_bytes(data, "x.txt")


def test_line_endings_and_nfc():
    assert normalize_text("a\r\nb\rc\n") == "a\nb\nc\n"
    assert normalize_text("Cafe\u0301") == "Caf\u00e9"
    assert normalize_text("\ufeffx") == "x"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_normalize_is_idempotent_and_nfc(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\r" not in once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1))
def test_utf8_round_trip(text):
    if not text.strip(" \t\r\n\x00\ufeff"):
        return
    decoded, enc = decode_bytes(text.encode("utf-8"), "t")
    assert decoded == text and enc == "utf-8"


def test_split_paragraphs_strips_and_drops_empty():
    assert split_paragraphs("\n\n a \nb  \n\n\n  \n c\n") == ["a\nb", "c"]
