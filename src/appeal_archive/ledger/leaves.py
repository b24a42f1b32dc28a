"""The leaves and the root of a record set: manifest entries -> RFC 9162 leaves -> the root. Pure.

The root hash over a record set (manifest_version 2; also in the README, to recompute without this code):
  entry  = {"kind": "record", "path", "id", "type", "sha256", "salt"}  sha256 = SHA-256 of the record's RFC 8785 JSON
         | {"kind": "source-document", "path", "sha256", "salt"}     sha256 = SHA-256 of the file's bytes
  leaf   = SHA-256(0x00 || RFC 8785 JSON of the entry)                  (RFC 9162 leaf hash)
  root   = RFC 9162 Merkle Tree Hash of the leaves in ledger order (records/salts.txt; the manifest gives
           each entry's place as "index", which is not part of the entry)
Each salt is a secret of 128 bits (salts.py): without it, a leaf cannot be confirmed by guessing the record,
so an edition may withhold a record and publish its leaf alone, and a small audit path proves any record.

Archives made before salts (manifest_version 1) have unsalted entries, leaf = SHA-256 of the entry's RFC 8785
JSON, and root = SHA-256 of the RFC 8785 JSON of {"manifest_version": 1, "leaves": [every leaf, sorted]};
`verify` still reads them.
"""

from __future__ import annotations

from typing import Any

from appeal_archive.canonical import canonical_json, digest
from appeal_archive.ledger.merkle import leaf_hash, tree_hash

MANIFEST_VERSION = 2
STATUSES = ("superseded", "retracted")  # of an earlier leaf, that an edition keeps in its tree (lineage.py)
TREE = "RFC 9162 Merkle Tree Hash (SHA-256) over the leaves in index order; leaf = SHA-256(0x00 || RFC 8785 entry)"


# The fields are text in every entry a build makes; verify also makes entries of what a bundle states, whatever
# its values are, and checks them afterwards (manifest.manifest_shape_problem).
def record_entry(path: Any, record_id: Any, record_type: Any, sha256: Any, salt: Any) -> dict[str, Any]:
    return {"kind": "record", "path": path, "id": record_id, "type": record_type, "sha256": sha256, "salt": salt}


def document_entry(path: Any, sha256: Any, salt: Any) -> dict[str, Any]:
    return {"kind": "source-document", "path": path, "sha256": sha256, "salt": salt}


def leaf(entry: dict[str, Any]) -> str:
    """The leaf hash of a manifest entry (hex); its place in the tree ("index") is not part of it."""
    return leaf_hash(canonical_json({key: value for key, value in entry.items() if key != "index"})).hex()


def root_hash(leaves: list[str]) -> str:
    """The root over the leaf hashes (hex), in tree order."""
    return tree_hash([bytes.fromhex(each) for each in leaves]).hex()


def leaf_v1(entry: dict[str, str]) -> str:
    """A leaf of manifest_version 1: SHA-256 of the unsalted entry's RFC 8785 form."""
    return digest(entry)


def root_hash_v1(leaves: list[str]) -> str:
    """The root of manifest_version 1, over the leaves in any order."""
    return digest({"manifest_version": 1, "leaves": sorted(leaves)})


def tree_leaves(manifest: dict[str, Any]) -> list[str]:
    """The leaves of a manifest_version 2 manifest in tree order: its entries', the withheld ones' and the earlier
    ones' (superseded or retracted: lineage.py)."""
    leaves = [""] * manifest["tree_size"]  # manifest_shape_problem has checked every place is filled once
    for entry in [*manifest["records"], *manifest["source_documents"]]:
        leaves[entry["index"]] = leaf(entry)
    for withheld in [*manifest["withheld"], *manifest.get("earlier", ())]:
        leaves[withheld["index"]] = withheld["leaf"]
    return leaves
