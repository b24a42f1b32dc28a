"""`appeal-archive manifest`: a records folder -> its validation, and the manifest when it is valid. It reads
only: files not yet salted are reported, not salted (only `salt` and a build write the ledger)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from appeal_archive.errors import EXIT_INVALID, Issue
from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.records.validate import ValidationReport, load_record_set


@dataclass
class ManifestReport:
    """The manifest of a records folder, or (when the records are invalid, or not all salted yet) why there is
    none."""

    validation: ValidationReport
    manifest: dict[str, Any] | None
    unsalted: list[str] = field(default_factory=list)  # files with no salt yet: `salt` (or a build) gives them one

    @property
    def issues(self) -> list[Issue]:
        if not self.unsalted:
            return self.validation.issues
        return [*self.validation.issues, Issue(
            "manifest.unsalted", f"{len(self.unsalted)} files have no salt yet (the first: {self.unsalted[0]}), so "
            "they have no leaf", file=self.validation.records_dir, hint="run `appeal-archive salt` (manifest only "
            "reads; salt and build write the ledger), then list the manifest again")]

    @property
    def ok(self) -> bool:
        return self.manifest is not None

    @property
    def exit_code(self) -> int:
        return self.validation.exit_code if self.ok or not self.validation.ok else EXIT_INVALID

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records_dir": self.validation.records_dir, "manifest": self.manifest,
                "unsalted": len(self.unsalted), "issues": [issue.to_dict() for issue in self.issues]}


def manifest_report(records_dir: str | os.PathLike = "records", jobs: int | None = None,
                    cache: bool = False) -> ManifestReport:
    """Validate a records folder and, when it is valid and every file has its salt, make its manifest. Nothing
    is written: a file with no salt yet is reported."""
    report, record_set = load_record_set(records_dir, keep_data=False, jobs=jobs, salt=False, cache=cache)
    if record_set is None:
        return ManifestReport(report, None)
    leaves = [record.path for record in record_set.records] + [document.path for document in record_set.documents]
    unsalted = sorted(path for path in leaves if path not in record_set.salts)
    return ManifestReport(report, make_manifest(record_set) if not unsalted else None, unsalted)
