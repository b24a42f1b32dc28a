"""Verifying a BagIt package: BagIt validity (bagit-python), then the PDF and the bundle inside it, and
that everything in the bag is what the signed PDF says."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from .. import layout
from .bundle import verify_bundle
from .inputs import read_input, read_json
from .pdf import verify_pdf
from .report import VerifyReport

TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
             "tagmanifest-sha512.txt")


def verify_bag(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               trust_roots: list[Path] = ()) -> VerifyReport:
    """Validate a BagIt package, then verify the PDF and the bundle it carries."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    report = VerifyReport(str(path))
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
        report.passed("the bag is valid BagIt (every payload file matches its SHA-256 and SHA-512)")
        report.cover(*TAG_FILES)
    except bagit.BagValidationError as error:
        for detail in error.details or [error]:
            report.fail(_bag_code(detail), f"BagIt: {detail}", "the bag's payload was changed, removed or added to")
    except bagit.BagError as error:
        report.fail("bag.invalid", f"not a BagIt bag: {error}", "give the folder that holds bagit.txt")
        return report
    data = path / "data"
    inner_reports = []
    for found, check in ((sorted(data.glob("*.pdf")), lambda file: verify_pdf(file, records_dir, rebuild, trust_roots)),
                         (sorted(data.glob("*.jsonld")), lambda file: verify_bundle(file, records_dir, trust_roots))):
        if len(found) != 1:
            report.fail("bag.incomplete", "the bag's data/ must hold one PDF and one JSON-LD bundle",
                        "a bag made by appeal-archive carries exactly one of each")
        for file in found:
            inner_reports.append(check(file))
            report.merge(inner_reports[-1], file.name, prefix="data/")
    _check_bag_agrees(report, data, inner_reports)
    return report


def _check_bag_agrees(report: VerifyReport, data: Path, inner_reports: list[VerifyReport]) -> None:
    """Everything in a bag must be what the signed PDF says: its records and manifest, one root, one signer.

    BagIt's manifests only prove the bag is as it was bagged; whoever re-bags can change anything.
    """
    roots = {inner.root for inner in inner_reports}
    if len(roots) != 1 or None in roots:
        report.fail("bag.roots-differ", f"the files in the bag state different roots: {sorted(map(str, roots))}",
                    "the bag mixes files from different builds")
    else:
        report.root = roots.pop()
    signers = {inner.fingerprint for inner in inner_reports}
    if len(signers) != 1 or None in signers:
        report.fail("bag.signers-differ", "the PDF and the bundle in the bag are not signed by the same certificate",
                    "one of them was replaced and signed by someone else")
    signed = next((inner.manifest for inner in inner_reports if inner.manifest is not None), None)
    if signed is None:
        return
    if read_json(data / layout.MANIFEST) != signed:
        report.fail("bag.manifest-mismatch", f"data/{layout.MANIFEST} is not the manifest signed in the PDF",
                    "the manifest in the bag was replaced")
    else:
        report.cover(f"data/{layout.MANIFEST}")
    _check_records_as_signed(report, data, next(inner for inner in inner_reports if inner.manifest is not None))


def _check_records_as_signed(report: VerifyReport, data: Path, pdf_report: VerifyReport) -> None:
    """The bag's records/ holds exactly the record files the PDF carries, byte for byte."""
    signed = {name: digest for name, digest in pdf_report.attachment_digests.items()
              if name.startswith(layout.RECORDS)}
    carried = {path.relative_to(data).as_posix(): path for path in sorted((data / layout.RECORDS).rglob("*"))
               if not path.is_dir()}
    differing = sorted(name for name in set(signed) | set(carried)
                       if name not in signed or name not in carried
                       or hashlib.sha256(read_input(carried[name])).digest() != signed[name])
    for name in differing[:20]:
        state = "is not in the signed PDF" if name not in signed else "is missing" if name not in carried else \
            "differs from the signed one"
        report.changes.append({"path": name, "change": state})
    if differing:
        report.fail("bag.records-differ", f"{len(differing)} files in data/{layout.RECORDS} are not the record files "
                    f"signed in the PDF (first: data/{differing[0]})",
                    "the records in the bag were changed; the PDF's attachments are the signed ones")
    else:
        report.cover(*(f"data/{name}" for name in carried))
        report.passed(f"data/{layout.RECORDS} holds exactly the {len(carried)} record files signed in the PDF")


def _bag_code(detail: Any) -> str:
    name = type(detail).__name__
    return {"ChecksumMismatch": "bag.checksum-mismatch", "FileMissing": "bag.file-missing",
            "UnexpectedFile": "bag.unexpected-file"}.get(name, "bag.invalid")
