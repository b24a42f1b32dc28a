"""The attack corpus in tests/cases/verify/ on the B-LTA build of the real records with a synthetic appeal
beside them, above 2,000 records, where the PDF carries the records in ZIPs (verify_corpus.py): every check
runs at every size."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify_corpus import cases_on, check_attack

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


@pytest.mark.parametrize(**cases_on({"B-LTA-large"}))
def test_verify_names_the_cause_of_each_attack_above_2000_records(case: Path, build: str,
                                                                  request: pytest.FixtureRequest, pki, tmp_path: Path):
    check_attack(case, build, request, pki, tmp_path)
