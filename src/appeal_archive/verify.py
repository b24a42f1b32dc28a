"""Stage 12, verification: a signed archival PDF -> VerifyReport. Offline; needs nothing but the file.

What is checked: the signature is intact, valid and covers the whole file (nothing appended after
signing); the attachments re-hash to the attached manifest and the manifest's root recomputes; the root
printed on the cover is that root. Optionally: the current records still match (`records_dir`), and
the signed bytes are exactly what this version of appeal-archive renders from the file's own
attachments, build date and signer (`rebuild`). An exception means "could not check"; a failed check
is an error Issue in the report.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .canonical import digest, sha256_hex
from .errors import EXIT_INVALID, EXIT_OK, Issue, fail
from .loader import MAX_RECORD_BYTES
from .manifest import make_manifest, manifest_root

_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass
class VerifyReport:
    """The outcome of verifying one file: what held (`checks`), what failed (`issues`), and who signed."""

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

    @property
    def ok(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def fail(self, code: str, message: str, hint: str, severity: str = "error") -> None:
        self.issues.append(Issue(code, message, file=self.file, hint=hint, severity=severity))

    def passed(self, check: str) -> None:
        self.checks.append(check)

    def merge(self, inner: VerifyReport, name: str) -> None:
        """Take in the report on one file of a package (a bag): its checks, issues and signer."""
        self.checks += [f"{name}: {check}" for check in inner.checks]
        self.issues += inner.issues
        self.changes += [change for change in inner.changes if change not in self.changes]
        for field_name in ("signer", "signing_time", "timestamp"):
            if getattr(self, field_name) is None:
                setattr(self, field_name, getattr(inner, field_name))
        if inner.trusted is not None:
            self.trusted = inner.trusted if self.trusted is None else self.trusted and inner.trusted

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "ok": self.ok, "signer": self.signer, "signing_time": self.signing_time,
                "timestamp": self.timestamp, "trusted": self.trusted, "root": self.root, "checks": self.checks,
                "changes": self.changes, "issues": [issue.to_dict() for issue in self.issues]}


def verify_archive(path: str | Path, records_dir: str | Path | None = None, rebuild: bool = False,
                   trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify what a build made: a signed PDF, a JSON-LD bundle (with its .p7s), or a BagIt bag folder.

    Raises AppealArchiveError (exit 3) only when the file cannot be read at all.
    """
    from .verify_package import verify_bag, verify_bundle

    path = Path(path)
    records = Path(records_dir) if records_dir is not None else None
    if path.is_dir():
        return verify_bag(path, records, rebuild, list(trust_roots))
    if path.suffix == ".jsonld":
        return verify_bundle(path, records, list(trust_roots))
    return verify_pdf(path, records, rebuild, list(trust_roots))


