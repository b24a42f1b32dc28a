"""Verification: what a build made -> VerifyReport. Offline; needs nothing but the files.

It reads records, the ledger and the views (to re-render with --rebuild), never the signing, build or command
line rooms, nor the records' writers (tools/import_graph.py). One module per thing verified: `pdf` (the signed
archival PDF), `bundle` (the JSON-LD bundle and its detached signature), `bag` (the BagIt package) and
`proof` (an inclusion proof against a signed file), with `pades` (the PDF's signature and time stamps),
`updates` (what an update may change, with `store` for the /DSS and `judgement` for what both compare with),
`reading` (one reading of the file in every reader), `xmp` (the metadata readers show), `signature`
(pyHanko's judgement, shared), `records` (roots and records folders), `rebuild` (re-rendering), `jail`
(hostile input contained) and `report` (the outcome) beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from appeal_archive.verify.report import VerifyReport
from appeal_archive.verify.signature import Judging

__all__ = ["VerifyReport", "verify_archive"]


def verify_archive(path: str | Path, records_dir: str | Path | None = None, rebuild: bool = False,
                   trust_roots: Sequence[Path] = (), at: datetime | None = None) -> VerifyReport:
    """Verify what a build made: a signed PDF, a JSON-LD bundle (with its .p7s), or a BagIt bag folder.
    `trust_roots` are the anchors the signer and the time-stamp authorities must chain to; with `at`, the
    PDF's signature is also judged as of that date by long-term validation.

    Raises AppealArchiveError (exit 3) only when the path cannot be read at all. The checks run in a jailed
    child process (jail.py): a file made to exhaust memory or time fails verification instead.
    """
    from appeal_archive.verify.jail import ResourceLimit, limits_for, run_jailed

    path = Path(path)
    if path.is_symlink():
        from appeal_archive.errors import fail

        raise fail("verify.unreadable", f"cannot read {path}: it is a symbolic link, which verify does not follow",
                   "give the file or folder itself", file=str(path))
    memory, seconds = limits_for(_input_size(path))
    records = Path(records_dir) if records_dir is not None else None
    _load_checkers()
    try:
        judging = Judging(tuple(Path(root) for root in trust_roots), at)
        return run_jailed(_verify, path, records, rebuild, judging, memory=memory, seconds=seconds)
    except ResourceLimit as limit:
        report = VerifyReport(str(path))
        report.fail("verify.resource-limit", f"checking it needed more {limit.what} than anything of its size can "
                    f"need ({memory >> 20} MB, {seconds} s of processor time)",
                    "the file was made to exhaust its reader: it is not an archive appeal-archive made")
        return report


def _load_checkers() -> None:
    """Import what the checks use here, before the jail forks: a child's imports die with it, so a process that
    verifies one file after another would import pyHanko's validator, pypdf and bagit again for each (0.7 s
    of a 0.8 s verification). The jail's memory cap then also counts from a baseline that holds them."""
    import bagit  # noqa: F401
    import pikepdf  # noqa: F401
    import pyhanko.sign.validation  # noqa: F401
    import pypdf  # noqa: F401

    from appeal_archive.verify import bag, bundle, pdf  # noqa: F401


def _input_size(path: Path) -> int:
    """The size that sets the jail's limits: the file's, or for a bag the PDF's and bundle's in its data/."""
    import os

    try:
        if not path.is_dir():
            return os.stat(path).st_size
        with os.scandir(path / "data") as entries:
            return sum(entry.stat(follow_symlinks=False).st_size for entry in entries
                       if entry.name.endswith((".pdf", ".jsonld")) and entry.is_file(follow_symlinks=False))
    except OSError:
        return 0


def _verify(path: Path, records: Path | None, rebuild: bool, judging: Judging) -> VerifyReport:
    from appeal_archive.verify.bag import verify_bag
    from appeal_archive.verify.bundle import verify_bundle
    from appeal_archive.verify.pdf import verify_pdf

    if path.is_dir():
        report = verify_bag(path, records, rebuild, judging)
    elif path.suffix == ".jsonld":
        report = verify_bundle(path, records, judging)
    else:
        report = verify_pdf(path, records, rebuild, judging)
    return report.pack()
