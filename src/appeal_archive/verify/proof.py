"""Checking an inclusion proof (`verify PROOF --against SIGNED`): the signed file first, then that the proof,
as ledger/proof.py defines it, leads from its record's leaf to the root that file signs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from appeal_archive.files import FileRefused
from appeal_archive.ledger.leaves import leaf
from appeal_archive.ledger.merkle import root_from_inclusion
from appeal_archive.ledger.proof import MAX_PROOF_BYTES, proof_problem, record_problem
from appeal_archive.verify.inputs import BadJson, cannot_read, parse_json, read_input


def verify_proof(proof_file: str | Path, signed: str | Path, trust_roots: Sequence[Path] = ()):
    """Verify `signed` (a signed PDF or bundle), then the proof against the root it signs."""
    from appeal_archive.verify import verify_archive

    return check_proof(verify_archive(signed, trust_roots=trust_roots), proof_file)


def check_proof(report, proof_file: str | Path):
    """Add to the report of a verified signed file whether the proof leads to the root it signs."""
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
