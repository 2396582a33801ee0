from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.corpus.normalize import (
    BinaryFileError,
    EmptyFileError,
    check_encoding,
    decode_bytes,
    normalize_text,
    split_paragraphs,
)
from goldwire.errors import DecodeError, UsageError

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
    unicode_space = "\u2028\u00a0\u3000\n".encode()  # found by tests/corpus/test_fuzz_build.py
    for data in (b"", b"  \n\r\n\t", codecs.BOM_UTF8 + b"\n", unicode_space):
        with pytest.raises(EmptyFileError, match=r"^e\.txt: the file is empty"):
            decode_bytes(data, "e.txt")


def test_binary_is_rejected():
    with pytest.raises(BinaryFileError, match=r"^b\.bin: looks like a binary file"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "b.bin")


def test_nul_anywhere_is_binary_and_nuls_are_not_empty():
    late = b"Title\n\n" + b"words " * 3000 + b"\x00 tail\n"  # the NUL after 16 KiB
    assert late.index(b"\x00") > 8192
    for data in (late, b"\x00" * 1000, b"\n\x00\n"):
        with pytest.raises(BinaryFileError, match=r"^n\.txt: looks like a binary file"):
            decode_bytes(data, "n.txt")
    with pytest.raises(BinaryFileError):  # a NUL character in UTF-16 text, after its BOM
        decode_bytes(codecs.BOM_UTF16_LE + "ab\x00c".encode("utf-16-le"), "n.txt")


RU_LONG = (
    "Новость: в Ереване прошли переговоры о безопасности на границе.\n\n"
    "ЕРЕВАН, 31 марта. /ТАСС/. Стороны обсудили вопросы сотрудничества и готовность помочь."
)


def test_utf8_cut_at_every_position_is_the_exact_prefix_or_rejected():
    data = RU_LONG.encode("utf-8")
    for cut in range(len(data) - 24, len(data) + 1):
        try:
            text, used = decode_bytes(data[:cut], "cut.txt")
        except DecodeError as exc:
            assert str(exc).startswith("cut.txt: valid UTF-8 up to byte ")
            assert "ends inside a character" in str(exc)
            continue
        assert (text, used) == (data[:cut].decode("utf-8"), "utf-8"), cut  # never mojibake
    with pytest.raises(DecodeError, match=r"^cut\.txt: not valid UTF-8 \(byte 3: 0xd0\)"):
        decode_bytes(b"abc" + "д".encode()[:1], "cut.txt")  # too little to be Cyrillic


@pytest.mark.parametrize(
    ("head", "tail"),
    [
        ("utf-8", "cp1251"),
        ("utf-8", "koi8-r"),
        ("cp1251", "utf-8"),
        ("koi8-r", "utf-8"),
        ("cp1251", "koi8-r"),
        ("koi8-r", "cp1251"),
    ],
)
def test_mixed_encodings_are_rejected_not_half_mojibake(head, tail):
    more = " Дополнение: стороны договорились встретиться снова в апреле."
    for cut in (len(more), 30, 12):  # tails of several lengths
        data = RU_LONG.encode(head) + more[:cut].encode(tail)
        with pytest.raises(DecodeError, match=r"^mix\.txt: .*(mixed encodings|not UTF-8)"):
            decode_bytes(data, "mix.txt")


def test_legacy_fixtures_keep_their_encoding():
    from gwtest import TEST_DATA

    for name, encoding in (("ru_cp1251.txt", "cp1251"), ("ru_koi8r.txt", "koi8-r")):
        data = (TEST_DATA / "bad_inputs" / name).read_bytes()
        assert decode_bytes(data, name) == (data.decode(encoding), encoding)


def test_the_users_encoding_is_the_only_one_tried():
    data = RU.encode("cp1251")
    assert decode_bytes(data, "r.txt", "cp1251") == (RU, "cp1251")
    with pytest.raises(DecodeError, match=r"^r\.txt: byte 0 \(0xcc\) is not valid utf-8"):
        decode_bytes(data, "r.txt", "utf-8")
    bad = RU.encode("utf-8")[:10] + b"\x98"  # 0x98 is no cp1251 character
    with pytest.raises(DecodeError, match=r"^r\.txt: byte 10 \(0x98\) is not valid cp1251"):
        decode_bytes(bad, "r.txt", "cp1251")
    assert check_encoding("windows-1251") == "cp1251"
    for name in ("no-such-codec", "base64"):
        with pytest.raises(UsageError, match=rf"^--encoding {name}: not a text encoding"):
            check_encoding(name)


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
    if not text.lstrip("\ufeff").strip():  # white space only (any Unicode space): empty
        with pytest.raises(EmptyFileError):
            decode_bytes(text.encode("utf-8"), "t")
        return
    decoded, enc = decode_bytes(text.encode("utf-8"), "t")
    assert decoded == text and enc == "utf-8"


def test_split_paragraphs_strips_and_drops_empty():
    assert split_paragraphs("\n\n a \nb  \n\n\n  \n c\n") == ["a\nb", "c"]
