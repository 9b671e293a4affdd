"""Capped incremental decoding of gzip/deflate bodies."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from streams.poll.content_encoding import BodyTooLargeError, CappedDecoder, ContentEncodingError

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Live</title></channel></rss>' * 40


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _decode(encoding: str | None, wire: bytes, cap: int, chunk: int = 7) -> bytes:
    decoder = CappedDecoder(encoding, cap)
    for start in range(0, len(wire), chunk):
        decoder.feed(wire[start : start + chunk])
    return decoder.finish()


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [
        (None, FEED),
        ("identity", FEED),
        ("gzip", gzip.compress(FEED)),
        ("X-GZIP", gzip.compress(FEED)),
        ("deflate", zlib.compress(FEED)),  # RFC 9110 "deflate": zlib-wrapped
        ("deflate", _raw_deflate(FEED)),  # what some servers send instead
    ],
)
def test_decodes_supported_encodings_in_small_chunks(encoding: str | None, wire: bytes) -> None:
    assert _decode(encoding, wire, cap=len(FEED)) == FEED


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [(None, FEED), ("gzip", gzip.compress(FEED)), ("deflate", zlib.compress(FEED))],
)
def test_one_byte_over_the_cap_is_refused(encoding: str | None, wire: bytes) -> None:
    with pytest.raises(BodyTooLargeError):
        _decode(encoding, wire, cap=len(FEED) - 1)


def test_gzip_bomb_never_allocates_beyond_the_cap() -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=9)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError):
            _decode("gzip", bomb, cap=cap, chunk=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [
        ("br", b"\x0b\x02\x80hello\x03"),  # not offered in Accept-Encoding
        ("gzip, gzip", gzip.compress(gzip.compress(FEED))),
        ("gzip", gzip.compress(FEED)[:-12]),  # truncated
        ("gzip", b"not gzip at all, just text"),
        ("deflate", b"x"),
    ],
)
def test_unsupported_or_corrupt_bodies_are_rejected(encoding: str, wire: bytes) -> None:
    with pytest.raises(ContentEncodingError):
        _decode(encoding, wire, cap=10 * len(FEED))
