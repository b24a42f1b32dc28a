"""Manifest: a validated RecordSet -> the manifest, with one root hash over the whole set.

The construction of digests, leaves and root is in canonical.py (and in the README); the bytes the
manifest is written as are declared in layout.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

from appeal_archive.ledger.leaves import (
    MANIFEST_VERSION,
    STATUSES,
    TREE,
    document_entry,
    leaf,
    leaf_v1,
    record_entry,
    root_hash,
    root_hash_v1,
    tree_leaves,
)
from appeal_archive.records.recordset import RecordSet
from appeal_archive.records.types import RECORD_ID_PATTERN, type_of_folder


def make_manifest(record_set: RecordSet) -> dict[str, Any]:
    """The manifest of a validated record set (the full edition); paths are relative to the records folder.
    Entries are listed by path; "index" is each one's place in the tree, which is the ledger's order."""
    salts = record_set.salts
    included = {record.path for record in record_set.records} | {document.path for document in record_set.documents}
    # A salted file that is no leaf (a document no source record describes yet) takes no place in the tree.
    place = {path: index for index, path in enumerate(path for path in salts if path in included)}
    records = [{**record_entry(record.path, record.known_id, record.record_type, record.known_digest,
                                   salts[record.path]),
                "index": place[record.path]} for record in record_set.records]
    documents = [{**document_entry(document.path, document.sha256, salts[document.path]),
                  "index": place[document.path]} for document in record_set.documents]
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "archival_id": record_set.config.get("archival_id"),
        "edition": "full",
        "hash_algorithm": "sha-256",
        "canonicalization": "RFC 8785 (JCS)",
        "tree": TREE,
        "tree_size": len(records) + len(documents),
        "records": records,
        "source_documents": documents,
        "withheld": [],
    }
    manifest["root"] = root_hash(tree_leaves(manifest))
    return manifest


def manifest_root(manifest: dict[str, Any]) -> str:
    """Recompute the root from a manifest's entries, as a recipient does, by its version's construction."""
    if manifest.get("manifest_version") == 1:
        entries = list(manifest.get("records", [])) + list(manifest.get("source_documents", []))
        return root_hash_v1([leaf_v1(entry) for entry in entries])
    return root_hash(tree_leaves(manifest))


def construction(manifest: dict[str, Any]) -> str:
    """How a manifest's root is made, in words a report can print."""
    if manifest.get("manifest_version") == 1:
        return "manifest_version 1: SHA-256 over the sorted list of unsalted leaves (made before salts)"
    return "manifest_version 2: RFC 9162 Merkle tree over salted leaves"


def public_manifest(manifest: dict[str, Any], withheld_paths: set[str],
                    published_before: AbstractSet[str] = frozenset(),
                    exposes: Callable[[str], bool] = lambda text: False,
                    hidden: AbstractSet[int] = frozenset()) -> dict[str, Any]:
    """The public edition's manifest: each withheld entry replaced by its place and leaf, same root; earlier
    leaves (lineage.py) withheld as lineage.withhold_earlier says, given the paths an earlier public edition
    published."""
    from appeal_archive.ledger.lineage import withhold_earlier

    kept = {kind: [entry for entry in manifest[kind] if entry["path"] not in withheld_paths]
            for kind in ("records", "source_documents")}
    shown, withheld_earlier = withhold_earlier(manifest, withheld_paths, published_before, exposes, hidden)
    withheld = sorted([*manifest["withheld"], *withheld_earlier, *({"index": entry["index"], "leaf": leaf(entry)}
                       for kind in ("records", "source_documents") for entry in manifest[kind]
                       if entry["path"] in withheld_paths)], key=lambda item: item["index"])
    public = {key: value for key, value in {**manifest, "edition": "public", **kept, "withheld": withheld}.items()
              if key != "protected"}
    if "earlier" in manifest:
        public["earlier"] = shown
    return public


_SHA256 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(RECORD_ID_PATTERN.strip("^$"))


_SALT = re.compile(r"(?:[0-9a-f]{2}){16,64}")


def _entry_problem(entry: Any, kind: str, version: int) -> str | None:
    fields: tuple[str, ...] = ("path", "id", "type", "sha256") if kind == "records" else ("path", "sha256")
    fields += ("salt",) if version > 1 else ()
    placed = {"index"} if version > 1 else set()
    if not isinstance(entry, dict) or set(entry) != {"kind", *fields, *placed} or not all(
            isinstance(entry[name], str) for name in fields):
        return f"an entry of its {kind} is not a mapping of {', '.join(fields)}"
    if not _SHA256.fullmatch(entry["sha256"]):
        return f"an entry of its {kind} has no SHA-256"
    if version > 1 and not _SALT.fullmatch(entry["salt"]):
        return f"an entry of its {kind} has no salt of at least 128 bits"
    folder, _, name = entry["path"].partition("/")
    if kind == "records":
        if entry["kind"] != "record" or type_of_folder(folder) != entry["type"] or not _ID.fullmatch(entry["id"]) \
                or name != f"{entry['id']}.yaml":
            return f"the entry {entry['path']!r} is not a record's path, id and type"
    elif entry["kind"] != "source-document" or folder != "sources" or name in ("", ".", "..") or "/" in name \
            or "\\" in name or not name.isprintable():
        return "an entry of its source documents is not a plain file name in sources/"
    return None


def manifest_shape_problem(manifest: Any) -> str | None:
    """What keeps a manifest from being one appeal-archive wrote, or None."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("root"), str) \
            or not _SHA256.fullmatch(manifest["root"]):
        return "it has no root"
    version = manifest.get("manifest_version")
    if version not in (1, MANIFEST_VERSION) or isinstance(version, bool):
        return f"its manifest_version is {version!r}, which this version of appeal-archive does not know"
    for kind in ("records", "source_documents"):
        entries = manifest.get(kind)
        if not isinstance(entries, list):
            return f"its {kind} are not a list"
        problem = next((problem for entry in entries if (problem := _entry_problem(entry, kind, version))), None)
        if problem:
            return problem
    if version == 1:
        return None
    from appeal_archive.ledger.lineage import earlier_problem, history_problem

    return earlier_problem(manifest) or _tree_problem(manifest) or history_problem(manifest)


def _tree_problem(manifest: dict[str, Any]) -> str | None:
    """Every place in the tree filled exactly once, by an entry or a withheld leaf."""
    withheld, size = manifest.get("withheld"), manifest.get("tree_size")
    if manifest.get("edition") not in ("full", "public"):
        return "its edition is neither full nor public"
    if not isinstance(withheld, list) or not all(
            isinstance(item, dict) and set(item) in ({"index", "leaf"}, {"index", "leaf", "status", "marked_in"})
            and isinstance(item["leaf"], str) and _SHA256.fullmatch(item["leaf"])
            and item.get("status", "superseded") in STATUSES
            and isinstance(item.get("marked_in", 0), int) and not isinstance(item.get("marked_in"), bool)
            for item in withheld):
        return "its withheld leaves are not a list of index and leaf (and status and marked_in, for an earlier leaf)"
    if not isinstance(size, int) or isinstance(size, bool):
        return "its tree_size is not a number"
    places = [item["index"] for kind in ("records", "source_documents") for item in manifest[kind]]
    places += [item["index"] for item in [*withheld, *manifest.get("earlier", ())]]
    if any(not isinstance(place, int) or isinstance(place, bool) for place in places) \
            or sorted(places) != list(range(size)):
        return f"its entries and withheld leaves do not fill the {size} places of its tree once each"
    return None
