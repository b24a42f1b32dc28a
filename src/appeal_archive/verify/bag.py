"""Verifying a BagIt package: every file in it must be one the signed PDF accounts for, as a regular file
of a plausible size; then BagIt validity (bagit-python), the PDF and the bundle inside it, and agreement of
everything in the bag (records, manifest, bag-info fields, roots, signers) with what the PDF signs.

BagIt's own manifests only prove that a bag is as it was bagged: whoever re-bags can change anything.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from appeal_archive import layout
from appeal_archive.errors import AppealArchiveError
from appeal_archive.files import FileRefused, has_holes, sha256_of
from appeal_archive.verify.bundle import verify_bundle
from appeal_archive.verify.inputs import read_input
from appeal_archive.verify.pdf import verify_pdf
from appeal_archive.verify.report import VerifyReport
from appeal_archive.verify.signature import Judging
from appeal_archive.views.crate import CrateFile
from appeal_archive.views.registry import CRATE, Outputs

_LISTED = 20  # how many unexpected or missing files a report names


def verify_bag(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               judging: Judging | None = None) -> VerifyReport:
    """Check a bag's files, then verify the PDF and the bundle it carries, then BagIt and agreement. A bag is
    verified only when every file in it was checked against what was signed, whatever path the checks took."""
    judging = judging or Judging()
    report = VerifyReport(str(path))
    files = _check_bag(path, records_dir, rebuild, judging, report)
    unchecked = sorted(set(files) - set(report.covered))
    if report.ok and unchecked:
        report.fail("bag.unchecked", f"{len(unchecked)} files of the bag were not checked against anything signed "
                    f"(first: {unchecked[0]})", "the bag cannot be verified as a whole; this is a bug in "
                    "appeal-archive if the bag is one it made: report it")
    return report


def _check_bag(path: Path, records_dir: Path | None, rebuild: bool, judging: Judging,
               report: VerifyReport) -> dict[str, int]:
    """The checks of `verify_bag`, stopping where a failure makes the rest meaningless; the bag's files and sizes."""
    files, folders = _regular_files(path, report)
    if report.failed("bag.special-file") or report.failed("bag.fetch"):
        return files  # nothing in it is read: a FIFO or a link where a signature should be would mislead
    if not {"bagit.txt", "bag-info.txt"} <= set(files) or not _tag_files_plausible(report, path, files):
        report.fail("bag.invalid", "the folder holds no bagit.txt and bag-info.txt of a bag appeal-archive makes",
                    "give the folder of a BagIt bag")
        return files
    pdfs = sorted(name for name in files if name.startswith("data/") and name.count("/") == 1 and name.endswith(".pdf"))
    if len(pdfs) != 1:
        report.fail("bag.incomplete", f"the bag's data/ holds {len(pdfs)} PDFs; a bag appeal-archive made holds one",
                    "a bag made by appeal-archive carries exactly one signed PDF")
        return files
    pdf_report = verify_pdf(path / pdfs[0], records_dir, rebuild, judging)
    report.merge(pdf_report, pdfs[0].removeprefix("data/"), prefix="data/")
    config = pdf_report.signed_facts.get("config") or {}
    if pdf_report.manifest is None or not isinstance(config.get("archival_id"), str):
        return files  # nothing signed to hold the rest of the bag against (bag.unchecked, when nothing failed)
    names = Outputs(config["archival_id"])
    bundle = path / "data" / names.bundle
    if f"data/{names.bundle}" in files:
        bundle_report = verify_bundle(bundle, records_dir, judging)
        report.merge(bundle_report, names.bundle, prefix="data/")
        _check_same(report, [pdf_report, bundle_report])
    records = {name for name in pdf_report.attachment_digests if name.startswith(layout.RECORDS)}
    extending = layout.CONSISTENCY_PROOF in pdf_report.attachment_digests
    expected = {f"data/{name}" for name in names.bag_payload_names(records, extending)}
    if not _check_complete(report, files, folders, expected):
        return files  # BagIt would hash files nothing signed: they can be any size
    digests = _check_bagit(report, path)
    _check_info(report, path, pdf_report.signed_facts)
    _check_carried(report, path / "data", pdf_report)
    if digests is not None:
        _check_crate(report, path, files, digests, pdf_report)
    return files


