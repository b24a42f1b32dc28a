"""Stage 6, manifest: a validated RecordSet -> the manifest, with one root hash over the whole set.

The construction of digests, leaves and root is in canonical.py (and in the README); the bytes the
manifest is written as are declared in layout.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from .canonical import MANIFEST_VERSION, document_entry, leaf, record_entry, root_hash
from .errors import Issue
from .models import RECORD_ID_PATTERN
from .recordset import RecordSet
from .schema import FOLDER_TYPES
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


_SHA256 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(RECORD_ID_PATTERN.strip("^$"))


def _entry_problem(entry: Any, kind: str) -> str | None:
    fields = ("path", "id", "type", "sha256") if kind == "records" else ("path", "sha256")
    if not isinstance(entry, dict) or set(entry) != {"kind", *fields} or not all(
            isinstance(entry[name], str) for name in fields):
        return f"an entry of its {kind} is not a mapping of {', '.join(fields)}"
    if not _SHA256.fullmatch(entry["sha256"]):
        return f"an entry of its {kind} has no SHA-256"
    folder, _, name = entry["path"].partition("/")
    if kind == "records":
        if entry["kind"] != "record" or FOLDER_TYPES.get(folder) != entry["type"] or not _ID.fullmatch(entry["id"]) \
                or name != f"{entry['id']}.yaml":
            return f"the entry {entry['path']!r} is not a record's path, id and type"
    elif entry["kind"] != "source-document" or folder != "sources" or name in ("", ".", "..") or "/" in name \
            or "\\" in name or not name.isprintable():
        return "an entry of its source documents is not a plain file name in sources/"
    return None


def manifest_shape_problem(manifest: Any) -> str | None:
    """What keeps a manifest from being one appeal-archive wrote, or None."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("root"), str) \
            or not _SHA256.fullmatch(manifest["root"]):
        return "it has no root"
    for kind in ("records", "source_documents"):
        entries = manifest.get(kind)
        if not isinstance(entries, list):
            return f"its {kind} are not a list"
        problem = next((problem for entry in entries if (problem := _entry_problem(entry, kind))), None)
        if problem:
            return problem
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
