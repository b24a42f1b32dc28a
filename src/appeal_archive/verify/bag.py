"""Verifying a BagIt package: BagIt validity (bagit-python), then the PDF and the bundle inside it, and
that everything in the bag is what the signed PDF says."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .. import layout
from .bundle import verify_bundle
from .inputs import read_input
from .pdf import verify_pdf
from .records import compare_records
from .report import VerifyReport


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
            report.merge(inner_reports[-1], file.name)
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
    try:
        carried = json.loads(read_input(data / layout.MANIFEST))
    except ValueError:
        carried = None
    if carried != signed:
        report.fail("bag.manifest-mismatch", f"data/{layout.MANIFEST} is not the manifest signed in the PDF",
                    "the manifest in the bag was replaced")
    compare_records(signed, data / layout.RECORDS.rstrip("/"), report)


def _bag_code(detail: Any) -> str:
    name = type(detail).__name__
    return {"ChecksumMismatch": "bag.checksum-mismatch", "FileMissing": "bag.file-missing",
            "UnexpectedFile": "bag.unexpected-file"}.get(name, "bag.invalid")
