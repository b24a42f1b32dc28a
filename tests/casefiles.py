"""Turning a case folder (tests/cases/{valid,invalid}/<name>/) into a records folder to validate.

A case is an overlay on the real records: `records/` holds files to add or replace, and `case.json` may
list files to remove, symlinks to create and large files to generate (never committed).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import REAL_RECORDS


def materialize(case: Path, target: Path) -> Path:
    shutil.copytree(REAL_RECORDS, target)
    shutil.copytree(case / "records", target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".keep"))
    meta = json.loads((case / "case.json").read_text(encoding="utf-8"))
    for relative in meta.get("remove", []):
        (target / relative).unlink()
    for relative, link_target in meta.get("symlinks", []):
        os.symlink(link_target, target / relative)
    for spec in meta.get("generate", []):
        line = spec["line"].encode()
        with open(target / spec["path"], "wb") as handle:
            handle.write(line * (spec["bytes"] // len(line) + 1))
    return target


def expected_issues(case: Path) -> list[dict]:
    path = case / "expected_issues.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def issue_rows(issues) -> list[dict]:
    """The fields a case pins down: what, where. Messages and hints are free to improve."""
    return [{"severity": issue.severity, "code": issue.code, "file": issue.file, "line": issue.line,
             "column": issue.column, "pointer": issue.pointer} for issue in issues]
