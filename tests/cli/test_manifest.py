"""`appeal-archive manifest`: text lists each record's SHA-256 and the root; JSON is the library's report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appeal_archive.build.manifest_report import manifest_report
from appeal_archive.cli.main import main
from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.records.validate import load_record_set


def test_manifest_json_equals_library(records: Path):
    result = CliRunner().invoke(main, ["manifest", "--format", "json", "records"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report == manifest_report("records").to_dict()
    assert report["manifest"] == make_manifest(load_record_set("records")[1])


def test_manifest_text_lists_every_hash_and_the_root(records: Path):
    manifest = make_manifest(load_record_set("records")[1])
    lines = CliRunner().invoke(main, ["manifest", "records"]).output.splitlines()
    assert lines[:-1] == [f"{entry['sha256']}  {entry['path']}"
                          for entry in manifest["records"] + manifest["source_documents"]]
    assert lines[-1].startswith(f"root {manifest['root']} ")


def test_warnings_are_listed_with_the_manifest(records: Path):
    (records / "sources" / "notes.txt").write_text("an unreferenced document\n")
    result = CliRunner().invoke(main, ["manifest", "--format", "json", "records"])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["manifest"] is not None
    assert [issue["code"] for issue in report["issues"]] == ["salt.missing", "source.unreferenced"]
    assert "warning[source.unreferenced]" in CliRunner().invoke(main, ["manifest", "records"]).output


def test_invalid_records_give_no_manifest(records: Path):
    (records / "persons" / "volha-paulava.yaml").write_text("id: volha-paulava\n")
    result = CliRunner().invoke(main, ["manifest", "records"])
    assert result.exit_code == 1
    assert "schema.required" in result.output
    assert "root" not in result.output.split("\n")[-2]
    report = json.loads(CliRunner().invoke(main, ["manifest", "--format", "json", "records"]).output)
    assert report["ok"] is False and report["manifest"] is None
