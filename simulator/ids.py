"""Deterministic identifiers, built vectorised.

Why hashing: ids derived from (seed, kind, keys) do not depend on generation order, so a
change in one part of the world does not reshuffle every id elsewhere. Hex and UUID strings
are written straight into Arrow buffers: a Python string per id would cost more than the rest.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-spread 64-bit hash of each element."""
    z = np.asarray(x, dtype=np.uint64) + _GOLD
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def derive(seed: int, kind: int, *keys) -> np.ndarray:
    """Hash of (seed, kind, keys...) broadcast over array keys."""
    h = mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ mix(np.uint64(kind)))
    for key in keys:
        with np.errstate(over="ignore"):
            h = mix(h ^ (np.asarray(key).astype(np.uint64) * _GOLD))
    return np.atleast_1d(h)


def _strings(chars: np.ndarray) -> pl.Series:
    """(n, w) uint8 character matrix to a Polars string Series without Python objects."""
    n, w = chars.shape
    data = np.ascontiguousarray(chars).reshape(-1)
    offsets = (np.arange(n + 1, dtype=np.int32) * w).astype(np.int32)
    arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))
    return pl.Series(arr)


def hex_matrix(words: np.ndarray) -> np.ndarray:
    """(n, k) uint64 words to (n, 16k) hex characters."""
    words = np.atleast_2d(np.asarray(words, dtype=np.uint64))
    raw = words.astype(">u8").view(np.uint8).reshape(words.shape[0], -1)
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


def hex_ids(h: np.ndarray, width: int) -> pl.Series:
    """Hex strings of `width` chars derived from hashes `h` (one per row)."""
    k = -(-width // 16)
    words = np.stack([mix(h + np.uint64(i)) for i in range(k)], axis=1)
    return _strings(hex_matrix(words)[:, :width])


def uuids(h: np.ndarray) -> pl.Series:
    """Version-4-shaped UUID strings from hashes `h`."""
    m = hex_matrix(np.stack([mix(h), mix(h ^ _M1)], axis=1))
    m[:, 12] = ord("4")
    m[:, 16] = _HEX[8 + (m[:, 16] % 4)]
    out = np.full((m.shape[0], 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = m[:, 0:8]
    out[:, 9:13] = m[:, 8:12]
    out[:, 14:18] = m[:, 12:16]
    out[:, 19:23] = m[:, 16:20]
    out[:, 24:36] = m[:, 20:32]
    return _strings(out)


_MASK = (1 << 64) - 1


def _mix1(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _derive1(seed: int, kind: int, keys: tuple) -> int:
    h = _mix1((seed & _MASK) ^ _mix1(kind))
    for key in keys:
        h = _mix1(h ^ ((int(key) * 0x9E3779B97F4A7C15) & _MASK))
    return h


def uuid1(seed: int, kind: int, *keys) -> str:
    """One UUID string (for the few ids made one at a time, in plain Python)."""
    h = _derive1(seed, kind, keys)
    x = f"{_mix1(h):016x}{_mix1(h ^ 0xBF58476D1CE4E5B9):016x}"
    v = "89ab"[int(x[16], 16) % 4]
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{v}{x[17:20]}-{x[20:32]}"


def hex1(seed: int, kind: int, width: int, *keys) -> str:
    """One hex string of `width` characters (the same as `hex_ids` on `derive(...)`).

    Ids made one at a time come with a counter as last key (session ids in the login loop), so
    they are computed vectorised by blocks of consecutive last keys and cached: a block costs
    less than a few ids hashed in plain Python.
    """
    last = int(keys[-1])
    block = (seed, kind, width, keys[:-1], last >> _BLOCK_BITS)
    values = _blocks.get(block)
    if values is None:
        if len(_blocks) >= 64:
            _blocks.clear()
        base = (last >> _BLOCK_BITS) << _BLOCK_BITS
        h = derive(seed, kind, *keys[:-1], np.arange(base, base + (1 << _BLOCK_BITS)))
        values = _blocks[block] = hex_ids(h, width).to_list()
    return values[last & ((1 << _BLOCK_BITS) - 1)]


_BLOCK_BITS = 10
_blocks: dict[tuple, list[str]] = {}


def _hex1_plain(seed: int, kind: int, width: int, *keys) -> str:
    """Reference implementation of `hex1`, in plain Python (kept for the tests)."""
    h = _derive1(seed, kind, keys)
    out = "".join(f"{_mix1(h + i):016x}" for i in range(-(-width // 16)))
    return out[:width]


_LETTERS = np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)
BEN_LO = 1_000_000  # beneficiary numbers start here (7 digits, no leading zero)
BEN_BLOCK = 9_000_000  # numbers per block: 1000000-9999999, one block per letter shift
BEN_HI = BEN_LO + BEN_BLOCK  # the historical space, enough for about 20k agents
BEN_MAX = BEN_LO + len(_LETTERS) * BEN_BLOCK  # every 7-digit + letter identifier (207M)


def beneficiary_space(need: int) -> int:
    """Exclusive upper bound of the beneficiary numbers for a world following `need` of them.

    The historical 9M numbers while they leave room to draw `need` distinct ones (so small
    worlds keep their bytes); past that, whole blocks of 9M up to four times the need, each
    block being the same 7 digits with the check letter shifted (`beneficiary_ids`).
    """
    if 4 * need <= BEN_BLOCK:
        return BEN_HI
    blocks = -(-4 * need // BEN_BLOCK)
    if blocks > len(_LETTERS):
        raise ValueError(f"{need:,} beneficiaries exceed the identifier space ({BEN_MAX - BEN_LO:,})")
    return BEN_LO + blocks * BEN_BLOCK


def beneficiary_ids(numbers: np.ndarray) -> pl.Series:
    """France-Travail-style identifiers: 7 digits and a letter ("4417302K").

    Numbers below `BEN_HI` are the 7 digits themselves with a check letter; block k above it
    (`BEN_LO + k * BEN_BLOCK` onwards) reuses the digits with the letter shifted by k, so every
    number in [BEN_LO, BEN_MAX) has its own identifier and the first block is unchanged.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    block = np.maximum(numbers - BEN_LO, 0) // BEN_BLOCK
    digits = numbers - block * BEN_BLOCK
    out = np.empty((len(numbers), 8), dtype=np.uint8)
    rest = digits.copy()
    for i in range(6, -1, -1):
        out[:, i] = ord("0") + rest % 10
        rest //= 10
    out[:, 7] = _LETTERS[(digits * 7 + 3 + block) % len(_LETTERS)]
    return _strings(out)
