"""Canonical form and digests: JSON data -> RFC 8785 (JCS) bytes -> SHA-256. Pure: no I/O, no clock.

A record's digest depends only on its values: YAML comments, key order, quoting and indentation never
change it, because the YAML is first read into plain JSON data and then serialised canonically. How digests
become the leaves and the root of a record set: ledger/leaves.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles
_FIRST_SURROGATE = "\ud800"


def canonical_json(data: Any) -> bytes:
    """RFC 8785 canonical JSON of plain data (dicts, lists, strings, integers, booleans, null).

    Records hold no numbers but small integers and no keys outside the Basic Multilingual Plane's first part,
    and for such data Python's own JSON writer, keys sorted and nothing escaped but what RFC 8785 escapes (the
    quote, the backslash, control characters, alike: \\n, \\u001f), writes the same bytes three times faster
    than rfc8785 (pure Python). Any other data (a float, a large integer, a key whose UTF-16 order could differ
    from its code points' order, a lone surrogate) goes to rfc8785. A property test holds the two together."""
    if _plain(data):
        try:
            return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 says what is wrong with it
    return rfc8785.dumps(data)


def _plain(data: Any) -> bool:
    """Whether the data is of the kinds for which Python's JSON is RFC 8785's."""
    kind = type(data)
    if kind is str or kind is bool or data is None:
        return True
    if kind is int:
        return -_SAFE_INTEGER <= data <= _SAFE_INTEGER
    if kind is list:
        return all(_plain(value) for value in data)
    if kind is dict:
        return all(type(key) is str and (key.isascii() or max(key) < _FIRST_SURROGATE) and _plain(value)
                   for key, value in data.items())
    return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `data`."""
    return sha256_hex(canonical_json(data))
