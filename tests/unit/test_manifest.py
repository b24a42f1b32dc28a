"""manifest and canonical: the real records' manifest is pinned, and the README recipe recomputes its root."""

from __future__ import annotations

import json
from pathlib import Path

from appeal_archive.canonical import canonical_json, digest, root_hash
from appeal_archive.manifest import make_manifest, manifest_root
from appeal_archive.validate import load_record_set
from conftest import REAL_RECORDS, REPO

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "manifest.json"


def test_real_records_manifest_matches_golden():
    report, record_set = load_record_set(REAL_RECORDS)
    assert report.ok
    assert make_manifest(record_set) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def readme_recipe() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the root hash is made", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_recipe_recomputes_the_root_without_our_code(monkeypatch, capsys):
    """The README's ten lines, run as written (PyYAML, hashlib and rfc8785 only), print the golden root."""
    recipe = readme_recipe()
    assert "appeal_archive" not in recipe and len(recipe.strip().splitlines()) <= 12
    monkeypatch.chdir(REPO)
    exec(compile(recipe, "README.md", "exec"), {})
    golden_root = json.loads(GOLDEN.read_text(encoding="utf-8"))["root"]
    assert capsys.readouterr().out.strip() == golden_root
    assert golden_root in (REPO / "README.md").read_text(encoding="utf-8")


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


def test_readme_recipe_agrees_on_another_record_set(tmp_path, monkeypatch, capsys):
    from casefiles import materialize
    from conftest import CASES

    materialize(CASES / "valid" / "added-signatory", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_recipe(), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == make_manifest(load_record_set("records")[1])["root"]