def verify_pdf(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify a signed archival PDF: signature, attachments, manifest, cover; optionally records and rebuild."""
    data = read_input(path)
    report = VerifyReport(str(path))
    if not data.startswith(b"%PDF-"):
        report.fail("pdf.damaged", "the file does not start with a PDF header", "the file is damaged or not a PDF")
        return report
    quiet_pyhanko()
    signature = _check_signature(data, report, trust_roots)
    attachments = _read_attachments(data, report)
    if attachments is None:
        return report
    attachments = expand_bundles(attachments, report)
    manifest = report.manifest = _check_attachments(attachments, report)
    if manifest is not None:
        _check_cover(data, manifest["root"], report)
        if records_dir is not None:
            compare_records(manifest, Path(records_dir), report)
        if rebuild and signature is not None:
            _check_rebuild(data, attachments, manifest, signature, report)
    return report


def read_input(path: Path) -> bytes:
    """The bytes of a file to verify; unreadable means the check cannot run (exit 3)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise fail("verify.unreadable", f"cannot read {path}: {error.strerror}", "check the path",
                   file=str(path)) from error


def quiet_pyhanko() -> None:
    # pyHanko logs a traceback for every certificate it cannot chain; verify reports that as data.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


# --- signature --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureFacts:
    certificate_der: bytes
    signed_revision: int


def _check_signature(data: bytes, report: VerifyReport, trust_roots: list[Path]) -> SignatureFacts | None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # noqa: BLE001 - any parse failure means the file is not what was signed
        report.fail("pdf.damaged", f"the PDF cannot be parsed: {type(error).__name__}: {error}",
                    "the file was damaged or altered after signing")
        return None
    if not signatures:
        report.fail("sig.missing", "the file carries no signature", "an unsigned build cannot be verified; "
                    "ask for the signed file")
        return None
    if len(signatures) > 1:
        report.fail("sig.several", f"the file carries {len(signatures)} signatures; appeal-archive signs once",
                    "someone added a signature after the archive's; compare with the file you received")
    signature = signatures[0]
    try:
        status = validate_pdf_signature(signature, validation_context(trust_roots))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.invalid", f"the signature cannot be validated: {type(error).__name__}: {error}",
                    "the signature data is damaged")
        return None
    report.signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if status.timestamp_validity is not None:
        report.timestamp = status.timestamp_validity.timestamp.isoformat()
        if status.timestamp_validity.intact and status.timestamp_validity.valid:
            report.passed("the RFC 3161 time stamp on the signature is intact")
        else:
            report.fail("sig.timestamp-invalid", "the time stamp on the signature does not match it",
                        "the signature's time stamp was altered")
    judge_signature(report, status, signature.signer_cert.dump(), trust_roots, "the file",
                    "the signature is intact and cryptographically valid")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        report.fail("sig.not-whole-file", "bytes were added to the file after it was signed",
                    "someone appended an update; only the signed revision is the archive's")
    else:
        report.passed("the signature covers the whole file except the signature value itself")
    return SignatureFacts(signature.signer_cert.dump(), signature.signed_revision)


