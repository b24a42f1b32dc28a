"""`appeal-archive manifest` prints the library's manifest; invalid records give exit 1 and no manifest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appeal_archive.cli import main
from appeal_archive.manifest import make_manifest
from appeal_archive.validate import load_record_set


def test_manifest_equals_library(records: Path):
    result = CliRunner().invoke(main, ["manifest", "records"])
    assert result.exit_code == 0
    assert json.loads(result.output) == make_manifest(load_record_set("records")[1])


def test_invalid_records_give_no_manifest(records: Path):
    (records / "persons" / "volha-paulava.yaml").write_text("id: volha-paulava\n")
    result = CliRunner().invoke(main, ["manifest", "records"])
    assert result.exit_code == 1
    assert "schema.required" in result.output
    assert '"root"' not in result.output
