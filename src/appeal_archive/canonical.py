"""Canonical form and digests: JSON data -> RFC 8785 (JCS) bytes -> SHA-256. Pure: no I/O, no clock.

A record's digest depends only on its values: YAML comments, key order, quoting and indentation never
change it, because the YAML is first read into plain JSON data and then serialised canonically.

The root hash over a record set (also in the README, to recompute without this code):
  entry  = {"kind": "record", "path", "id", "type", "sha256"}  sha256 = SHA-256 of the record's RFC 8785 JSON
         | {"kind": "source-document", "path", "sha256"}       sha256 = SHA-256 of the file's bytes
  leaf   = SHA-256 of the RFC 8785 JSON of the entry
  root   = SHA-256 of the RFC 8785 JSON of {"manifest_version": 1, "leaves": [every leaf, sorted]}
The root covers only leaf hashes, so an edition that must withhold a record (a protected signatory)
can publish that record's leaf alone and still prove it derives from the same signed root.
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


MANIFEST_VERSION = 1


def record_entry(path: str, record_id: str, record_type: str, sha256: str) -> dict[str, str]:
    return {"kind": "record", "path": path, "id": record_id, "type": record_type, "sha256": sha256}


def document_entry(path: str, sha256: str) -> dict[str, str]:
    return {"kind": "source-document", "path": path, "sha256": sha256}


def leaf(entry: dict[str, str]) -> str:
    """The leaf hash of a manifest entry (hex): SHA-256 of the entry's RFC 8785 form."""
    return digest(entry)


def root_hash(leaves: list[str]) -> str:
    """The root over a set's leaf hashes (in any order)."""
    return digest({"manifest_version": MANIFEST_VERSION, "leaves": sorted(leaves)})
