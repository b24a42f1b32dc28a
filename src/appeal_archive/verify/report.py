"""The outcome of verifying one file, as a verdict in four parts.

- integrity: every byte that carries meaning is covered by a signature, and every hash recomputes;
- signer: who signed, the chain, and whether it reaches a trust anchor the recipient named;
- time: the signer's claimed signing time (a claim, never proof) and each time stamp: which authority,
  what time, and whether that authority reaches a trust anchor;
- completeness: every file of a bundle or bag is accounted for by what was signed.

A failed check is an error Issue in its part; an exception means "could not check".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from appeal_archive.codes import part_of
from appeal_archive.errors import EXIT_INVALID, EXIT_OK, Issue, Severity

PARTS = ("integrity", "signer", "time", "completeness")


@dataclass(frozen=True)
class SignerEvidence:
    """The signer of one signature: its certificate, the chain found for it, and the anchor it reaches."""

    name: str
    fingerprint: str  # SHA-256 of the signer's certificate, hex
    self_signed: bool
    chain: tuple[str, ...]  # subjects, from the signer's certificate up to the anchor when one was reached
    trusted: bool
    anchor: str | None  # the trust anchor the chain reaches, when it does
    issuer: str = ""  # as the certificate names it
    level: str | None = None  # the baseline level the signature reaches, e.g. "PAdES B-LTA", "CAdES B-T"
    revocation: str | None = None  # what the validation data says of the signer's certificate at signing time

    def describe(self) -> str:
        if self.self_signed:
            kind = "self-signed certificate"
        elif self.trusted:
            kind = f"certificate whose chain reaches {self.anchor}"
        else:
            kind = f"certificate naming {self.issuer} as its issuer (not checked)"
        return f"{self.name}; {kind}, SHA-256 fingerprint {self.fingerprint}"


@dataclass(frozen=True)
class TimeEvidence:
    """One statement of when something was signed: a signer's claim, or an RFC 3161 time stamp."""

    what: str  # e.g. "the signer's claimed signing time", "a time stamp on the PDF signature"
    time: str  # ISO 8601
    authority: str | None = None  # the time-stamp authority's certificate subject; None for a claim
    trusted: bool | None = None  # None for a claim: nothing can prove it
    anchor: str | None = None
    kind: str = "claim"  # "claim", "signature" (a time stamp on a signature) or "document" (a document time stamp)

    @property
    def proven(self) -> bool:
        return bool(self.trusted)


@dataclass
class VerifyReport:
    """What held (`checks`, by part), what failed (`issues`), who signed and when."""

    file: str
    checks: list[tuple[str, str]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    signers: list[SignerEvidence] = field(default_factory=list)
    times: list[TimeEvidence] = field(default_factory=list)
    root: str | None = None
    changes: list[dict[str, str]] = field(default_factory=list)
    # The signed manifest, once checked; carried as its JSON once verification is done (it can be 200,000
    # entries, which most callers never read), and read back on first use.
    signed_manifest: dict[str, Any] | bytes | None = field(default=None, repr=False)
    # With --extends: whether this edition extends the older one, and what changed since (verify/lineage.py).
    extends: dict[str, Any] | None = None
    # Every file (and PDF attachment, as "<pdf>#<name>") whose content was checked against something signed.
    covered: list[str] = field(default_factory=list, repr=False)
    # Files found beside what was verified that nothing signed vouches for (a build folder's Linked Art view).
    unsigned: list[str] = field(default_factory=list, repr=False)
    # SHA-256 of each attachment of a verified PDF, by name: what a bag's records must be, byte for byte.
    attachment_digests: dict[str, bytes] = field(default_factory=dict, repr=False)
    # What the signed PDF says about itself (tool, build date, settings): what a bag's metadata must agree with.
    signed_facts: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def manifest(self) -> dict[str, Any] | None:
        if isinstance(self.signed_manifest, bytes):
            self.signed_manifest = json.loads(self.signed_manifest)
        return self.signed_manifest if isinstance(self.signed_manifest, dict) else None

    @manifest.setter
    def manifest(self, manifest: dict[str, Any] | None) -> None:
        self.signed_manifest = manifest

    def pack(self) -> VerifyReport:
        """Ready to leave the jail: what only the checks needed is dropped, the manifest travels as JSON."""
        self.attachment_digests, self.signed_facts = {}, {}
        if isinstance(self.signed_manifest, dict):
            self.signed_manifest = json.dumps(self.signed_manifest, ensure_ascii=False, separators=(",", ":")).encode()
        return self

    @property
    def ok(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    @property
    def signer(self) -> SignerEvidence | None:
        return self.signers[0] if self.signers else None

    @property
    def trusted(self) -> bool | None:
        return all(signer.trusted for signer in self.signers) if self.signers else None

    @property
    def signing_time(self) -> str | None:
        """The signer's own claim of when it signed: reported, never proven."""
        return next((evidence.time for evidence in self.times if evidence.authority is None), None)

    @property
    def timestamp(self) -> str | None:
        """The earliest time that a trusted time-stamp authority proves, if any."""
        proven = sorted(evidence.time for evidence in self.times if evidence.proven)
        return proven[0] if proven else None

    def fail(self, code: str, message: str, hint: str, severity: Severity = "error") -> None:
        issue = Issue(code, message, file=self.file, hint=hint, severity=severity)
        if issue not in self.issues:
            self.issues.append(issue)

    def failed(self, code: str) -> bool:
        return any(issue.code == code for issue in self.issues)

    def passed(self, part: str, check: str) -> None:
        self.checks.append((part, check))

    def cover(self, *names: str) -> None:
        self.covered.extend(names)

    def merge(self, inner: VerifyReport, name: str, prefix: str = "") -> None:
        """Take in the report on one file of a package (a bag): its checks, issues, signers, times and the
        files it covered (named with `prefix`, the file's folder in the package)."""
        self.checks += [(part, f"{name}: {check}") for part, check in inner.checks]
        self.issues += [issue for issue in inner.issues if issue not in self.issues]
        self.covered += [f"{prefix}{covered}" for covered in inner.covered]
        self.unsigned += [f"{prefix}{unsigned}" for unsigned in inner.unsigned]
        self.changes += [change for change in inner.changes if change not in self.changes]
        self.signers += [signer for signer in inner.signers if signer not in self.signers]
        self.times += [evidence for evidence in inner.times if evidence not in self.times]
        self.attachment_digests = self.attachment_digests or inner.attachment_digests
        self.signed_manifest = self.signed_manifest or inner.signed_manifest
        self.signed_facts = self.signed_facts or inner.signed_facts

    def part(self, name: str) -> dict[str, Any]:
        issues = [issue for issue in self.issues if part_of(issue.code) == name]
        return {"ok": not any(issue.is_error for issue in issues),
                "checks": [check for part, check in self.checks if part == name],
                "issues": [issue.to_dict() for issue in issues]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "ok": self.ok, "root": self.root,
            "integrity": self.part("integrity"),
            "signer": {**self.part("signer"),
                       "signers": [{**asdict(signer), "chain": list(signer.chain)} for signer in self.signers]},
            "time": {**self.part("time"), "claimed": self.signing_time, "proven": self.timestamp,
                     "evidence": [asdict(evidence) for evidence in self.times]},
            "completeness": {**self.part("completeness"), "files_checked": len(self.covered),
                             "files_unsigned": len(self.unsigned)},
            "changes": self.changes,
            **({"extends": self.extends} if self.extends is not None else {}),
            "issues": [issue.to_dict() for issue in self.issues],
        }