def validation_context(trust_roots: list[Path]):
    """pyHanko's validation context: the given roots only, and never the network."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(x509.load_pem_x509_certificate(root.read_bytes()).public_bytes(Encoding.DER))
             for root in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def judge_signature(report: VerifyReport, status, certificate_der: bytes, trust_roots: list[Path], what: str,
                    passed: str) -> None:
    """Report a pyHanko signature status: integrity first, then who signed and whether they are trusted."""
    from cryptography import x509

    from .sign import identity_of

    identity = identity_of(x509.load_der_x509_certificate(certificate_der))
    report.signer, report.fingerprint = identity.describe(), identity.fingerprint
    if not status.intact:
        report.fail("sig.digest-mismatch", f"{what} changed after it was signed (digest mismatch)",
                    f"{what} was altered; ask the sender for the original")
    elif not status.valid:
        report.fail("sig.invalid", f"the signature on {what} does not verify with the signer's certificate",
                    "the signature was altered or made with another key")
    else:
        report.passed(passed)
    judge_trust(report, bool(status.trusted), identity.self_signed, trust_roots)


def judge_trust(report: VerifyReport, trusted: bool, self_signed: bool, trust_roots: list[Path]) -> None:
    """Trust is a separate question from integrity: an error only when the caller named roots to trust."""
    report.trusted = trusted if report.trusted is None else report.trusted and trusted
    if trust_roots and not trusted:
        report.fail("sig.untrusted", "the signer's certificate does not chain to the trusted root given",
                    "check --trust-root, or the certificate the archive was signed with")
    elif not trust_roots:
        report.fail("sig.trust-not-checked", "the signer's identity was not checked against a trusted root"
                    + (" (the certificate is self-signed)" if self_signed else ""),
                    "give --trust-root CA.pem to require a chain to a root you trust; compare the certificate "
                    "fingerprint with one the custodian published", severity="warning")


# --- attachments, manifest, cover -------------------------------------------------------------------


def _read_attachments(data: bytes, report: VerifyReport) -> dict[str, bytes] | None:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    except Exception as error:  # noqa: BLE001 - a damaged file is a failed verification, not a crash
        report.fail("pdf.damaged", f"the attachments cannot be read: {type(error).__name__}: {error}",
                    "the file was damaged or altered after signing")
        return None


BUNDLES = {"records.zip": "records/", "canonical.zip": "canonical/"}


def expand_bundles(attachments: dict[str, bytes], report: VerifyReport) -> dict[str, bytes]:
    """Attachments with records.zip and canonical.zip (large sets) replaced by the files inside them."""
    import zipfile

    files = {name: content for name, content in attachments.items() if name not in BUNDLES}
    for bundle, prefix in BUNDLES.items():
        if bundle not in attachments:
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(attachments[bundle])) as archive:
                for member in archive.infolist():
                    parts = PurePosixPath(member.filename).parts
                    # A record is at most MAX_RECORD_BYTES: a larger member is a decompression bomb, unread.
                    if member.is_dir() or not member.filename.startswith(prefix) or ".." in parts or \
                            member.filename in files or member.file_size > MAX_RECORD_BYTES:
                        report.fail("attach.bundle-invalid", f"{bundle} holds an unexpected member "
                                    f"{member.filename!r}", "the bundle was altered")
                        continue
                    files[member.filename] = archive.read(member)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            report.fail("attach.bundle-invalid", f"{bundle} is not a readable ZIP archive: {error}",
                        "the bundle was damaged or replaced")
    return files


def _check_attachments(attachments: dict[str, bytes], report: VerifyReport) -> dict[str, Any] | None:
    import json

    from . import loader
    from .canonical import canonical_name

    raw = attachments.get("manifest.json")
    if raw is None:
        report.fail("attach.manifest-missing", "the file has no manifest.json attachment",
                    "this is not an appeal-archive file, or its manifest was removed")
        return None
    try:
        manifest = json.loads(raw)
        problem = manifest_shape_problem(manifest)
        if problem:
            raise ValueError(problem)
        recomputed = manifest_root(manifest)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        report.fail("attach.manifest-invalid", f"the attached manifest is not readable: {error}",
                    "the manifest attachment was damaged")
        return None
    check_root(report, manifest, recomputed, "manifest.root-mismatch", "the manifest's entries")
    expected = {"manifest.json", "records/archive.yaml"}
    failures = 0
    for entry in manifest.get("records", []):
        yaml_name, json_name = f"records/{entry['path']}", canonical_name(entry["path"])
        expected |= {yaml_name, json_name}
        canonical = attachments.get(json_name)
        if canonical is None or sha256_hex(canonical) != entry["sha256"]:
            failures += 1
            report.fail("attach.hash-mismatch", f"{json_name} is missing or does not hash to {entry['sha256']}",
                        "the attachment was replaced or removed")
        yaml_data = attachments.get(yaml_name)
        loaded = loader.load(yaml_data) if yaml_data is not None else None
        if loaded is None or loaded.data is None or digest(loaded.data) != entry["sha256"]:
            failures += 1
            report.fail("attach.hash-mismatch", f"{yaml_name} is missing or its data does not hash to "
                        f"{entry['sha256']}", "the attachment was replaced or removed")
    for entry in manifest.get("source_documents", []):
        name = f"records/{entry['path']}"
        expected.add(name)
        if name not in attachments or sha256_hex(attachments[name]) != entry["sha256"]:
            failures += 1
            report.fail("attach.hash-mismatch", f"{name} is missing or does not hash to {entry['sha256']}",
                        "the source document was replaced or removed")
    for name in sorted(set(attachments) - expected):
        failures += 1
        report.fail("attach.unexpected", f"the attachment {name} is not in the manifest",
                    "an attachment was added after the archive was made")
    if not failures:
        report.passed(f"all {len(attachments)} attachments re-hash to the manifest")
    return manifest


def check_root(report: VerifyReport, manifest: dict[str, Any], recomputed: str, code: str, entries: str) -> None:
    """The root a manifest (or a bundle) states must be the one its entries give."""
    report.root = manifest.get("root")
    if recomputed != report.root:
        report.fail(code, f"{entries} give the root {recomputed}, the stated root is {report.root}",
                    "the hashes or the root were altered")
    else:
        report.passed(f"{entries} give the stated root hash")


def manifest_shape_problem(manifest: Any) -> str | None:
    """What keeps a manifest from being one appeal-archive wrote, or None."""
    fields = {"records": ("path", "id", "type", "sha256"), "source_documents": ("path", "sha256")}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("root"), str):
        return "it has no root"
    for key, names in fields.items():
        entries = manifest.get(key)
        if not isinstance(entries, list) or not all(
                isinstance(entry, dict) and all(isinstance(entry.get(name), str) for name in names) for entry in entries):
            return f"its {key} are not a list of entries with {', '.join(names)}"
    return None


def cover_root(data: bytes) -> str | None:
    """The root hash printed on the cover page, read back from the text."""
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(data)).pages[0].extract_text() or ""
    found = _HEX64.findall(text.split("Root hash", 1)[-1])
    return found[0] if found else None


def _check_cover(data: bytes, root: str, report: VerifyReport) -> None:
    try:
        printed = cover_root(data)
    except Exception as error:  # noqa: BLE001
        report.fail("cover.unreadable", f"the cover page's text cannot be read: {error}",
                    "the file is damaged")
        return
    if printed != root:
        report.fail("cover.root-mismatch", f"the cover shows the root {printed}, the attachments give {root}",
                    "the cover and the attached records disagree; the file was altered")
    else:
        report.passed("the root hash printed on the cover is the attachments' root")


# --- comparing with current records -----------------------------------------------------------------


def compare_records(manifest: dict[str, Any], records_dir: Path, report: VerifyReport) -> None:
    from .validate import load_record_set

    current_report, record_set = load_record_set(records_dir, keep_data=False)
    if record_set is None:
        report.fail("records.invalid", f"the records in {records_dir} are not valid "
                    f"({len(current_report.errors)} errors)", f"run `appeal-archive validate {records_dir}`")
        return
    signed = _entries(manifest)
    current = _entries(make_manifest(record_set))
    for path in sorted(set(signed) | set(current)):
        if path not in current:
            change = "removed"
        elif path not in signed:
            change = "added"
        elif signed[path] != current[path]:
            change = "changed"
        else:
            continue
        report.changes.append({"path": path, "change": change})
    if report.changes:
        report.fail("records.changed", f"{len(report.changes)} records or source documents differ from the signed ones "
                    f"(first: {report.changes[0]['change']} {report.changes[0]['path']})",
                    "the records changed since the archive was built; build and sign a new one")
    else:
        report.passed(f"the records in {records_dir} are exactly the ones signed")


def _entries(manifest: dict[str, Any]) -> dict[str, str]:
    return {entry["path"]: entry["sha256"] for entry in manifest.get("records", []) + manifest.get("source_documents", [])}


# --- rebuilding -------------------------------------------------------------------------------------


def _check_rebuild(data: bytes, attachments: dict[str, bytes], manifest: dict[str, Any],
                   signature: SignatureFacts, report: VerifyReport) -> None:
    from cryptography import x509

    from .build import render_archival_pdf, tool_name
    from .sign import identity_of
    from .validate import load_record_set

    try:
        made_with, build_date = _production_facts(data)
    except (ValueError, TypeError) as error:
        report.fail("rebuild.metadata", f"the file's metadata gives no tool or build date: {error}",
                    "the metadata was altered; the file cannot be re-rendered")
        return
    if made_with != tool_name():
        report.fail("rebuild.version", f"the file was made with {made_with}; this is {tool_name()}",
                    "rebuild with the version that made the file (pip install that version)")
        return
    with tempfile.TemporaryDirectory(prefix="appeal-archive-rebuild-") as folder:
        records = Path(folder) / "records"
        for name, content in attachments.items():
            parts = PurePosixPath(name).parts
            if parts[0] == "records" and ".." not in parts:
                target = records.joinpath(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        rebuilt_report, record_set = load_record_set(records, keep_data=True)
        if record_set is None:
            report.fail("rebuild.invalid", f"the attached records do not validate ({len(rebuilt_report.errors)} "
                        "errors)", "the attachments were altered")
            return
        identity = identity_of(x509.load_der_x509_certificate(signature.certificate_der))
        if make_manifest(record_set) != manifest:
            report.fail("rebuild.manifest", "the attached records give a different manifest than the one attached",
                        "the attachments were altered")
            return
        unsigned, _ = render_archival_pdf(record_set, manifest, build_date, identity, made_with)
    if not data.startswith(unsigned):
        report.fail("rebuild.mismatch", "the signed bytes are not what appeal-archive renders from this file's "
                    "own records, build date and signer", "the document was edited before it was signed")
        return
    differences = signing_update_changes(data, signature.signed_revision)
    if differences:
        report.fail("rebuild.signing-update", "the signing update changes the document: " + "; ".join(differences),
                    "the signed revision adds more than a signature")
        return
    report.passed("the signed bytes are exactly this version's rendering of the file's own attachments")


def _production_facts(data: bytes) -> tuple[str, datetime]:
    """(tool, build date) as the archival revision's XMP metadata records them."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        tool = str(meta.get("xmp:CreatorTool", ""))
        created = str(meta.get("xmp:CreateDate", ""))
    return tool, datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(UTC)


