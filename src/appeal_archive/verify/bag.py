"""Verifying a BagIt package: every file in it must be one the signed PDF accounts for, as a regular file
of a plausible size; then BagIt validity (bagit-python), the PDF and the bundle inside it, and agreement of
everything in the bag (records, manifest, bag-info fields, roots, signers) with what the PDF signs.

BagIt's own manifests only prove that a bag is as it was bagged: whoever re-bags can change anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

from .. import layout
from ..errors import AppealArchiveError
from ..files import FileRefused, has_holes
from .bundle import verify_bundle
from .inputs import read_input, read_json
from .pdf import verify_pdf
from .report import VerifyReport

_LISTED = 20  # how many unexpected or missing files a report names


def verify_bag(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               trust_roots: list[Path] = ()) -> VerifyReport:
    """Check a bag's files, then verify the PDF and the bundle it carries, then BagIt and agreement."""
    report = VerifyReport(str(path))
    files = _regular_files(path, report)
    if not {"bagit.txt", "bag-info.txt"} <= set(files):
        report.fail("bag.invalid", "the folder holds no bagit.txt and bag-info.txt", "give the folder of a BagIt bag")
        return report
    pdfs = sorted(name for name in files if name.startswith("data/") and name.count("/") == 1 and name.endswith(".pdf"))
    if len(pdfs) != 1:
        report.fail("bag.incomplete", f"the bag's data/ holds {len(pdfs)} PDFs; a bag appeal-archive made holds one",
                    "a bag made by appeal-archive carries exactly one signed PDF")
        return report
    pdf_report = verify_pdf(path / pdfs[0], records_dir, rebuild, trust_roots)
    report.merge(pdf_report, pdfs[0].removeprefix("data/"), prefix="data/")
    config = pdf_report.signed_facts.get("config") or {}
    if pdf_report.manifest is None or not isinstance(config.get("archival_id"), str):
        return report  # nothing signed to hold the rest of the bag against
    names = layout.Outputs(config["archival_id"])
    bundle = path / "data" / names.bundle
    if f"data/{names.bundle}" in files:
        bundle_report = verify_bundle(bundle, records_dir, trust_roots)
        report.merge(bundle_report, names.bundle, prefix="data/")
        _check_same(report, [pdf_report, bundle_report])
    timestamped = any(evidence.authority for evidence in pdf_report.times)
    records = {name for name in pdf_report.attachment_digests if name.startswith(layout.RECORDS)}
    expected = {f"data/{name}" for name in layout.bag_payload_names(names, records, timestamped)}
    if not _check_complete(report, files, expected, path):
        return report  # BagIt would hash files nothing signed: they can be any size
    _check_bagit(report, path)
    _check_info(report, path, pdf_report.signed_facts)
    _check_carried(report, path / "data", pdf_report)
    return report


