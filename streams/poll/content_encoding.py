"""Incremental, size-capped decoding of HTTP content codings (RFC 9110 8.4.1).

The cap applies to the decoded output while it is produced, so a gzip bomb never allocates
more than the cap: zlib is asked for at most "room left + 1" bytes per input chunk.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from streams.errors import TelexError


class BodyTooLargeError(TelexError):
    """The (decoded) body exceeds the configured size cap."""


class ContentEncodingError(TelexError):
    """The body's Content-Encoding is unsupported or its data is corrupt or truncated."""


class _Inflater(Protocol):
    @property
    def unconsumed_tail(self) -> bytes: ...
    @property
    def eof(self) -> bool: ...
    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...
    def flush(self, length: int = ...) -> bytes: ...


SUPPORTED_ENCODINGS = frozenset({"identity", "gzip", "x-gzip", "deflate"})
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def _deflate_wbits(head: bytes) -> int:
    """zlib wrapper (RFC 1950) if the header checks out, else raw deflate (RFC 1951).

    RFC 9110 8.4.1.2 says "deflate" is zlib-wrapped, but some servers send raw deflate.
    """
    cmf, flg = head[0], head[1]
    is_zlib = cmf & 0x0F == 8 and ((cmf << 8) | flg) % 31 == 0
    return zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS


class CappedDecoder:
    """Feed raw body chunks, then `finish()` for the decoded body; raises past `cap` bytes."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        self._encoding = (content_encoding or "identity").strip().lower()
        if self._encoding not in SUPPORTED_ENCODINGS:
            raise ContentEncodingError(f"unsupported Content-Encoding {self._encoding!r}")
        self._cap = cap
        self._output = bytearray()
        self._pending = b""  # deflate bytes held until the 2-byte header can be sniffed
        self._inflater: _Inflater | None = None
        if self._encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(_GZIP_WBITS)

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk, enforcing the cap on the output."""
        if self._encoding == "identity":
            self._append(chunk)
            return
        if self._inflater is None:
            self._pending += chunk
            if len(self._pending) < 2:
                return
            self._inflater = zlib.decompressobj(_deflate_wbits(self._pending))
            chunk, self._pending = self._pending, b""
        self._inflate(self._inflater, chunk)

    def finish(self) -> bytes:
        """The whole decoded body; raises ContentEncodingError if the stream was truncated."""
        if self._encoding == "identity":
            return bytes(self._output)
        if self._inflater is None:
            raise ContentEncodingError(f"{self._encoding} body is truncated")
        self._append(self._inflater.flush(self._room() + 1))
        if not self._inflater.eof:
            raise ContentEncodingError(f"{self._encoding} body is truncated")
        return bytes(self._output)

    def _inflate(self, inflater: _Inflater, chunk: bytes) -> None:
        try:
            # Asking for one byte more than the room left detects an overflow without
            # decompressing the rest; any leftover input then stays in unconsumed_tail.
            self._append(inflater.decompress(chunk, self._room() + 1))
        except zlib.error as error:
            raise ContentEncodingError(f"corrupt {self._encoding} body: {error}") from error

    def _room(self) -> int:
        return self._cap - len(self._output)

    def _append(self, data: bytes) -> None:
        if len(data) > self._room():
            raise BodyTooLargeError(f"body exceeds {self._cap} bytes after decoding")
        self._output += data