def signing_update_changes(signed: bytes, signed_revision: int) -> list[str]:
    """What the signing revision changes beyond adding an invisible signature field.

    Allowed: new signature objects (the /Sig dictionary, an invisible widget, the form), the catalog
    gaining /AcroForm, a page gaining /Annots, and the document information and XMP metadata (which
    pyHanko dates). Anything else, such as page content, fonts or attachments, is reported.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    before = reader.get_historical_resolver(signed_revision - 1)
    info = reader.trailer_view.raw_get("/Info") if "/Info" in reader.trailer_view else None
    changes: list[str] = []
    for ref in reader.xrefs.explicit_refs_in_revision(signed_revision):
        new = reader.get_object(ref)
        kind = str(new.get("/Type")) if hasattr(new, "get") else type(new).__name__
        if reader.xrefs.get_introducing_revision(ref) == signed_revision:
            if not _signature_object(new):
                changes.append(f"new object {ref.idnum} ({kind})")
            continue
        old = before(ref)
        # pyHanko declares the PAdES extension (/Extensions, /Version 1.7) when it signs.
        allowed = {"/Catalog": {"/AcroForm", "/Perms", "/DSS", "/Extensions", "/Version"}, "/Page": {"/Annots"}}.get(kind)
        if info is not None and ref.idnum == info.reference.idnum or kind == "/Metadata":
            continue
        if allowed is None:
            changes.append(f"object {ref.idnum} ({kind}) rewritten")
        elif any(_raw(old, key) != _raw(new, key) for key in (set(old) | set(new)) - allowed):
            changes.append(f"object {ref.idnum} ({kind}) changed beyond {', '.join(sorted(allowed))}")
    return changes


def _raw(dictionary, key: str):
    return _plain(dictionary.raw_get(key)) if key in dictionary else None


def _plain(value):
    """A PDF value with references as (number, generation), comparable across revisions."""
    from pyhanko.pdf_utils.generic import IndirectObject

    if isinstance(value, IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, dict):
        return {str(key): _plain(value.raw_get(key)) for key in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _signature_object(obj) -> bool:
    if not hasattr(obj, "get"):
        return False
    kind, field_type = obj.get("/Type"), obj.get("/FT")
    if kind == "/Sig" or kind == "/XRef" or "/SigFlags" in obj:
        return True
    if kind == "/Annot" and field_type == "/Sig":
        return all(float(value) == 0 for value in obj.get("/Rect", []))
    return False
