"""`build --extends PREVIOUS` and `prove --consistency OLD NEW`: a signed earlier edition, verified first, as the
tree a new edition extends (ledger/lineage.py), and the proof between two signed editions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, fail
from appeal_archive.ledger.lineage import Kept, Predecessor, extend
from appeal_archive.records.recordset import RecordSet


def read_predecessor(path: str | os.PathLike, trust_roots: Sequence[Path] = ()) -> Predecessor:
    """The signed edition at `path` (PDF, bundle or bag), once `verify` has found it whole; AppealArchiveError
    (exit 1) naming what failed otherwise: nothing is built on an edition that does not verify."""
    from appeal_archive.verify import verify_archive
    from appeal_archive.verify.lineage import signed_file_digest, signing_time_of

    report = verify_archive(Path(path), trust_roots=trust_roots)
    manifest = report.manifest
    if not report.ok or manifest is None:
        failed = "; ".join(issue.message for issue in report.issues if issue.is_error)[:600]
        raise fail("edition.previous-invalid", f"{path} does not verify: {failed or 'it holds no manifest'}",
                   f"run `appeal-archive verify {path}` and give --extends an edition that verifies",
                   file=str(path), exit_code=EXIT_INVALID)
    signed_at = signing_time_of(report)
    return Predecessor(manifest, signed_file_digest(Path(path)), signed_at, os.fspath(path))


def extended_manifest(record_set: RecordSet, manifest: dict[str, Any], previous: Predecessor
                      ) -> tuple[dict[str, Any], Kept]:
    """The full edition's manifest extending `previous` and the paths it keeps withholding (ledger/lineage.py),
    each record's correction_note and each document's (its source record's) the reasons given for what
    changed."""
    notes: dict[str, str | None] = {}
    for record in record_set.records:
        note = (record.data or {}).get("correction_note")
        notes[record.path] = note
        if record.document is not None:
            notes[f"sources/{record.document.file}"] = note
    return extend(previous, manifest, notes, record_set.retractions, record_set.display_root)


@dataclass
class ConsistencyReport:
    """What `prove --consistency` wrote."""

    out: str
    from_size: int
    to_size: int
    from_root: str
    to_root: str
    path_length: int
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **asdict(self), "issues": []}


def prove_consistency(old: str | Path, new: str | Path, out: Path, trust_roots: Sequence[Path] = ()
                      ) -> ConsistencyReport:
    """Verify two signed editions, check that NEW keeps every leaf of OLD where it was, and write the RFC 9162
    consistency proof from OLD's tree to NEW's."""
    from appeal_archive.files import write_atomically
    from appeal_archive.layout import proof_bytes
    from appeal_archive.ledger.lineage import proof_between
    from appeal_archive.ledger.manifest import tree_leaves
    from appeal_archive.verify.lineage import extension_problem

    older, newer = read_predecessor(old, trust_roots), read_predecessor(new, trust_roots)
    problem = extension_problem(older.manifest, newer.manifest)
    if problem:
        code, message = problem
        raise fail(code, f"{new} does not extend {old}: {message}", "give the older edition first, then a later "
                   "edition built with --extends from it (or from an edition after it)", exit_code=EXIT_INVALID)
    leaves = tree_leaves(newer.manifest)
    document = proof_between(older.manifest["tree_size"], older.manifest["root"], leaves, newer.manifest["root"])
    write_atomically(out, proof_bytes(document), mode=0o644)
    return ConsistencyReport(str(out), document["from"]["tree_size"], document["to"]["tree_size"],
                             document["from"]["root"], document["to"]["root"], len(document["proof"]))
