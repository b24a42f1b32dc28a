"""The default identity: a custodian CA and the signing certificate it issues, checked with openssl."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import need_tool
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appeal_archive.cli.main import main
from appeal_archive.errors import AppealArchiveError
from appeal_archive.signing import custodian
from appeal_archive.signing.keys import SignerConfig, load_key_material, utc_now


def openssl(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([need_tool("openssl"), *args], capture_output=True, text=True, **kwargs)


def test_the_custodian_ca_issues_a_document_signing_certificate_that_openssl_accepts(tmp_path: Path):
    folder = tmp_path / "identity"
    notices = custodian.ensure_identity(folder, utc_now())
    assert "created a custodian CA" in notices[0] and "--export-ca" in notices[0]
    for key in (custodian.CA_KEY, custodian.SIGNER_KEY):
        assert (folder / key).stat().st_mode & 0o777 == 0o600, key
    assert (folder / "ca").stat().st_mode & 0o077 == 0 and (folder / "signer").stat().st_mode & 0o077 == 0
    ca = x509.load_pem_x509_certificate((folder / custodian.CA_CERT).read_bytes())
    signer, chained_ca = x509.load_pem_x509_certificates((folder / custodian.SIGNER_CERT).read_bytes())
    assert chained_ca == ca  # the chain travels with the signature
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign and not ca_usage.digital_signature
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert list(signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        custodian.DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert signer.issuer == ca.subject != signer.subject
    # The two keys are different keys, in different folders.
    assert (folder / custodian.CA_KEY).read_bytes() != (folder / custodian.SIGNER_KEY).read_bytes()
    checked = openssl("verify", "-purpose", "smimesign", "-CAfile", str(folder / custodian.CA_CERT),
                      str(folder / custodian.SIGNER_CERT))
    assert checked.returncode == 0 and ": OK" in checked.stdout, checked.stderr


def test_each_signing_gets_a_fresh_crl_from_the_ca(tmp_path: Path):
    folder = tmp_path / "identity"
    now = utc_now()
    material, notices = load_key_material(SignerConfig(identity_dir=folder), now)
    later, _ = load_key_material(SignerConfig(identity_dir=folder), now + timedelta(seconds=5))
    assert "signing with the custodian identity" in notices[-1]
    (crl,), (later_crl,) = material.crls, later.crls
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert later_crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > number
    assert crl.last_update_utc == now and list(crl) == []
    assert crl.is_signature_valid(material.chain[0].public_key())
    (tmp_path / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    checked = openssl("crl", "-in", str(tmp_path / "crl.pem"), "-CAfile", str(folder / custodian.CA_CERT),
                      "-noout", "-verify")
    assert checked.returncode == 0 and "verify OK" in checked.stderr + checked.stdout


def test_a_signing_certificate_near_its_end_is_replaced_and_the_old_one_kept(tmp_path: Path):
    folder = tmp_path / "identity"
    now = utc_now()
    custodian.ensure_identity(folder, now)
    first = (folder / custodian.SIGNER_CERT).read_bytes()
    assert custodian.ensure_identity(folder, now + timedelta(days=365)) == []
    years_on = now + timedelta(days=365 * custodian.SIGNER_YEARS - 10)
    notices = custodian.ensure_identity(folder, years_on)
    assert "issued a new signing certificate" in notices[0]
    renewed = x509.load_pem_x509_certificates((folder / custodian.SIGNER_CERT).read_bytes())[0]
    assert renewed.not_valid_before_utc > now + timedelta(days=365)
    retired = list(folder.glob("signer.retired-*"))
    assert len(retired) == 1 and (retired[0] / "cert.pem").read_bytes() == first


def test_a_half_made_custodian_identity_is_explained_and_left_alone(tmp_path: Path):
    folder = tmp_path / "identity"
    custodian.ensure_identity(folder, utc_now())
    (folder / custodian.CA_CERT).unlink()
    before = sorted(path.name for path in folder.rglob("*"))
    with pytest.raises(AppealArchiveError) as caught:
        load_key_material(SignerConfig(identity_dir=folder), utc_now())
    assert caught.value.issues[0].code == "sign.identity-incomplete"
    assert "ca/cert.pem" in caught.value.issues[0].message
    assert sorted(path.name for path in folder.rglob("*")) == before


def make_self_signed_identity(folder: Path) -> x509.Certificate:
    """The identity earlier versions made: an RSA key and a self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appeal-archive local signer")])
    now = utc_now()
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    folder.mkdir(parents=True)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate


