"""decode_body: BOM, HTTP charset, in-document declaration and mislabel repair."""

from __future__ import annotations

import codecs

import pytest

from streams.poll.encoding import charset_from_content_type, decode_body

TEXT = "L’été « brûlant » à Zürich – Grüße, Straße"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (TEXT.encode("utf-8"), None),
        (TEXT.encode("utf-8"), "text/xml; charset=utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "text/xml; charset=iso-8859-1"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), None),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "text/xml; charset=utf-8"),
        (TEXT.encode("cp1252"), "text/html; charset=windows-1252"),
        (TEXT.encode("cp1252"), "text/xml; charset=utf-8"),  # declared UTF-8, is cp1252
        (TEXT.encode("cp1252"), None),
        (TEXT.encode("utf-8"), 'text/html; charset="ISO-8859-1"'),  # declared latin-1, is UTF-8
        (TEXT.encode("utf-8"), "text/html; charset=no-such-codec"),
    ],
)
def test_decodes_to_the_original_text(body: bytes, content_type: str | None) -> None:
    assert decode_body(body, content_type) == TEXT


@pytest.mark.parametrize(
    ("declaration", "codec"),
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
        ("<?xml version='1.0' encoding='windows-1252'?>", "cp1252"),
        ('<meta charset="iso-8859-15">', "iso-8859-15"),
    ],
)
def test_in_document_declaration_is_honoured(declaration: str, codec: str) -> None:
    document = declaration + "<a>Grüße, déjà, œuvre</a>"
    expected = document if codec != "latin-1" else document.replace("œ", "?")
    assert decode_body(document.encode(codec, errors="replace")) == expected


def test_mixed_utf8_and_cp1252_repairs_only_the_bad_bytes() -> None:
    body = "Déjà ".encode() + "l’été".encode("cp1252")
    assert decode_body(body, "text/plain; charset=utf-8") == "Déjà l’été"


@pytest.mark.parametrize("body", [b"\xff\xfe\xfd", b"\x81\x8d\x8f\x90\x9d", bytes(range(256))])
def test_invalid_bytes_never_raise(body: bytes) -> None:
    assert isinstance(decode_body(body, "text/xml; charset=utf-8"), str)


@pytest.mark.parametrize(
    ("header", "charset"),
    [("text/xml; charset=UTF-8", "UTF-8"), ('text/html;charset="utf-8"', "utf-8"),
     ("application/rss+xml", None), (None, None)],
)  # fmt: skip
def test_charset_from_content_type(header: str | None, charset: str | None) -> None:
    assert charset_from_content_type(header) == charset
