"""Stage 6, manifest: a validated RecordSet -> the JSON manifest with one root hash over the whole set.

The construction of digests, leaves and root is in canonical.py (and in the README).
"""

from __future__ import annotations

from typing import Any

from .canonical import MANIFEST_VERSION, digest, document_entry, record_entry, root_hash
from .validate import RecordSet


def make_manifest(record_set: RecordSet) -> dict[str, Any]:
    """The manifest of a validated record set; paths are relative to the records folder."""
    records = [record_entry(record.path, record.id, record.record_type, record.digest)
               for record in record_set.records]
    documents = [document_entry(document.path, document.sha256) for document in record_set.documents]
    leaves = [record.leaf for record in record_set.records] + [digest(entry) for entry in documents]
    return {
        "manifest_version": MANIFEST_VERSION,
        "archival_id": record_set.config.get("archival_id"),
        "hash_algorithm": "sha-256",
        "canonicalization": "RFC 8785 (JCS)",
        "records": records,
        "source_documents": documents,
        "root": root_hash(leaves),
    }


def manifest_root(manifest: dict[str, Any]) -> str:
    """Recompute the root from a manifest's entries, as a recipient does."""
    entries = list(manifest.get("records", [])) + list(manifest.get("source_documents", []))
    return root_hash([digest(entry) for entry in entries])
