"""Shared fixtures: the real records (copied so that a test may break them), a test PKI, and one signed
build per session (copied before a test tampers with it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["run_layout"]  # how the run itself is laid out: tests/run_layout.py

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


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own validation cache folder: the commands cache by default, and no test may read another's
    cache or the user's."""
    folder = tmp_path / "validation-cache"
    monkeypatch.setenv("APPEAL_ARCHIVE_CACHE_DIR", str(folder))
    return folder


EPOCH = "1684627200"  # 2023-05-21T00:00:00Z, a fixed build date for reproducible builds


def need_tool(name: str) -> str:
    """The path of a command-line tool the test needs; in CI a missing tool fails the test, elsewhere skips it."""
    import os

    path = shutil.which(name)
    if path:
        return path
    package = {"certutil": "libnss3-tools", "qpdf": "qpdf", "openssl": "openssl"}.get(name, "poppler-utils")
    if name == "pyhanko":  # pyhanko-cli, a test dependency, installs it into the virtual environment
        import sys

        candidate = Path(sys.executable).parent / "pyhanko"
        if candidate.exists():
            return str(candidate)
        package = "pyhanko-cli (pip)"
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI ({package})")
    pytest.skip(f"{name} is not installed ({package}); CI runs this test")


def vectors(name: str) -> Path:
    """../shared/vectors/<name>, the reference data tests read in place (never copied into the project). A clone
    made elsewhere (`git clone . /tmp/x/fresh`) finds it beside the repository it was cloned from;
    APPEAL_ARCHIVE_VECTORS names the vectors folder outright. A path that does not exist when none is found."""
    import os
    import subprocess

    places = [os.environ.get("APPEAL_ARCHIVE_VECTORS"), REPO.parent / "shared" / "vectors"]
    try:
        origin = subprocess.run(["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin and Path(origin).is_dir():  # a clone of a local repository
        places.append(Path(origin).resolve().parent / "shared" / "vectors")
    found = next((Path(place) / name for place in places if place and (Path(place) / name).is_dir()), None)
    return found or REPO.parent / "shared" / "vectors" / name


def need_vectors(name: str) -> Path:
    """The vectors folder a test needs; in CI a missing one fails the test, elsewhere skips it."""
    import os

    folder = vectors(name)
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{folder} is missing: give APPEAL_ARCHIVE_VECTORS, or clone beside ../shared/vectors")
        pytest.skip(f"{folder} is not beside the project (APPEAL_ARCHIVE_VECTORS names it)")
    return folder


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory):
    """The test PKI, its OCSP responder, CRLs and two time-stamp authorities served on 127.0.0.1 for the
    session."""
    from pki import serve_pki

    with serve_pki(tmp_path_factory.mktemp("pki")) as served:
        yield served


@pytest.fixture
def isolated_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty folder for the custodian identity, so tests never touch the user's own: the first
    build makes the identity there (two RSA-3072 keys: 0.5 s)."""
    folder = tmp_path / "identity"
    monkeypatch.setenv("APPEAL_ARCHIVE_IDENTITY_DIR", str(folder))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return folder


def made_identity(folder: Path) -> Path:
    """A custodian identity made in `folder`, as the first build makes it."""
    from appeal_archive.signing.custodian import ensure_identity
    from appeal_archive.signing.keys import utc_now

    ensure_identity(folder, utc_now())
    return folder


@pytest.fixture(scope="session")
def identity_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One custodian identity per session, for tests that sign but do not test how an identity is made."""
    return made_identity(tmp_path_factory.mktemp("identity") / "identity")


@pytest.fixture
def custodian_identity(isolated_identity: Path, identity_template: Path) -> Path:
    """`isolated_identity` holding a copy of the session's custodian identity."""
    shutil.copytree(identity_template, isolated_identity)
    return isolated_identity


NAME = "AA-2023-05-21-belarusians-to-eu"


def dossier_of(records: Path = REAL_RECORDS):
    """The validated dossier of a records folder, as a build of the full edition makes it."""
    from appeal_archive.ledger.editions import edition_of
    from appeal_archive.ledger.manifest import make_manifest
    from appeal_archive.records.validate import load_record_set
    from appeal_archive.views.dossier import Dossier

    report, record_set = load_record_set(records)
    assert report.ok, report.errors
    return Dossier.from_record_set(record_set, edition_of(record_set, make_manifest(record_set), "full")[1])


@pytest.fixture(scope="session")
def signed_build_dir(tmp_path_factory: pytest.TempPathFactory, pki) -> Path:
    """One build of the real records signed at PAdES B-LTA by the test PKI (its two time-stamp authorities),
    with its bag. Shared by the whole session: a test that tampers with it works on a copy (`build_copy`)."""
    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.keys import SignerConfig

    out = tmp_path_factory.mktemp("signed") / "build"
    result = build_archive(REAL_RECORDS, out, bag=True, environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert, tsa_urls=pki.tsa_urls,
                                                      trust_roots=(pki.root_cert,)))
    assert result.ok
    return out


