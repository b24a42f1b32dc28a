"""`appeal-archive prove`: a records folder and a record -> the record's inclusion proof (ledger/proof.py),
written atomically."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appeal_archive.canonical import digest
from appeal_archive.errors import EXIT_INVALID, EXIT_OK, fail
from appeal_archive.ledger.proof import make_proof


@dataclass
class ProveReport:
    """What `prove` wrote."""

    out: str
    path: str
    leaf_index: int
    tree_size: int
    root: str
    path_length: int
    size: int
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **asdict(self), "issues": []}


def prove_record(records_dir, record: str, out: Path, cache: bool = False) -> ProveReport:
    """Write the proof for the record whose id or path is `record` (`cache`: see check_records)."""
    from appeal_archive.files import refuse_records_folder, write_atomically
    from appeal_archive.layout import proof_bytes
    from appeal_archive.ledger.manifest import make_manifest
    from appeal_archive.records.validate import load_record_set

    refuse_records_folder(out)
    report, record_set = load_record_set(records_dir, keep_data=False, cache=cache)
    if record_set is None:
        raise fail("prove.invalid-records", f"{records_dir} does not validate ({len(report.errors)} errors)",
                   f"run `appeal-archive validate {records_dir}` and fix what it says", exit_code=EXIT_INVALID)
    matches = [each for each in record_set.records if record in (each.id, each.path)]
    if len(matches) != 1:
        raise fail("prove.unknown-record", f"{record!r} names {'no' if not matches else len(matches)} records of "
                   f"{records_dir}", "give the record's path, e.g. persons/alexander-azarov.yaml",
                   exit_code=EXIT_INVALID)
    manifest = make_manifest(record_set)
    found = matches[0]
    proof = make_proof(manifest, _data_of(Path(records_dir) / found.path, found.known_digest), found.path)
    data = proof_bytes(proof)
    write_atomically(out, data, mode=0o644)
    return ProveReport(str(out), matches[0].path, proof["leaf_index"], proof["tree_size"], proof["root"],
                       len(proof["audit_path"]), len(data))


def _data_of(path: Path, expected_digest: str) -> Any:
    """One record's data, read again (a set of 100,000 is validated without keeping the data of each)."""
    from appeal_archive.files import read_regular
    from appeal_archive.records.loader import MAX_RECORD_BYTES, load

    data = load(read_regular(path, MAX_RECORD_BYTES), text_checks=False).data
    if digest(data) != expected_digest:
        raise fail("prove.changed", f"{path} changed while it was being proven", "run prove again")
    return data
