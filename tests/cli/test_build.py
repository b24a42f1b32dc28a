"""`appeal-archive build`: a signed PDF that poppler and our verify accept; atomic; secrets stay out."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EPOCH, need_tool
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pki import PASSPHRASE

from appeal_archive.cli.main import main
from appeal_archive.verify import verify_archive

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


PDF = "AA-2023-05-21-belarusians-to-eu.pdf"


def build(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["build", *args], env=env, catch_exceptions=False)


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_round_trip_through_the_cli_then_library_and_pdfsig(records: Path, pki, isolated_identity):
    result = build("records", "--key", str(pki.signer_key), "--cert", str(pki.signer_cert))
    assert result.exit_code == 0, result.output
    pdf = Path("build") / PDF
    report = verify_archive(pdf, trust_roots=[pki.root_cert])
    assert report.ok and report.trusted, report.issues
    assert report.signer.chain == ("Test Archivist (appeal-archive test PKI)",
                                   "Test Intermediate CA (appeal-archive test PKI)",
                                   "Test Root CA (appeal-archive test PKI)")
    assert report.signer.anchor == "Test Root CA (appeal-archive test PKI)"
    assert CliRunner().invoke(main, ["verify", str(pdf), "--trust-root", str(pki.root_cert)]).exit_code == 0
    output = subprocess.run([need_tool("pdfsig"), str(pdf)], capture_output=True, text=True).stdout
    assert "Signature Validation: Signature is Valid." in output
    assert "Total document signed" in output
    # poppler has its own trust store; the test root is not in it, and pdfsig says so.
    assert "Certificate Validation: Certificate issuer isn't Trusted." in output


def test_pkcs12_with_passphrase_from_the_environment(records: Path, pki, isolated_identity):
    result = build("records", "--pkcs12", str(pki.signer_p12), env={"APPEAL_ARCHIVE_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert verify_archive(Path("build") / PDF, trust_roots=[pki.root_cert]).ok


def test_the_custodian_identity_is_created_once_outside_the_project_and_trusted_once_exported(
        records: Path, isolated_identity, tmp_path: Path):
    first = CliRunner().invoke(main, ["build", "records"])
    assert first.exit_code == 0, first.output
    assert "created a custodian CA and a signing certificate" in first.output
    assert "identity --create --name" in first.output  # the placeholder name, and how to choose another
    signer_ends = x509.load_pem_x509_certificate((isolated_identity / "signer" / "cert.pem").read_bytes())\
        .not_valid_after_utc
    assert f"PAdES B-B: it can be verified only while the signing certificate is valid (until {signer_ends:%Y-%m-%d})" \
        in " ".join(first.output.split()) and "--tsa" in first.output
    assert (isolated_identity / "signer" / "key.pem").stat().st_mode & 0o777 == 0o600
    second = CliRunner().invoke(main, ["build", "records"])
    assert "created" not in second.output and "PAdES B-B" in second.output
    report = verify_archive(Path("build") / PDF)
    assert report.ok and not report.signer.self_signed and not report.signer.trusted
    assert [issue.code for issue in report.issues] == ["sig.trust-not-checked"]
    ca = tmp_path / "custodian-ca.pem"
    assert CliRunner().invoke(main, ["identity", "--export-ca", str(ca)]).exit_code == 0
    trusted = verify_archive(Path("build") / PDF, trust_roots=[ca])
    assert trusted.ok and trusted.issues == [] and trusted.signer.anchor.endswith("custodian CA")
    from appeal_archive.verify.pdf import cover_text, stated_root

    data = (Path("build") / PDF).read_bytes()
    cover = " ".join(cover_text(data).split())
    ca_fingerprint = x509.load_pem_x509_certificate(ca.read_bytes()).fingerprint(hashes.SHA256()).hex()
    assert "appeal-archive local custodian CA as its issuer" in cover
    assert f"Compare the issuer's (the custodian CA's) SHA-256 fingerprint {ca_fingerprint}" in cover
    assert stated_root(data) == report.root
    assert verify_archive(Path("build") / PDF, records_dir="records", rebuild=True, trust_roots=[ca]).ok


def test_no_secret_reaches_the_build_folder(records: Path, pki, isolated_identity):
    assert build("records", "--key", str(pki.signer_key), "--cert", str(pki.signer_cert)).exit_code == 0
    key_der = pki.signer_key.read_bytes()
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_der, None)
    secret = key.private_numbers().d.to_bytes(256, "big")
    for path in Path("build").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert b"PRIVATE KEY" not in content
            assert secret not in content and key_der not in content


def test_invalid_records_write_nothing_and_keep_the_previous_build(records: Path, custodian_identity):
    assert build("records").exit_code == 0
    before = tree(Path("build"))
    (records / "rallies" / "london-2023-05-21.yaml").write_text("id: london-2023-05-21\n")
    result = build("records")
    assert result.exit_code == 1
    assert "schema.required" in result.output and "nothing written" in result.output
    assert tree(Path("build")) == before
    assert not [path for path in Path(".").iterdir() if "staging" in path.name]


def unchecked_signer(folder: Path, pki) -> list[str]:
    from pki import signer_without_revocation_sources

    key, chain, ca = signer_without_revocation_sources(folder / "unchecked")
    return ["--key", str(key), "--cert", str(chain), "--trust-root", str(ca), "--tsa", pki.tsa_url, "--level", "B-LT"]


@pytest.mark.parametrize("case", ["missing-key", "garbage-key", "wrong-passphrase", "expired", "unreachable-tsa",
                                  "unreachable-second-tsa", "no-revocation-data"])
def test_unusable_signing_material_is_exit_3_and_writes_nothing(case: str, records: Path, pki, isolated_identity,
                                                                tmp_path: Path, unsigned_build_dir: Path):
    shutil.copytree(unsigned_build_dir, "build")
    before = tree(Path("build"))
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    args = {
        "missing-key": ["--key", str(tmp_path / "nowhere.key"), "--cert", str(pki.signer_cert)],
        "garbage-key": ["--key", str(garbage), "--cert", str(pki.signer_cert)],
        "wrong-passphrase": ["--pkcs12", str(pki.signer_p12)],
        "expired": ["--key", str(pki.expired_key), "--cert", str(pki.expired_cert)],
        "unreachable-tsa": ["--key", str(pki.signer_key), "--cert", str(pki.signer_cert), "--tsa", "http://127.0.0.1:9/"],
        "unreachable-second-tsa": ["--key", str(pki.signer_key), "--cert", str(pki.signer_cert), "--trust-root",
                                   str(pki.root_cert), "--tsa", pki.tsa_url, "--tsa", "http://127.0.0.1:9/"],
        "no-revocation-data": lambda: unchecked_signer(tmp_path, pki),
    }[case]
    args = args() if callable(args) else args
    result = CliRunner().invoke(main, ["build", "records", *args], env={"APPEAL_ARCHIVE_PASSPHRASE": "wrong"})
    assert result.exit_code == 3, result.output
    code = {"missing-key": "sign.key-unreadable", "garbage-key": "sign.key-invalid",
            "wrong-passphrase": "sign.passphrase", "expired": "sign.certificate-expired", "unreachable-tsa": "sign.tsa",
            "unreachable-second-tsa": "sign.tsa", "no-revocation-data": "sign.revocation-missing"}[case]
    assert f"error[{code}]" in result.output
    assert "Traceback" not in result.output
    assert tree(Path("build")) == before


def test_unsigned_builds_are_byte_identical_in_any_time_zone(records: Path, tmp_path: Path, unsigned_build_dir: Path):
    """The session's unsigned build, made in this process's time zone, and one made in Auckland's."""
    env = {**os.environ, "TZ": "Pacific/Auckland", "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "appeal_archive", "build", "records", "--unsigned", "--out",
                    str(tmp_path / "auckland")], check=True, env=env, capture_output=True)
    assert tree(tmp_path / "auckland") == tree(unsigned_build_dir)


def test_out_folder_with_other_files_is_refused(records: Path, isolated_identity):
    Path("elsewhere").mkdir()
    (Path("elsewhere") / "thesis.docx").write_text("precious")
    result = build("records", "--out", "elsewhere")
    assert result.exit_code == 3
    assert "build.out-not-empty" in result.output
    assert (Path("elsewhere") / "thesis.docx").read_text() == "precious"


def test_out_folder_with_a_pdf_a_build_did_not_make_is_refused(records: Path, isolated_identity):
    Path("docs").mkdir()
    (Path("docs") / "thesis.pdf").write_text("precious")
    result = build("records", "--out", "docs", "--unsigned")
    assert result.exit_code == 3 and "thesis.pdf" in result.output
    assert (Path("docs") / "thesis.pdf").read_text() == "precious"
