"""Stage 6, manifest: a validated RecordSet -> the JSON manifest with one root hash over the whole set.

Construction (also in the README, to recompute without this code):
  entry  = {"kind": "record", "path", "id", "type", "sha256"}  sha256 = SHA-256 of the record's RFC 8785 JSON
         | {"kind": "source-document", "path", "sha256"}       sha256 = SHA-256 of the file's bytes
  leaf   = SHA-256 of the RFC 8785 JSON of the entry
  root   = SHA-256 of the RFC 8785 JSON of {"manifest_version": 1, "leaves": [every leaf, sorted]}
The root covers only leaf hashes, so an edition that must withhold a record (a protected signatory)
can publish that record's leaf alone and still prove it derives from the same signed root.
"""

from __future__ import annotations

from typing import Any

from .canonical import digest
from .validate import RecordSet

MANIFEST_VERSION = 1


def record_entry(path: str, record_id: str, record_type: str, sha256: str) -> dict[str, str]:
    return {"kind": "record", "path": path, "id": record_id, "type": record_type, "sha256": sha256}


def document_entry(path: str, sha256: str) -> dict[str, str]:
    return {"kind": "source-document", "path": path, "sha256": sha256}


def leaf_hash(entry: dict[str, Any]) -> str:
    return digest(entry)


def root_hash(entries: list[dict[str, Any]]) -> str:
    return digest({"manifest_version": MANIFEST_VERSION, "leaves": sorted(leaf_hash(entry) for entry in entries)})


def make_manifest(record_set: RecordSet) -> dict[str, Any]:
    """The manifest of a validated record set; paths are relative to the records folder."""
    records = [record_entry(record.path, record.id, record.record_type, record.digest)
               for record in record_set.records]
    documents = [document_entry(document.path, document.sha256) for document in record_set.documents]
    return {
        "manifest_version": MANIFEST_VERSION,
        "archival_id": record_set.config.get("archival_id"),
        "hash_algorithm": "sha-256",
        "canonicalization": "RFC 8785 (JCS)",
        "records": records,
        "source_documents": documents,
        "root": root_hash(records + documents),
    }


def manifest_root(manifest: dict[str, Any]) -> str:
    """Recompute the root from a manifest's entries (what a recipient does)."""
    return root_hash(list(manifest.get("records", [])) + list(manifest.get("source_documents", [])))
