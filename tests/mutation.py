"""Byte-level mutation of a seed file, shared by the property tests of every parser."""

from __future__ import annotations

from hypothesis import strategies as st


def edit_bytes(draw: st.DrawFn, seed: bytes, alphabet: bytes) -> bytes:
    """`seed` with 1-8 bytes from `alphabet` replaced, inserted or deleted at drawn places."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.sampled_from(alphabet))
        if what == "insert" or not data:
            data.insert(where, byte)
        elif what == "replace":
            data[min(where, len(data) - 1)] = byte
        else:
            del data[min(where, len(data) - 1)]
    return bytes(data)