def _check_crate(report: VerifyReport, path: Path, files: dict[str, int], digests: dict[str, str],
                 pdf_report: VerifyReport) -> None:
    """data/ro-crate-metadata.json describes exactly the payload (its sizes, and the SHA-256 BagIt has just
    checked): an error when not, for nothing unsigned may say anything in a bag."""
    from appeal_archive.verify.crate import crate_as_built

    try:
        entries = [CrateFile(name[5:], files[name], digests[name]) for name in files
                   if name.startswith("data/") and name != f"data/{CRATE}"]
    except KeyError:
        entries = None
    if entries is None or pdf_report.manifest is None or not crate_as_built(
            path / "data" / CRATE, entries, pdf_report.signed_facts, pdf_report.manifest):
        report.fail("bag.crate-mismatch", f"data/{CRATE} is not the RO-Crate metadata a build makes of this "
                    "bag's payload",
                    "the crate metadata was edited or replaced; it must describe exactly the signed files")
    else:
        report.cover(f"data/{CRATE}")
        report.passed("integrity", f"data/{CRATE} describes exactly the bag's payload, as a build makes it")


def _regular_files(path: Path, report: VerifyReport) -> tuple[dict[str, int], set[str]]:
    """Every file in the bag (relative path -> size) and every folder, refusing links, special and sparse
    files, fetch.txt, and what cannot be listed."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    pending = [(path, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as entries:
                listed = [(entry, entry.stat(follow_symlinks=False)) for entry in entries]
        except OSError as error:
            report.fail("bag.special-file", f"{prefix or 'the bag'} cannot be listed ({error.strerror})",
                        "a bag made by appeal-archive has short, readable folders")
            continue
        for entry, status in listed:
            name = prefix + entry.name
            if stat.S_ISDIR(status.st_mode):
                folders.add(name)
                pending.append((Path(entry.path), name + "/"))
            elif not stat.S_ISREG(status.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a regular file"
                report.fail("bag.special-file", f"{name} is {kind}", "a bag holds regular files only; remove it")
            elif name == "fetch.txt":
                report.fail("bag.fetch", "the bag has a fetch.txt: it would take files from elsewhere",
                            "a bag made by appeal-archive is complete; remove fetch.txt and what it names")
            elif _sparse_or_unreadable(entry.path):
                report.fail("bag.special-file", f"{name} is a sparse file (it has holes) or cannot be read",
                            "a bag holds ordinary, readable files; copy it without holes, or remove it")
            else:
                files[name] = status.st_size
    return files, folders


def _sparse_or_unreadable(path: str) -> bool:
    try:
        return has_holes(path)
    except FileRefused:
        return True


def _tag_files_plausible(report: VerifyReport, path: Path, files: dict[str, int]) -> bool:
    """bagit.txt says exactly what a build writes, and no tag file has a line longer than a bag of ours can:
    bagit reads them with a decoder that takes quadratic time on one long line."""
    wanted = f"BagIt-Version: {layout.BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()
    try:
        if read_input(path / "bagit.txt", len(wanted)) != wanted:
            report.fail("bag.invalid", "bagit.txt is not the one a build writes (BagIt 1.0, UTF-8, nothing else)",
                        "the bag's declaration was changed")
            return False
        for name in files:
            if "/" not in name and name != "bagit.txt":
                content = read_input(path / name, layout.MAX_TAG_FILE_BYTES)
                if max(map(len, content.split(b"\n")), default=0) > layout.MAX_TAG_LINE:
                    report.fail("bag.invalid", f"{name} has a line longer than any a build writes",
                                "the bag's tag files were changed")
                    return False
    except (FileRefused, AppealArchiveError) as error:
        report.fail("bag.invalid", f"a tag file is larger than a bag of appeal-archive's can have, or unreadable "
                    f"({error})", "the bag's tag files were changed")
        return False
    return True


def _check_complete(report: VerifyReport, files: dict[str, int], folders: set[str], expected: set[str]) -> bool:
    """data/ holds exactly what the signed PDF accounts for, each file within its size, and no folder that
    holds none of those files; the tag files are BagIt's. Returns whether the bag may be hashed."""
    payload = {name for name in files if name.startswith("data/")}
    tags = set(files) - payload
    needed = {"/".join(name.split("/")[:depth]) for name in expected for depth in range(1, name.count("/") + 1)}
    unexpected = sorted(payload - expected) + sorted(tags - set(layout.BAG_TAG_FILES)) + sorted(folders - needed)
    for name in unexpected[:_LISTED]:
        report.fail("bag.unexpected-file", f"{name} is not accounted for by anything signed",
                    "the bag was added to after it was made; remove it, or ask the sender")
    for name in sorted(expected - payload)[:_LISTED]:
        report.fail("bag.file-missing", f"{name} is missing from the bag", "the bag is incomplete")
    oversized = sorted(name for name in payload & expected if files[name] > layout.payload_limit(name[5:]))
    oversized += sorted(name for name in tags if files[name] > layout.MAX_TAG_FILE_BYTES)
    for name in oversized[:_LISTED]:
        report.fail("file.too-large", f"{name} has {files[name]:,} bytes, more than such a file may have",
                    "the file was replaced")
    if unexpected or oversized:
        return False
    report.passed("completeness", f"the bag holds exactly the {len(payload)} payload files the signed PDF accounts "
                  "for, and BagIt's tag files")
    return True


