"""manifest and canonical: the real records' manifest is pinned, and docs/ledger.md's recipe recomputes its root."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REAL_RECORDS, REPO

from appeal_archive.canonical import canonical_json, digest
from appeal_archive.ledger.leaves import root_hash, root_hash_v1
from appeal_archive.ledger.manifest import (
    construction,
    make_manifest,
    manifest_root,
    manifest_shape_problem,
    tree_leaves,
)
from appeal_archive.ledger.merkle import audit_path, tree_hash, verify_inclusion
from appeal_archive.records.validate import load_record_set

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "manifest.json"


def test_real_records_manifest_matches_golden():
    report, record_set = load_record_set(REAL_RECORDS)
    assert report.ok
    assert make_manifest(record_set) == json.loads(GOLDEN.read_text(encoding="utf-8"))


LEDGER_PAGE = REPO / "docs" / "ledger.md"


def ledger_recipe() -> str:
    """The recipe of docs/ledger.md, the page that says how the root hash is made."""
    return LEDGER_PAGE.read_text(encoding="utf-8").split("```python\n", 1)[1].split("```", 1)[0]


def test_ledger_recipe_recomputes_the_root_without_our_code(monkeypatch, capsys):
    """docs/ledger.md's twenty lines, run as written (PyYAML, hashlib and rfc8785 only), print the golden root,
    and their audit paths are the ones RFC 9162's verification accepts."""
    recipe = ledger_recipe()
    assert "appeal_archive" not in recipe and len(recipe.strip().splitlines()) <= 22
    monkeypatch.chdir(REPO)
    names: dict = {}
    exec(compile(recipe, "docs/ledger.md", "exec"), names)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert capsys.readouterr().out.strip() == golden["root"]
    assert golden["root"] in LEDGER_PAGE.read_text(encoding="utf-8")
    leaves, root = names["leaves"], bytes.fromhex(golden["root"])
    assert [leaf.hex() for leaf in leaves] == tree_leaves(golden)
    for index, leaf in enumerate(leaves):
        path = names["audit_path"](index, leaves)
        assert path == audit_path(index, leaves)
        assert verify_inclusion(index, len(leaves), leaf, path, root)


def test_manifest_root_recomputes_from_entries():
    manifest = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert manifest_root(manifest) == manifest["root"]
    manifest["records"][0]["sha256"] = "0" * 64
    assert manifest_root(manifest) != manifest["root"]


def test_root_is_the_merkle_tree_of_the_leaves_in_ledger_order():
    leaves = [digest({"n": number}) for number in range(5)]
    assert root_hash(leaves) == tree_hash([bytes.fromhex(leaf) for leaf in leaves]).hex()
    assert root_hash(leaves) != root_hash(list(reversed(leaves)))


def test_an_archive_made_before_salts_still_gives_its_root():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    unsalted = {kind: [{key: value for key, value in entry.items() if key not in ("salt", "index")}
                       for entry in golden[kind]] for kind in ("records", "source_documents")}
    old = {"manifest_version": 1, "archival_id": golden["archival_id"], **unsalted}
    old["root"] = root_hash_v1([digest(entry) for kind in unsalted for entry in unsalted[kind]])
    assert manifest_shape_problem(old) is None
    assert manifest_root(old) == old["root"] and "manifest_version 1" in construction(old)
    assert "RFC 9162" in construction(golden)


def test_a_manifest_whose_places_do_not_fill_its_tree_is_refused():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    golden["records"][0]["index"] = golden["records"][1]["index"]
    assert "places" in manifest_shape_problem(golden)


def test_canonical_json_is_rfc8785():
    assert canonical_json({"b": 1, "a": [True, None, "ł"]}) == '{"a":[true,null,"ł"],"b":1}'.encode()


def test_ledger_recipe_agrees_on_another_record_set(tmp_path, monkeypatch, capsys):
    from casefiles import materialize
    from conftest import CASES

    materialize(CASES / "valid" / "added-signatory", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    root = make_manifest(load_record_set("records")[1])["root"]  # which salts the new record
    exec(compile(ledger_recipe(), "docs/ledger.md", "exec"), {})
    assert capsys.readouterr().out.strip() == root
