"""Stage 12, verification: what a build made -> VerifyReport. Offline; needs nothing but the files.

A leaf of the package: it imports no build orchestration and no signing. One module per thing verified:
`pdf` (the signed archival PDF), `bundle` (the JSON-LD bundle and its detached signature), `bag` (the
BagIt package), with `signature` (pyHanko's judgement), `records` (roots and records folders), `rebuild`
(re-rendering) and `report` (the outcome) beside them.
"""

from __future__ import annotations

from pathlib import Path

from .report import VerifyReport

__all__ = ["VerifyReport", "verify_archive"]


def verify_archive(path: str | Path, records_dir: str | Path | None = None, rebuild: bool = False,
                   trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify what a build made: a signed PDF, a JSON-LD bundle (with its .p7s), or a BagIt bag folder.

    Raises AppealArchiveError (exit 3) only when the file cannot be read at all.
    """
    from .bag import verify_bag
    from .bundle import verify_bundle
    from .pdf import verify_pdf

    path = Path(path)
    records = Path(records_dir) if records_dir is not None else None
    if path.is_dir():
        return verify_bag(path, records, rebuild, list(trust_roots))
    if path.suffix == ".jsonld":
        return verify_bundle(path, records, list(trust_roots))
    return verify_pdf(path, records, rebuild, list(trust_roots))