def test_an_earlier_self_signed_identity_keeps_working_and_is_reported_as_such(tmp_path: Path):
    folder = tmp_path / "identity"
    certificate = make_self_signed_identity(folder)
    material, notices = load_key_material(SignerConfig(identity_dir=folder), utc_now())
    assert material.certificate == certificate and material.crls == ()
    assert "self-signed identity" in notices[0] and "cannot make it a trust anchor" in notices[0]
    assert sorted(path.name for path in folder.iterdir()) == ["cert.pem", "key.pem"]  # nothing added


def test_identity_command_shows_creates_and_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "identity"
    monkeypatch.setenv(custodian.IDENTITY_ENV, str(folder))
    runner = CliRunner()
    none_yet = runner.invoke(main, ["identity"])
    assert none_yet.exit_code == 0 and "no signing identity yet" in none_yet.output and not folder.exists()
    exported = tmp_path / "custodian-ca.pem"
    refused = runner.invoke(main, ["identity", "--export-ca", str(exported)])
    assert refused.exit_code == 3 and "identity --create" in refused.output and not exported.exists()
    created = runner.invoke(main, ["identity", "--create", "--export-ca", str(exported)])
    assert created.exit_code == 0, created.output
    assert exported.read_bytes() == (folder / custodian.CA_CERT).read_bytes()
    assert "custodian CA" in created.output and "documentSigning, emailProtection" in created.output
    shown = json.loads(runner.invoke(main, ["identity", "--format", "json"]).output)
    ca = x509.load_pem_x509_certificate(exported.read_bytes())
    assert shown["kind"] == "custodian" and shown["ca"]["sha256"] == ca.fingerprint(hashes.SHA256()).hex()
    assert shown["signer"]["issuer"] == ca.subject.rfc4514_string()


def test_a_self_signed_identity_has_no_ca_to_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "identity"
    make_self_signed_identity(folder)
    monkeypatch.setenv(custodian.IDENTITY_ENV, str(folder))
    result = CliRunner().invoke(main, ["identity", "--export-ca", str(tmp_path / "ca.pem")])
    assert result.exit_code == 3 and "self-signed" in result.output
    assert not (tmp_path / "ca.pem").exists()


def test_the_custodian_chooses_the_name_once_and_the_ca_certificate_is_readable_by_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "identity"
    monkeypatch.setenv(custodian.IDENTITY_ENV, str(folder))
    monkeypatch.delenv(custodian.SIGNER_NAME_ENV, raising=False)
    runner = CliRunner()
    alone = runner.invoke(main, ["identity", "--name", "Museum of Free Belarus"])
    assert alone.exit_code == 2 and "--create" in alone.output and not folder.exists()
    exported = tmp_path / "custodian-ca.pem"
    created = runner.invoke(main, ["identity", "--create", "--name", "Museum of Free Belarus", "--export-ca",
                                   str(exported)])
    assert created.exit_code == 0, created.output
    ca = x509.load_pem_x509_certificate(exported.read_bytes())
    signer = x509.load_pem_x509_certificate((folder / custodian.SIGNER_CERT).read_bytes())
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Museum of Free Belarus CA"
    assert signer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Museum of Free Belarus"
    assert exported.stat().st_mode & 0o777 == 0o644 and (folder / custodian.CA_CERT).stat().st_mode & 0o777 == 0o644
    assert (folder / custodian.CA_KEY).stat().st_mode & 0o777 == 0o600
    assert f"recipients compare the custodian CA's fingerprint, {ca.fingerprint(hashes.SHA256()).hex()}" \
        in created.output
    again = runner.invoke(main, ["identity", "--create", "--name", "Museum of Free Belarus"])
    assert again.exit_code == 0, again.output
    renamed = runner.invoke(main, ["identity", "--create", "--name", "Someone else", "--format", "json"])
    assert renamed.exit_code == 3 and json.loads(renamed.output)["issues"][0]["code"] == "identity.exists"
    assert x509.load_pem_x509_certificate((folder / custodian.CA_CERT).read_bytes()) == ca


def test_an_identity_made_without_a_name_says_how_to_choose_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(custodian.SIGNER_NAME_ENV, raising=False)
    notices = custodian.ensure_identity(tmp_path / "identity", utc_now())
    assert "identity --create --name" in notices[0] and custodian.DEFAULT_NAME in notices[0]
    named = custodian.ensure_identity(tmp_path / "named", utc_now(), "Museum of Free Belarus")
    assert "--name" not in named[0]
