"""Turn feed bodies into Unicode: BOM, byte pattern, HTTP charset, declaration, mislabel repair.

Precedence follows RFC 7303 §3 (BOM, then the HTTP charset, then the in-document
declaration), with the WHATWG rule that ISO-8859-1 and US-ASCII labels mean windows-1252.
Labels are checked against the bytes first: without a BOM, the NULs of the first four bytes
tell UTF-16/32 from ASCII-compatible text (XML 1.0 Appendix F.1), and a label of the other
kind is ignored, as WHATWG reads a `<meta charset=utf-16>` as UTF-8.
Decoding never raises: undecodable bytes become U+FFFD as a last resort.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# WHATWG Encoding Standard: these labels are decoded as windows-1252 by browsers.
_WINDOWS_1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
_SNIFF_BYTES = 2048
# XML 1.0 Appendix F.1: where the NULs fall in the first four bytes of '<?xm' (or any ASCII).
_WIDE_BY_NULS: dict[tuple[bool, ...], str] = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be",
    (False, True, False, True): "utf-16-le",
}
_WIDE_CODECS = ("utf-16", "utf-32")
_CP1252_FALLBACK = "telex-utf8-cp1252-fallback"


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else None


def sniff_bom(body: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces and the mark's length."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None


def sniff_wide(body: bytes) -> str | None:
    """The UTF-16/32 codec the NULs of the first four bytes show, None for 8-bit text."""
    return _WIDE_BY_NULS.get(tuple(byte == 0 for byte in body[:4]))


def declared_in_document(body: bytes) -> str | None:
    """The encoding named by an XML declaration or an HTML meta tag near the start."""
    head = body[:_SNIFF_BYTES]
    match = _XML_DECLARATION.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def normalise_label(label: str | None) -> str | None:
    """A Python codec name for an encoding label, or None when the label is unknown."""
    if not label:
        return None
    lowered = label.strip().lower()
    if lowered in _WINDOWS_1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return None


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Decode a fetched body to text, repairing bodies whose declared charset is wrong."""
    bom = sniff_bom(body)
    if bom is not None:
        name, length = bom
        return body[length:].decode(name, errors="replace")
    wide = sniff_wide(body)
    if wide is not None:
        return _decode_single(body, wide)
    labels = (charset_from_content_type(content_type), declared_in_document(body))
    declared = (normalise_label(label) for label in labels)
    # The bytes are 8-bit text here, so a UTF-16/32 label is wrong whatever it says.
    fitting = (codec for codec in declared if codec and not codec.startswith(_WIDE_CODECS))
    return _decode_declared(body, next(fitting, "utf-8"))


def _decode_declared(body: bytes, declared: str) -> str:
    if declared == "utf-8":
        return _utf8_or_cp1252(body)
    if declared == "cp1252" and not body.isascii():
        # Valid multi-byte UTF-8 almost never occurs in real windows-1252 text,
        # so a body that decodes strictly as UTF-8 was mislabelled.
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return _decode_single(body, declared)


def _utf8_or_cp1252(body: bytes) -> str:
    return body.decode("utf-8", errors=_CP1252_FALLBACK)


def _cp1252_for_invalid_utf8(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read each byte that is not valid UTF-8 as windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return _decode_single(bad, "cp1252"), error.end


def _decode_single(body: bytes, codec: str) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        if codec == "cp1252":
            # cp1252 leaves five bytes undefined; latin-1 maps them to C1 controls instead.
            return body.decode("latin-1")
        return body.decode(codec, errors="replace")


codecs.register_error(_CP1252_FALLBACK, _cp1252_for_invalid_utf8)
