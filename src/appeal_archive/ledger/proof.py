"""Inclusion proofs of one record: a manifest -> the record, its salted entry and its RFC 9162 audit path, and
what a proof must be to be checked (`proof_problem`, `record_problem`). Pure: writing one is build/prove.py,
checking one against a signed file is verify/proof.py.

A court can so be shown one protected signatory, and nothing else of the record set.
"""

from __future__ import annotations

from typing import Any

from appeal_archive.canonical import digest
from appeal_archive.ledger.merkle import audit_path
from appeal_archive.records.types import BY_NAME

PROOF_FORMAT = "appeal-archive/inclusion-proof/1"
MAX_PROOF_BYTES = 2_000_000
_ENTRY_KEYS = {"kind", "path", "id", "type", "sha256", "salt"}


def make_proof(manifest: dict[str, Any], record_data: Any, path: str) -> dict[str, Any]:
    """The inclusion proof of the record at `path`, from the full edition's manifest."""
    from appeal_archive.ledger.manifest import tree_leaves

    entry = next(entry for entry in manifest["records"] if entry["path"] == path)
    leaves = [bytes.fromhex(each) for each in tree_leaves(manifest)]
    return {"format": PROOF_FORMAT, "root": manifest["root"], "tree_size": manifest["tree_size"],
            "leaf_index": entry["index"], "record": record_data,
            "entry": {key: value for key, value in entry.items() if key != "index"},
            "audit_path": [node.hex() for node in audit_path(entry["index"], leaves)]}


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
    record_type = BY_NAME.get(entry["type"]) if isinstance(entry.get("type"), str) else None
    if entry["kind"] != "record" or record.get("id") != entry["id"] or record.get("type") != entry["type"] \
            or record_type is None or entry["path"] != record_type.path_of(entry["id"]):
        return "its record's id, type and path are not its entry's"
    return None
