"""manifest and canonical: the real records' manifest is pinned, and the README recipe recomputes its root."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import rfc8785
import yaml

from appeal_archive.canonical import canonical_json, digest, root_hash
from appeal_archive.manifest import make_manifest, manifest_root
from appeal_archive.validate import load_record_set
from conftest import REAL_RECORDS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "manifest.json"


def test_real_records_manifest_matches_golden():
    report, record_set = load_record_set(REAL_RECORDS)
    assert report.ok
    assert make_manifest(record_set) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_readme_recipe_recomputes_the_root_without_our_code():
    """The construction documented in the README, written with PyYAML, hashlib and rfc8785 only."""
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    entries = []
    for path in sorted(REAL_RECORDS.rglob("*.yaml")):
        relative = path.relative_to(REAL_RECORDS).as_posix()
        if relative == "archive.yaml":
            continue
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries.append({"kind": "record", "path": relative, "id": record["id"], "type": record["type"],
                        "sha256": sha(rfc8785.dumps(record))})
    for path in sorted((REAL_RECORDS / "sources").glob("*.txt")):
        entries.append({"kind": "source-document", "path": path.relative_to(REAL_RECORDS).as_posix(),
                        "sha256": sha(path.read_bytes())})
    leaves = sorted(sha(rfc8785.dumps(entry)) for entry in entries)
    root = sha(rfc8785.dumps({"manifest_version": 1, "leaves": leaves}))
    assert root == json.loads(GOLDEN.read_text(encoding="utf-8"))["root"]


def test_manifest_root_recomputes_from_entries():
    manifest = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert manifest_root(manifest) == manifest["root"]
    manifest["records"][0]["sha256"] = "0" * 64
    assert manifest_root(manifest) != manifest["root"]


def test_root_does_not_depend_on_leaf_order():
    leaves = [digest({"n": number}) for number in range(5)]
    assert root_hash(leaves) == root_hash(list(reversed(leaves)))


def test_canonical_json_is_rfc8785():
    assert canonical_json({"b": 1, "a": [True, None, "ł"]}) == '{"a":[true,null,"ł"],"b":1}'.encode()
