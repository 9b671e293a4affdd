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


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # A 16/32-bit label on ASCII-compatible bytes is wrong (XML 1.0 Appendix F; WHATWG
        # reads <meta charset=utf-16> as UTF-8): the bytes decide.
        pytest.param(f'<?xml version="1.0" encoding="utf-16"?><a>{TEXT}</a>'.encode(), None,
                     id="declared-utf16-bytes-utf8"),
        pytest.param(f'<meta charset="UTF-16LE"><p>{TEXT}</p>'.encode(), "text/html",
                     id="meta-utf16le-bytes-utf8"),
        pytest.param(f"<a>{TEXT}</a>".encode(), "text/xml; charset=utf-16",
                     id="header-utf16-bytes-utf8"),
        pytest.param(f"<a>{TEXT}</a>".encode(), "text/xml; charset=utf-32",
                     id="header-utf32-bytes-utf8"),
        # ... and then the declaration, when the header was the wrong one.
        pytest.param(
            f'<?xml version="1.0" encoding="windows-1252"?><a>{TEXT}</a>'.encode("cp1252"),
            "text/xml; charset=utf-16", id="header-utf16-declared-cp1252"),
        # UTF-16/32 without a BOM, whatever the labels say: the NULs show it.
        pytest.param(f"<a>{TEXT}</a>".encode("utf-16-le"), "text/xml; charset=utf-8",
                     id="header-utf8-bytes-utf16le"),
        pytest.param(
            f'<?xml version="1.0" encoding="utf-16"?><a>{TEXT}</a>'.encode("utf-16-be"), None,
            id="declared-utf16-bytes-utf16be"),
        pytest.param(
            f'<?xml version="1.0" encoding="utf-8"?><a>{TEXT}</a>'.encode("utf-16-le"), None,
            id="declared-utf8-bytes-utf16le"),
        pytest.param(f"<a>{TEXT}</a>".encode("utf-32-be"), "text/xml; charset=iso-8859-1",
                     id="header-latin1-bytes-utf32be"),
        pytest.param(f"\n<a>{TEXT}</a>".encode("utf-32-le"), None, id="bytes-utf32le"),
        # A BOM against the declaration and the header: the BOM wins.
        pytest.param(
            codecs.BOM_UTF8 + f'<?xml version="1.0" encoding="utf-16"?><a>{TEXT}</a>'.encode(),
            "text/xml; charset=utf-16", id="bom-utf8-declared-and-header-utf16"),
    ],
)  # fmt: skip
def test_labels_that_contradict_the_bytes_are_ignored(
    body: bytes, content_type: str | None
) -> None:
    text = decode_body(body, content_type)
    assert TEXT in text
    assert text.lstrip().startswith("<")


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
