"""The outcome of verifying one file: what held, what failed, who signed and which root it carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_INVALID, EXIT_OK, Issue


@dataclass
class VerifyReport:
    """What held (`checks`), what failed (`issues`), and who signed. An exception means "could not check"."""

    file: str
    checks: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    signer: str | None = None
    signing_time: str | None = None
    timestamp: str | None = None
    trusted: bool | None = None
    root: str | None = None
    changes: list[dict[str, str]] = field(default_factory=list)
    fingerprint: str | None = None  # the signer certificate's SHA-256
    manifest: dict[str, Any] | None = field(default=None, repr=False)  # the signed manifest, once checked
    # Every file (and PDF attachment, as "<pdf>#<name>") whose content was checked against something signed.
    covered: list[str] = field(default_factory=list, repr=False)
    # SHA-256 of each attachment of a verified PDF, by name: what a bag's records must be, byte for byte.
    attachment_digests: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def fail(self, code: str, message: str, hint: str, severity: str = "error") -> None:
        issue = Issue(code, message, file=self.file, hint=hint, severity=severity)
        if issue not in self.issues:
            self.issues.append(issue)

    def failed(self, code: str) -> bool:
        return any(issue.code == code for issue in self.issues)

    def passed(self, check: str) -> None:
        self.checks.append(check)

    def cover(self, *names: str) -> None:
        self.covered.extend(names)

    def merge(self, inner: VerifyReport, name: str, prefix: str = "") -> None:
        """Take in the report on one file of a package (a bag): its checks, issues, signer and the files it
        covered (named with `prefix`, the file's folder in the package)."""
        self.checks += [f"{name}: {check}" for check in inner.checks]
        self.covered += [f"{prefix}{covered}" for covered in inner.covered]
        self.attachment_digests = self.attachment_digests or inner.attachment_digests
        self.issues += [issue for issue in inner.issues if issue not in self.issues]
        self.changes += [change for change in inner.changes if change not in self.changes]
        for field_name in ("signer", "signing_time", "timestamp"):
            if getattr(self, field_name) is None:
                setattr(self, field_name, getattr(inner, field_name))
        if inner.trusted is not None:
            self.trusted = inner.trusted if self.trusted is None else self.trusted and inner.trusted

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "ok": self.ok, "signer": self.signer, "signing_time": self.signing_time,
                "timestamp": self.timestamp, "trusted": self.trusted, "root": self.root, "checks": self.checks,
                "changes": self.changes, "files_checked": len(self.covered),
                "issues": [issue.to_dict() for issue in self.issues]}
