"""Shared fixtures: the real records, copied so that a test may break them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_RECORDS = REPO / "records"
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the real records at ./records, with the working directory set to its parent."""
    target = tmp_path / "records"
    shutil.copytree(REAL_RECORDS, target)
    monkeypatch.chdir(tmp_path)
    return target
