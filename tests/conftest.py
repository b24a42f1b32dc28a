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


EPOCH = "1684627200"  # 2023-05-21T00:00:00Z, a fixed build date for reproducible builds


def need_tool(name: str) -> str:
    """The path of a command-line tool the test needs; in CI a missing tool fails the test, elsewhere skips it."""
    import os

    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI (apt-get install poppler-utils qpdf)")
    pytest.skip(f"{name} is not installed (apt-get install poppler-utils qpdf); CI runs this test")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory):
    from pki import make_pki

    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def isolated_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private folder for the self-signed identity, so tests never touch the user's own."""
    folder = tmp_path / "identity"
    monkeypatch.setenv("APPEAL_ARCHIVE_IDENTITY_DIR", str(folder))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return folder


@pytest.fixture(scope="session")
def signed_build(tmp_path_factory: pytest.TempPathFactory, pki):
    """One signed build of the real records with the test PKI (shared: tests copy before they tamper)."""
    import os

    from appeal_archive.build import build_archive
    from appeal_archive.sign import SignerConfig

    out = tmp_path_factory.mktemp("signed") / "build"
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        result = build_archive(REAL_RECORDS, out, signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert))
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH")
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    assert result.ok
    return out / "AA-2023-05-21-belarusians-to-eu.pdf"
