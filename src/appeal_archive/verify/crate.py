"""RO-Crate metadata found beside a verified PDF or in a bag: it is not signed, so it must be byte for byte
what a build makes (crate.py) of the files it describes, the signed manifest, settings and build date."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from appeal_archive import layout
from appeal_archive.files import FileRefused, read_regular, sha256_of
from appeal_archive.verify.report import VerifyReport
from appeal_archive.views.crate import CrateFile, crate_bytes
from appeal_archive.views.registry import CRATE, SITE, VIEWS, Outputs, unsigned_views


def crate_as_built(crate: Path, files: list[CrateFile], facts: dict[str, Any], manifest: dict[str, Any]) -> bool:
    """Whether `crate` holds exactly the metadata a build makes of `files`."""
    try:
        expected = crate_bytes(facts["config"], manifest,
                               datetime.fromisoformat(facts["build_date"].replace("Z", "+00:00")), files)
        return read_regular(crate, layout.MAX_MANIFEST_BYTES) == expected
    except (FileRefused, KeyError, ValueError, TypeError):
        return False


def check_copies_beside(report: VerifyReport, pdf: Path) -> None:
    """The manifest, the consistency proof and the site's verifier page beside a PDF, when there, are byte for byte
    the ones signed inside it (a reader may open them instead of the attachments); a bag checks its own."""
    if pdf.parent.name == "data" and (pdf.parent.parent / "bagit.txt").is_file():
        return
    for name, signed_as in ((layout.MANIFEST, layout.MANIFEST), (layout.CONSISTENCY_PROOF, layout.CONSISTENCY_PROOF),
                            (f"{SITE}/{layout.VERIFIER_PAGE}", layout.VERIFIER_PAGE)):
        beside = pdf.parent / name
        if not beside.exists() and not beside.is_symlink():
            continue
        signed = report.attachment_digests.get(signed_as)
        try:
            same = signed is not None and not beside.is_symlink() and bytes.fromhex(
                sha256_of(beside, layout.MAX_MANIFEST_BYTES)) == signed
        except FileRefused:
            same = False
        if same:
            report.cover(name)
            report.passed("integrity", f"{name} beside it is, byte for byte, the one signed inside it")
        else:
            report.fail("pdf.beside-mismatch", f"{name} beside it is not the {name} signed inside it",
                        "the file beside the PDF was replaced or altered; the PDF's attachment is the signed one")


def check_crate_beside(report: VerifyReport, pdf: Path, manifest: dict[str, Any]) -> None:
    """The build folder's ro-crate-metadata.json, when the PDF sits in one: a description, not evidence, so a
    difference (as after `extend` renewed the PDF) is a warning."""
    crate = pdf.parent / CRATE
    config = report.signed_facts.get("config") or {}
    in_a_bag = pdf.parent.name == "data" and (pdf.parent.parent / "bagit.txt").is_file()  # the bag checks its own
    if in_a_bag or not crate.is_file() or not isinstance(config.get("archival_id"), str):
        return
    described = Outputs(config["archival_id"]).described_beside()
    for view in VIEWS:
        folder = pdf.parent / view.name
        if view.folder and folder.is_dir() and not folder.is_symlink():
            described += sorted(path.relative_to(pdf.parent).as_posix() for path in folder.rglob("*")
                                if path.is_file() and not path.is_symlink())
    files = []
    for name in described:  # hashed in pieces: a bundle beside the PDF can be hundreds of megabytes
        try:
            digest = sha256_of(pdf.parent / name, layout.MAX_PDF_BYTES)
        except FileRefused:
            continue
        files.append(CrateFile(name, (pdf.parent / name).stat().st_size, digest))
    report.cover(CRATE)
    # The Linked Art view is made from the same records but signed by nothing: whoever edits it can make the
    # crate describe the edit too. It is named as unsigned, never counted as checked.
    report.unsigned += [file.path for file in files if any(view.holds(file.path) for view in unsigned_views())]
    if crate_as_built(crate, files, report.signed_facts, manifest):
        report.passed("completeness", f"{CRATE} beside it describes exactly the files beside it (the "
                      f"{len(report.unsigned)} files of the Linked Art view and the site among them, which are "
                      "unsigned)")
    else:
        report.fail("crate.differs", f"{CRATE} beside it does not describe the files beside it as a build "
                    "does", "it is a description, not evidence: make it again with a build, or ignore it",
                    severity="warning")
