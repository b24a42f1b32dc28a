"""A proof for one record: `prove` writes the record, its salted entry and its RFC 9162 audit path; `verify
PROOF --against SIGNED` checks the signed file first, then that the proof leads to the root it signs.

A court can so be shown one protected signatory, and nothing else of the record set.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .canonical import digest, leaf
from .errors import EXIT_INVALID, EXIT_OK, fail
from .merkle import audit_path, root_from_inclusion
from .schema import TYPE_FOLDERS

PROOF_FORMAT = "appeal-archive/inclusion-proof/1"
MAX_PROOF_BYTES = 2_000_000
_ENTRY_KEYS = {"kind", "path", "id", "type", "sha256", "salt"}


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
        return {"ok": True, **asdict(self)}


def make_proof(manifest: dict[str, Any], record_data: Any, path: str) -> dict[str, Any]:
    """The inclusion proof of the record at `path`, from the full edition's manifest."""
    from .manifest import tree_leaves

    entry = next(entry for entry in manifest["records"] if entry["path"] == path)
    leaves = [bytes.fromhex(each) for each in tree_leaves(manifest)]
    return {"format": PROOF_FORMAT, "root": manifest["root"], "tree_size": manifest["tree_size"],
            "leaf_index": entry["index"], "record": record_data,
            "entry": {key: value for key, value in entry.items() if key != "index"},
            "audit_path": [node.hex() for node in audit_path(entry["index"], leaves)]}