def _check_bagit(report: VerifyReport, path: Path) -> dict[str, str] | None:
    """BagIt's own validation; the SHA-256 of each payload file it checked, or None when the bag is invalid."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as error:
        for detail in (error.details or [error])[:_LISTED]:
            report.fail(_bag_code(detail), f"BagIt: {detail}", "the bag's payload was changed, removed or added to")
        return None
    except Exception as error:  # noqa: BLE001 - bagit raises many kinds on malformed tag files
        report.fail("bag.invalid", f"not a valid BagIt bag: {type(error).__name__}: {str(error)[:200]}",
                    "give the folder of a bag appeal-archive made")
        return None
    report.passed("integrity", "the bag is valid BagIt (every payload file matches its SHA-256 and SHA-512)")
    report.cover(*layout.BAG_TAG_FILES)
    return {name: hashes["sha256"] for name, hashes in bag.payload_entries().items()}


def _check_info(report: VerifyReport, path: Path, facts: dict) -> None:
    """bag-info.txt says exactly what the signed PDF says: its settings, build date and tool."""
    from datetime import datetime

    import bagit

    try:
        info = bagit.Bag(str(path)).info
    except Exception as error:  # noqa: BLE001 - reported by _check_bagit already
        report.fail("bag.invalid", f"bag-info.txt cannot be read: {type(error).__name__}", "the bag was changed")
        return
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
    authorities = [{evidence.authority for evidence in inner.times if evidence.kind == "signature"}
                   for inner in inner_reports]
    if any(found != authorities[0] for found in authorities):
        report.fail("bag.timestamps-differ", "the PDF's signature and the bundle's are time-stamped by different "
                    "authorities, or only one of them is", "a build time-stamps both with one authority; one of "
                    "them was replaced")


def _check_carried(report: VerifyReport, data: Path, pdf_report: VerifyReport) -> None:
    """data/manifest.json is the signed manifest (data/consistency-proof.json the signed proof, in an edition that
    extends another), and data/records/ holds the PDF's record files, byte for byte."""
    for carried in (layout.MANIFEST, layout.CONSISTENCY_PROOF):
        signed_copy = pdf_report.attachment_digests.get(carried)
        if signed_copy is None and carried != layout.MANIFEST:
            continue
        if _digest_of(data / carried, layout.MAX_MANIFEST_BYTES) != signed_copy:
            report.fail("bag.manifest-mismatch", f"data/{carried} is not, byte for byte, the {carried} signed in "
                        "the PDF", f"the {carried} in the bag was replaced")
        else:
            report.cover(f"data/{carried}")
    signed = {name: digest for name, digest in pdf_report.attachment_digests.items() if name.startswith(layout.RECORDS)}
    differing = []
    for name, digest in sorted(signed.items()):
        if _digest_of(data / name, layout.payload_limit(name)) != digest:
            differing.append(name)
    for name in differing[:_LISTED]:
        report.changes.append({"path": name, "change": "differs from the signed one"})
    if differing:
        report.fail("bag.records-differ", f"{len(differing)} files in data/{layout.RECORDS} are not the record files "
                    f"signed in the PDF (first: data/{differing[0]})",
                    "the records in the bag were changed; the PDF's attachments are the signed ones")
    else:
        report.cover(*(f"data/{name}" for name in signed))
        report.passed("integrity",
                      f"data/{layout.RECORDS} holds exactly the {len(signed)} record files signed in the PDF")


def _digest_of(path: Path, limit: int) -> bytes | None:
    """SHA-256 of a file in the bag, read in pieces, or None when it is missing, too large or not a regular
    file (reported)."""
    try:
        return bytes.fromhex(sha256_of(path, limit))
    except FileRefused:
        return None


def _bag_code(detail) -> str:
    name = type(detail).__name__
    return {"ChecksumMismatch": "bag.checksum-mismatch", "FileMissing": "bag.file-missing",
            "UnexpectedFile": "bag.unexpected-file"}.get(name, "bag.invalid")