@pytest.fixture(scope="session")
def basic_build_dir(tmp_path_factory: pytest.TempPathFactory, pki) -> Path:
    """One build of the real records signed at PAdES B-B (no time stamp, nothing after the signature), as
    `make build` signs by default, by the test PKI's signer."""
    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.keys import SignerConfig

    out = tmp_path_factory.mktemp("basic") / "build"
    result = build_archive(REAL_RECORDS, out, environ={"SOURCE_DATE_EPOCH": EPOCH}, signer_config=SignerConfig(
        key=pki.signer_key, cert=pki.signer_cert, level="B-B", trust_roots=(pki.root_cert,)))
    assert result.ok and result.level == "PAdES B-B"
    return out


LARGE_SIGNATORIES = 1000  # with the real records: more than layout.ZIP_THRESHOLD records, so they travel in ZIPs


def large_records(target: Path) -> Path:
    """The real records and a synthetic appeal of LARGE_SIGNATORIES signatories (bench/generate.py) beside
    them: a set above 2,000 records, in which every file the real records have is still where it was."""
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    import generate

    return generate.beside_real_records(REAL_RECORDS, LARGE_SIGNATORIES, target)


@pytest.fixture(scope="session")
def large_build_dir(tmp_path_factory: pytest.TempPathFactory, pki) -> Path:
    """`signed_build_dir` above 2,000 records: the same signer, time-stamp authorities, level and bag."""
    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.keys import SignerConfig

    folder = tmp_path_factory.mktemp("large")
    out = folder / "build"
    result = build_archive(large_records(folder / "records"), out, bag=True, environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert, tsa_urls=pki.tsa_urls,
                                                      trust_roots=(pki.root_cert,)))
    assert result.ok, result.issues[:3]
    return out


@pytest.fixture(scope="session")
def unsigned_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One unsigned build of the real records, as `build --unsigned` writes it: tests that need a previous build
    in place copy it."""
    from appeal_archive.build.archive import build_archive

    out = tmp_path_factory.mktemp("unsigned") / "build"
    assert build_archive(REAL_RECORDS, out, unsigned=True, environ={"SOURCE_DATE_EPOCH": EPOCH}).ok
    return out


@pytest.fixture(scope="session")
def signed_build(signed_build_dir: Path) -> Path:
    """The shared signed PDF (read only)."""
    return signed_build_dir / f"{NAME}.pdf"


@pytest.fixture
def build_copy(signed_build_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the shared signed build, for a test to tamper with."""
    target = tmp_path / "build"
    shutil.copytree(signed_build_dir, target)
    return target


@pytest.fixture(scope="session")
def browser():
    """Chromium for the session, in a thread of its own (browser.py); skipped where it is not installed (a
    failure under CI)."""
    from browser import Browser

    chrome = Browser()
    yield chrome
    chrome.close()


@pytest.fixture(scope="session")
def verifier_page(tmp_path_factory: pytest.TempPathFactory, pki) -> Path:
    """site/verify.html trusting the test PKI's root, as a public build signed by the PKI writes it."""
    from cryptography import x509

    from appeal_archive.views.verifier import verify_page

    page = tmp_path_factory.mktemp("verifier-page") / "verify.html"
    page.write_bytes(verify_page(x509.load_pem_x509_certificate(pki.root_cert.read_bytes())))
    return page