def _regular_files(path: Path, report: VerifyReport) -> dict[str, int]:
    """Every file in the bag (relative path -> size), refusing links, special and sparse files, fetch.txt."""
    files: dict[str, int] = {}
    pending = [(path, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = prefix + entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    pending.append((Path(entry.path), name + "/"))
                elif not stat.S_ISREG(mode):
                    kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                    report.fail("bag.special-file", f"{name} is {kind}", "a bag holds regular files only; remove it")
                elif name == "fetch.txt":
                    report.fail("bag.fetch", "the bag has a fetch.txt: it would take files from elsewhere",
                                "a bag made by appeal-archive is complete; remove fetch.txt and what it names")
                elif has_holes(entry.path):
                    report.fail("bag.special-file", f"{name} is a sparse file (it has holes)",
                                "a bag holds ordinary files; copy it without holes, or remove it")
                else:
                    files[name] = entry.stat(follow_symlinks=False).st_size
    return files


def _check_complete(report: VerifyReport, files: dict[str, int], expected: set[str], path: Path) -> bool:
    """data/ holds exactly what the signed PDF accounts for, each file within its size; the tag files are
    BagIt's. Returns whether the bag may be hashed."""
    payload = {name for name in files if name.startswith("data/")}
    tags = set(files) - payload
    unexpected = sorted(payload - expected) + sorted(tags - set(layout.BAG_TAG_FILES))
    for name in unexpected[:_LISTED]:
        report.fail("bag.unexpected-file", f"{name} is not accounted for by anything signed",
                    "the bag was added to after it was made; remove the file, or ask the sender")
    for name in sorted(expected - payload)[:_LISTED]:
        report.fail("bag.file-missing", f"{name} is missing from the bag", "the bag is incomplete")
    oversized = sorted(name for name in payload & expected if files[name] > layout.payload_limit(name[5:]))
    oversized += sorted(name for name in tags if files[name] > layout.MAX_TAG_FILE_BYTES)
    for name in oversized[:_LISTED]:
        report.fail("file.too-large", f"{name} has {files[name]:,} bytes, more than such a file may have",
                    "the file was replaced")
    if unexpected or oversized or report.failed("bag.special-file") or report.failed("bag.fetch"):
        return False
    report.passed("completeness", f"the bag holds exactly the {len(payload)} payload files the signed PDF accounts "
                  "for, and BagIt's tag files")
    return True


def _check_bagit(report: VerifyReport, path: Path) -> None:
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as error:
        for detail in (error.details or [error])[:_LISTED]:
            report.fail(_bag_code(detail), f"BagIt: {detail}", "the bag's payload was changed, removed or added to")
        return
    except bagit.BagError as error:
        report.fail("bag.invalid", f"not a valid BagIt bag: {error}", "give the folder that holds bagit.txt")
        return
    report.passed("integrity", "the bag is valid BagIt (every payload file matches its SHA-256 and SHA-512)")
    report.cover(*layout.BAG_TAG_FILES)


def _check_info(report: VerifyReport, path: Path, facts: dict) -> None:
    """bag-info.txt says exactly what the signed PDF says: its settings, build date and tool."""
    from datetime import datetime

    import bagit

    info = bagit.Bag(str(path)).info
    try:
        build_date = datetime.fromisoformat(facts["build_date"].replace("Z", "+00:00"))
        wanted = layout.bag_info(facts["config"], build_date, facts["tool"], "")
    except (KeyError, ValueError, TypeError):
        report.fail("bag.info-mismatch", "the signed PDF does not state the settings, date and tool a bag-info.txt "
                    "must agree with", "the PDF's metadata was altered")
        return
    agent = wanted.pop(layout.BAG_AGENT_FIELD).removesuffix(")")
    stated = {key: value for key, value in info.items() if key != "Payload-Oxum"}
    problems = [f"{key}: {stated.get(key)!r}, the signed PDF says {value!r}" for key, value in wanted.items()
                if stated.get(key) != value]
    found_agent = stated.get(layout.BAG_AGENT_FIELD)
    if not (isinstance(found_agent, str) and found_agent.startswith(agent) and found_agent.endswith(")")):
        problems.append(f"{layout.BAG_AGENT_FIELD}: {found_agent!r} is not the tool the signed PDF names")
    problems += [f"{key} is a field the bag's maker never writes" for key in sorted(set(stated) - set(wanted)
                                                                                  - {layout.BAG_AGENT_FIELD})]
    for problem in problems:
        report.fail("bag.info-mismatch", f"bag-info.txt: {problem}", "the bag's metadata was changed after it was made")
    if not problems:
        report.passed("integrity", "every bag-info.txt field agrees with the signed PDF")


def _check_same(report: VerifyReport, inner_reports: list[VerifyReport]) -> None:
    """One root and one signer for the PDF and the bundle."""
    roots = {inner.root for inner in inner_reports}
    if len(roots) != 1 or None in roots:
        report.fail("bag.roots-differ", f"the files in the bag state different roots: {sorted(map(str, roots))}",
                    "the bag mixes files from different builds")
    else:
        report.root = roots.pop()
    fingerprints = {inner.signer.fingerprint if inner.signer else None for inner in inner_reports}
    if len(fingerprints) != 1 or None in fingerprints:
        report.fail("bag.signers-differ", "the PDF and the bundle in the bag are not signed by the same certificate",
                    "one of them was replaced and signed by someone else")
    authorities = [{evidence.authority for evidence in inner.times if evidence.authority} for inner in inner_reports]
    if any(found != authorities[0] for found in authorities):
        report.fail("bag.timestamps-differ", "the PDF's signature and the bundle are time-stamped by different "
                    "authorities, or only one of them is", "a build time-stamps both with one authority; one of "
                    "them was replaced")


def _check_carried(report: VerifyReport, data: Path, pdf_report: VerifyReport) -> None:
    """data/manifest.json is the signed manifest, and data/records/ holds the PDF's record files, byte for byte."""
    if read_json(data / layout.MANIFEST, layout.MAX_MANIFEST_BYTES) != pdf_report.manifest:
        report.fail("bag.manifest-mismatch", f"data/{layout.MANIFEST} is not the manifest signed in the PDF",
                    "the manifest in the bag was replaced")
    else:
        report.cover(f"data/{layout.MANIFEST}")
    signed = {name: digest for name, digest in pdf_report.attachment_digests.items() if name.startswith(layout.RECORDS)}
    differing = []
    for name, digest in sorted(signed.items()):
        try:
            carried = read_input(data / name, layout.payload_limit(name))
        except (FileRefused, AppealArchiveError):  # missing or replaced by something else: reported above
            carried = None
        if carried is None or hashlib.sha256(carried).digest() != digest:
            differing.append(name)
    for name in differing[:_LISTED]:
        report.changes.append({"path": name, "change": "differs from the signed one"})
    if differing:
        report.fail("bag.records-differ", f"{len(differing)} files in data/{layout.RECORDS} are not the record files "
                    f"signed in the PDF (first: data/{differing[0]})",
                    "the records in the bag were changed; the PDF's attachments are the signed ones")
    else:
        report.cover(*(f"data/{name}" for name in signed))
        report.passed("integrity", f"data/{layout.RECORDS} holds exactly the {len(signed)} record files signed in the PDF")


def _bag_code(detail) -> str:
    name = type(detail).__name__
    return {"ChecksumMismatch": "bag.checksum-mismatch", "FileMissing": "bag.file-missing",
            "UnexpectedFile": "bag.unexpected-file"}.get(name, "bag.invalid")