def prove_record(records_dir, record: str, out: Path) -> ProveReport:
    """Write the proof for the record whose id or path is `record`."""
    from .manifest import make_manifest
    from .publish import refuse_records_folder, write_atomically
    from .validate import load_record_set

    refuse_records_folder(out)
    report, record_set = load_record_set(records_dir, keep_data=False)
    if record_set is None:
        raise fail("prove.invalid-records", f"{records_dir} does not validate ({len(report.errors)} errors)",
                   f"run `appeal-archive validate {records_dir}` and fix what it says", exit_code=EXIT_INVALID)
    matches = [each for each in record_set.records if record in (each.id, each.path)]
    if len(matches) != 1:
        raise fail("prove.unknown-record", f"{record!r} names {'no' if not matches else len(matches)} records of "
                   f"{records_dir}", "give the record's path, e.g. persons/alexander-azarov.yaml",
                   exit_code=EXIT_INVALID)
    manifest = make_manifest(record_set)
    proof = make_proof(manifest, _data_of(Path(records_dir) / matches[0].path, matches[0].digest), matches[0].path)
    data = json.dumps(proof, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    write_atomically(out, data)
    return ProveReport(str(out), matches[0].path, proof["leaf_index"], proof["tree_size"], proof["root"],
                       len(proof["audit_path"]), len(data))


def _data_of(path: Path, expected_digest: str) -> Any:
    """One record's data, read again (a set of 100,000 is validated without keeping the data of each)."""
    from .files import read_regular
    from .loader import MAX_RECORD_BYTES, load

    data = load(read_regular(path, MAX_RECORD_BYTES), text_checks=False).data
    if digest(data) != expected_digest:
        raise fail("prove.changed", f"{path} changed while it was being proven", "run prove again")
    return data


_PROOF_KEYS = {"format", "root", "tree_size", "leaf_index", "record", "entry", "audit_path"}


def proof_problem(proof: Any) -> str | None:
    """What keeps `proof` from being an inclusion proof `prove` writes, or None."""
    if not isinstance(proof, dict) or proof.get("format") != PROOF_FORMAT or set(proof) != _PROOF_KEYS:
        return f"it is not an inclusion proof ({PROOF_FORMAT}: {', '.join(sorted(_PROOF_KEYS))})"
    entry = proof.get("entry")
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS or not all(isinstance(entry[key], str)
                                                                           for key in _ENTRY_KEYS):
        return "its entry is not a record's salted entry"
    numbers = (proof.get("leaf_index"), proof.get("tree_size"))
    if not all(isinstance(number, int) and not isinstance(number, bool) for number in numbers):
        return "its leaf_index and tree_size are not numbers"
    nodes = proof.get("audit_path")
    if not isinstance(nodes, list) or not all(isinstance(node, str) and len(node) == 64 for node in nodes):
        return "its audit_path is not a list of SHA-256 hashes"
    try:
        [bytes.fromhex(node) for node in nodes]
    except ValueError:
        return "its audit_path is not a list of SHA-256 hashes"
    return None


def record_problem(proof: dict[str, Any]) -> str | None:
    """Whether the proof's record is the one its entry names: same digest, id, type and path."""
    record, entry = proof.get("record"), proof["entry"]
    if not isinstance(record, dict):
        return "its record is not a record's data"
    if digest(record) != entry["sha256"]:
        return "its record does not give the SHA-256 its entry states (the record was changed)"
    folder = TYPE_FOLDERS.get(record.get("type"))
    if entry["kind"] != "record" or record.get("id") != entry["id"] or record.get("type") != entry["type"] \
            or entry["path"] != f"{folder}/{entry['id']}.yaml":
        return "its record's id, type and path are not its entry's"
    return None


def verify_proof(proof_file: str | Path, signed: str | Path, trust_roots: list[Path] = ()):
    """Verify `signed` (a signed PDF or bundle), then the proof against the root it signs."""
    from .verify import verify_archive

    return check_proof(verify_archive(signed, trust_roots=trust_roots), proof_file)


def check_proof(report, proof_file: str | Path):
    """Add to the report of a verified signed file whether the proof leads to the root it signs."""
    from .files import FileRefused
    from .verify.inputs import BadJson, cannot_read, parse_json, read_input

    signed = report.file
    try:
        # A repeated key could show one thing and prove another.
        proof = parse_json(read_input(Path(proof_file), MAX_PROOF_BYTES), unique_keys=True)
    except FileRefused as refused:
        if refused.issue.code != "file.too-large":
            raise cannot_read(Path(proof_file), refused) from refused
        proof = BadJson(f"it is larger than any proof ({MAX_PROOF_BYTES:,} bytes)")
    except BadJson as error:
        proof = error
    problem = f"it is not JSON appeal-archive writes ({proof})" if isinstance(proof, BadJson) else proof_problem(proof)
    if problem:
        report.fail("proof.invalid", f"{proof_file}: {problem}", "give the file `appeal-archive prove` wrote")
        return report
    try:
        problem = record_problem(proof)
    except (ValueError, TypeError, UnicodeError, OverflowError) as error:  # data no canonical JSON can hold
        problem = f"its record cannot be put in canonical form ({type(error).__name__})"
    if problem:
        report.fail("proof.record-mismatch", f"{proof_file}: {problem}", "the proof was altered after it was made")
        return report
    signed_manifest = report.manifest or {}
    if signed_manifest.get("manifest_version", 2) < 2:
        report.fail("proof.no-tree", f"{signed} was made before salted Merkle roots (manifest_version 1)",
                    "prove against an edition built with this version")
        return report
    nodes = [bytes.fromhex(node) for node in proof["audit_path"]]
    try:
        entry_leaf = bytes.fromhex(leaf(proof["entry"]))
    except (ValueError, TypeError, UnicodeError, OverflowError):
        entry_leaf = b""
    reached = root_from_inclusion(proof["leaf_index"], proof["tree_size"], entry_leaf, nodes)
    if reached is None or reached.hex() != report.root or proof.get("root") != report.root \
            or proof["tree_size"] != signed_manifest.get("tree_size"):
        report.fail("proof.not-in-root", f"{proof_file}: its audit path does not lead from the record's leaf to the "
                    f"root {signed} signs", "the proof belongs to another record set or build, or was altered")
        return report
    report.passed("integrity", f"{proof_file}: {proof['entry']['path']} is leaf {proof['leaf_index']} of "
                  f"{proof['tree_size']}; its audit path of {len(nodes)} hashes leads to the signed root")
    return report
