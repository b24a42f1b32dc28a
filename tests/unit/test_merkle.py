"""The Merkle tree against RFC 9162's published vectors (transparency-dev/merkle's testdata, read in place)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import need_vectors, vectors

from appeal_archive.ledger.merkle import (
    audit_path,
    consistency_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = vectors("rfc9162")
INCLUSION = sorted(VECTORS.glob("inclusion/**/*.json"))
CONSISTENCY = sorted(VECTORS.glob("consistency/**/*.json"))
# RFC 6962's reference leaves (the same as the vectors' trees are made of).
LEAVES = [bytes.fromhex(text) for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f")]


def _decoded(value) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(value) -> list[bytes]:
    return [_decoded(node) for node in value or []]


def test_the_vectors_are_there():
    need_vectors("rfc9162")
    assert len(INCLUSION) > 20 and len(CONSISTENCY) > 20


@pytest.mark.parametrize("path", INCLUSION, ids=lambda path: str(path.relative_to(VECTORS)))
def test_inclusion_vectors(path: Path):
    case = json.loads(path.read_text())
    accepted = verify_inclusion(case["leafIdx"], case["treeSize"], _decoded(case["leafHash"]), _proof(case["proof"]),
                                _decoded(case["root"]))
    assert accepted is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda path: str(path.relative_to(VECTORS)))
def test_consistency_vectors(path: Path):
    case = json.loads(path.read_text())
    accepted = verify_consistency(case["size1"], case["size2"], _decoded(case["root1"]), _decoded(case["root2"]),
                                  _proof(case["proof"]))
    assert accepted is not case["wantErr"], case["desc"]


def test_tree_hash_gives_the_reference_root():
    root = tree_hash([leaf_hash(data) for data in LEAVES])
    assert base64.b64encode(root).decode() == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="


@pytest.mark.parametrize("size", range(1, 34))
def test_proofs_made_here_verify_and_a_changed_bit_does_not(size: int):
    leaves = [leaf_hash(index.to_bytes(4, "big")) for index in range(size)]
    root = tree_hash(leaves)
    for index in range(size):
        path = audit_path(index, leaves)
        assert len(path) <= max(1, (size - 1).bit_length())
        assert verify_inclusion(index, size, leaves[index], path, root)
        if size > 1:
            assert not verify_inclusion(index ^ 1 if index ^ 1 < size else index - 1, size, leaves[index], path, root)
        if path:
            broken = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
            assert not verify_inclusion(index, size, leaves[index], broken, root)
    for old in range(1, size + 1):
        proof = consistency_proof(old, leaves)
        assert verify_consistency(old, size, tree_hash(leaves[:old]), root, proof)
        if proof:
            assert not verify_consistency(old, size, tree_hash(leaves[:old]), root, proof[:-1])
