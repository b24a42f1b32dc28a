"""Canonical form and digests: JSON data -> RFC 8785 (JCS) bytes -> SHA-256. Pure: no I/O, no clock.

A record's digest depends only on its values: YAML comments, key order, quoting and indentation never
change it, because the YAML is first read into plain JSON data and then serialised canonically. How digests
become the leaves and the root of a record set: ledger/leaves.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(data: Any) -> bytes:
    """RFC 8785 canonical JSON of plain data (dicts, lists, strings, integers, booleans, null)."""
    return rfc8785.dumps(data)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `data`."""
    return sha256_hex(canonical_json(data))
