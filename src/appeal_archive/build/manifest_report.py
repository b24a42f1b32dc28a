"""`appeal-archive manifest`: a records folder -> its validation, and the manifest when it is valid. It reads
only: files not yet salted are reported, not salted (only `salt` and a build write the ledger)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from appeal_archive.errors import Issue
from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.records.validate import ValidationReport, load_record_set


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
