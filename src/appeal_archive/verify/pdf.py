"""Verifying a signed archival PDF: its signature, its attachments against the attached manifest, and the
root it states in its metadata and prints on its cover.

What the PDF must carry is declared in layout.py; this module only reads and compares.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from .. import layout, loader
from ..canonical import digest, sha256_hex
from ..manifest import manifest_root, manifest_shape_problem
from .inputs import read_input
from .records import check_root, compare_records
from .report import VerifyReport
from .signature import check_pdf_signature, quiet_pyhanko


def verify_pdf(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify a signed archival PDF: signature, attachments, manifest, root; optionally records and rebuild."""
    data = read_input(path)
    report = VerifyReport(str(path))
    if not data.startswith(b"%PDF-"):
        report.fail("pdf.damaged", "the file does not start with a PDF header", "the file is damaged or not a PDF")
        return report
    quiet_pyhanko()
    report.cover(path.name)
    signature = check_pdf_signature(data, report, list(trust_roots))
    if report.failed("pdf.damaged"):
        return report
    attachments = read_attachments(data, report)
    if attachments is None:
        return report
    manifest = report.manifest = check_attachments(attachments, report, path.name)
    if manifest is None:
        return report
    check_stated_root(data, manifest["root"], report)
    if records_dir is not None:
        compare_records(manifest, Path(records_dir), report)
    if rebuild and signature is not None:
        from .rebuild import check_rebuild

        check_rebuild(data, attachments, manifest, signature, report)
    return report


def read_attachments(data: bytes, report: VerifyReport) -> dict[str, bytes] | None:
    """Every attached file by name, with the ZIPs of large sets (records.zip, canonical.zip) unpacked."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    except Exception as error:  # noqa: BLE001 - a damaged file is a failed verification, not a crash
        report.fail("pdf.damaged", f"the attachments cannot be read ({type(error).__name__})",
                    "the file was damaged or altered after signing")
        return None
    files = {name: content for name, content in attached.items() if name not in layout.ZIPS}
    for name in layout.ZIPS:
        if name in attached:
            members, problems = layout.unzip_members(name, attached[name], set(files))
            files.update(members)
            for problem in problems:
                report.fail("attach.bundle-invalid", problem, "the archive inside the PDF was altered")
    return files


def check_attachments(attachments: dict[str, bytes], report: VerifyReport, pdf_name: str) -> dict[str, Any] | None:
    """The attached manifest is readable and its root recomputes; every attachment re-hashes to it."""
    raw = attachments.get(layout.MANIFEST)
    if raw is None:
        report.fail("attach.manifest-missing", f"the file has no {layout.MANIFEST} attachment",
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
    failures = 0
    for entry in manifest["records"]:
        yaml_name, json_name = layout.record_file(entry["path"]), layout.canonical_file(entry["path"])
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
    for entry in manifest["source_documents"]:
        name = layout.record_file(entry["path"])
        if name not in attachments or sha256_hex(attachments[name]) != entry["sha256"]:
            failures += 1
            report.fail("attach.hash-mismatch", f"{name} is missing or does not hash to {entry['sha256']}",
                        "the source document was replaced or removed")
    for name in sorted(set(attachments) - layout.expected_pdf_files(manifest)):
        failures += 1
        report.fail("attach.unexpected", f"the attachment {name} is not in the manifest",
                    "an attachment was added after the archive was made")
    if not failures:
        report.passed(f"all {len(attachments)} attachments re-hash to the manifest")
    report.cover(*(f"{pdf_name}#{name}" for name in sorted(attachments)))
    report.attachment_digests = {name: hashlib.sha256(content).digest() for name, content in attachments.items()}
    return manifest


def stated_root(data: bytes) -> str | None:
    """The root the PDF's XMP metadata states (where layout.py puts it), or None."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        value = str(pdf.open_metadata().get(layout.ROOT_PROPERTY, ""))
    return layout.root_from_value(value)


def cover_text(data: bytes) -> str:
    """The text of the first page, as a reader sees it."""
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages[0].extract_text() or ""


def check_stated_root(data: bytes, root: str, report: VerifyReport) -> None:
    """The root in the metadata is the attachments' root, and the cover prints it for people to compare."""
    try:
        in_metadata, on_cover = stated_root(data), cover_text(data)
    except Exception as error:  # noqa: BLE001 - a damaged file is a failed check
        report.fail("cover.unreadable", f"the metadata or the cover cannot be read ({type(error).__name__})",
                    "the file is damaged")
        return
    if in_metadata != root:
        report.fail("metadata.root-mismatch", f"the metadata states the root {in_metadata}, the attachments give {root}",
                    "the metadata and the attached records disagree; the file was altered")
    elif root not in "".join(on_cover.split()):
        report.fail("cover.root-mismatch", f"the cover does not show the root {root} that the attachments give",
                    "the cover and the attached records disagree; the file was altered")
    else:
        report.passed("the root in the metadata and on the cover is the attachments' root")
