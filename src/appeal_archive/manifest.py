"""Stage 6, manifest: a validated RecordSet -> the manifest, with one root hash over the whole set.

The construction of digests, leaves and root is in canonical.py (and in the README); the bytes the
manifest is written as are declared in layout.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .canonical import MANIFEST_VERSION, document_entry, leaf, record_entry, root_hash
from .errors import Issue
from .recordset import RecordSet
from .validate import ValidationReport, load_record_set


def make_manifest(record_set: RecordSet) -> dict[str, Any]:
    """The manifest of a validated record set; paths are relative to the records folder."""
    records = [record_entry(record.path, record.id, record.record_type, record.digest)
               for record in record_set.records]
    documents = [document_entry(document.path, document.sha256) for document in record_set.documents]
    leaves = [record.leaf for record in record_set.records] + [leaf(entry) for entry in documents]
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
    return root_hash([leaf(entry) for entry in entries])


def manifest_shape_problem(manifest: Any) -> str | None:
    """What keeps a manifest from being one appeal-archive wrote, or None."""
    fields = {"records": ("path", "id", "type", "sha256"), "source_documents": ("path", "sha256")}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("root"), str):
        return "it has no root"
    for key, names in fields.items():
        entries = manifest.get(key)
        if not isinstance(entries, list) or not all(
                isinstance(entry, dict) and all(isinstance(entry.get(name), str) for name in names)
                for entry in entries):
            return f"its {key} are not a list of entries with {', '.join(names)}"
    return None


@dataclass
class ManifestReport:
    """The manifest of a records folder, or (when the records are invalid) why there is none."""

    validation: ValidationReport
    manifest: dict[str, Any] | None

    @property
    def issues(self) -> list[Issue]:
        return self.validation.issues

    @property
    def ok(self) -> bool:
        return self.manifest is not None

    @property
    def exit_code(self) -> int:
        return self.validation.exit_code

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records_dir": self.validation.records_dir, "manifest": self.manifest,
                "issues": [issue.to_dict() for issue in self.issues]}


def manifest_report(records_dir: str | os.PathLike = "records", jobs: int | None = None) -> ManifestReport:
    """Validate a records folder and, when it is valid, make its manifest."""
    report, record_set = load_record_set(records_dir, keep_data=False, jobs=jobs)
    return ManifestReport(report, make_manifest(record_set) if record_set is not None else None)
