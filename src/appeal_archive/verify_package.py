"""Stage 12, verification of the rest of a build: the signed JSON-LD bundle, and the BagIt package.

A bundle is checked against its detached CMS signature (`<bundle>.p7s`, and `<bundle>.tst` when it was
time-stamped), and the record hashes it states must give the root it states. A bag is validated as
BagIt first (the Library of Congress's bagit package), then the PDF and the bundle inside it are
verified, and every root in it must agree.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .canonical import document_entry, record_entry
from .manifest import manifest_root
from .schema import FOLDER_TYPES
from .verify import (
    VerifyReport, check_root, compare_records, judge_signature, quiet_pyhanko, read_input, validation_context,
)


def verify_bundle(path: Path, records_dir: Path | None = None, trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify a JSON-LD bundle: its signature (and time stamp), and the root its record hashes give."""
    data = read_input(path)
    report = VerifyReport(str(path))
    quiet_pyhanko()
    _check_cms(data, path.with_name(path.name + ".p7s"), report, trust_roots)
    token = path.with_name(path.name + ".tst")
    if token.exists():
        _check_token(data, token, report, trust_roots)
    try:
        manifest = bundle_manifest(json.loads(data))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        report.fail("bundle.unreadable", f"the bundle is not a JSON-LD document appeal-archive made: {error}",
                    "the file was damaged or replaced")
        return report
    check_root(report, manifest, manifest_root(manifest), "bundle.root-mismatch",
               f"the {len(manifest['records'])} record hashes in the bundle")
    beside = path.with_name("manifest.json")
    if beside.exists():
        _same_root(report, beside, manifest["root"])
    if records_dir is not None:
        compare_records(manifest, records_dir, report)
    return report


def bundle_manifest(document: dict[str, Any]) -> dict[str, Any]:
    """The manifest entries and root the bundle states, rebuilt from its nodes."""
    records, documents, root = [], [], None
    for node in document["@graph"]:
        if "recordPath" in node:
            path = node["recordPath"]
            records.append(record_entry(path, node["identifier"], FOLDER_TYPES[path.split("/", 1)[0]],
                                        node["recordSha256"]))
        if "documentPath" in node:
            documents.append(document_entry(node["documentPath"], node["sha256"]))
        if "rootHash" in node:
            root = node["rootHash"]
    if root is None:
        raise KeyError("no node states a rootHash")
    return {"records": records, "source_documents": documents, "root": root}


def _check_cms(data: bytes, signature_file: Path, report: VerifyReport, trust_roots: list[Path]) -> None:
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    if not signature_file.exists():
        report.fail("sig.missing", f"there is no signature {signature_file.name} beside the bundle",
                    "keep the .p7s file next to the bundle it signs")
        return
    try:
        signed_data = cms.ContentInfo.load(signature_file.read_bytes())["content"]
        status = asyncio.run(async_validate_detached_cms(data, signed_data, validation_context(trust_roots)))
    except Exception as error:  # noqa: BLE001 - a damaged signature file is a failed check
        report.fail("sig.invalid", f"{signature_file.name} cannot be read as a CMS signature: {error}",
                    "the signature file was damaged or replaced")
        return
    judge_signature(report, status, status.signing_cert.dump(), trust_roots, "the bundle",
                    f"the detached signature {signature_file.name} is intact and valid")


def _check_token(data: bytes, token_file: Path, report: VerifyReport, trust_roots: list[Path]) -> None:
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

    try:
        signed_data = cms.ContentInfo.load(token_file.read_bytes())["content"]
        result = asyncio.run(validate_tst_signed_data(signed_data, validation_context(trust_roots),
                                                      lambda algorithm: hashlib.new(algorithm, data).digest()))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.timestamp-invalid", f"{token_file.name} cannot be read as a time-stamp token: {error}",
                    "the token was damaged or replaced")
        return
    report.timestamp = result["timestamp"].isoformat()
    if result["intact"] and result["valid"]:
        report.passed(f"the time stamp {token_file.name} covers the bundle")
    else:
        report.fail("sig.timestamp-invalid", "the time stamp does not match the bundle",
                    "the bundle or its time stamp was altered")


def _same_root(report: VerifyReport, manifest_file: Path, root: str) -> None:
    try:
        stated = json.loads(manifest_file.read_bytes())["root"]
    except (OSError, ValueError, KeyError, TypeError):
        stated = None
    if stated != root:
        report.fail("bundle.manifest-mismatch", f"{manifest_file.name} beside it states the root {stated}",
                    "the bundle and the manifest come from different builds, or one was altered")
    else:
        report.passed(f"the root agrees with {manifest_file.name}")


def verify_bag(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               trust_roots: list[Path] = ()) -> VerifyReport:
    """Validate a BagIt package, then verify the PDF and the bundle it carries."""
    import logging

    import bagit

    from .verify import verify_pdf

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
        carried = json.loads((data / "manifest.json").read_bytes())
    except (OSError, ValueError):
        carried = None
    if carried != signed:
        report.fail("bag.manifest-mismatch", "data/manifest.json is not the manifest signed in the PDF",
                    "the manifest in the bag was replaced")
    compare_records(signed, data / "records", report)


def _bag_code(detail: Any) -> str:
    name = type(detail).__name__
    return {"ChecksumMismatch": "bag.checksum-mismatch", "FileMissing": "bag.file-missing",
            "UnexpectedFile": "bag.unexpected-file"}.get(name, "bag.invalid")
