"""The signed JSON-LD bundle and the BagIt package, checked with OpenSSL and the LoC bagit tool, and
with `appeal-archive verify`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EPOCH, need_tool

from appeal_archive.build.archive import build_archive
from appeal_archive.cli.main import main
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


NAME = "AA-2023-05-21-belarusians-to-eu"


@pytest.fixture
def build(build_copy: Path) -> Path:
    """A copy of the session's signed build (with its bag and time stamp), to tamper with."""
    return build_copy


def openssl_cms(bundle: Path, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([need_tool("openssl"), "cms", "-verify", "-binary", "-inform", "DER",
                           "-in", f"{bundle}.p7s", "-content", str(bundle), "-CAfile", str(root), "-out", os.devnull],
                          capture_output=True, text=True)


def bagit_validate(bag: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag)], capture_output=True, text=True)


def codes(path: Path, **options) -> set[str]:
    return {issue.code for issue in verify_archive(path, **options).issues if issue.is_error}


def test_openssl_accepts_the_bundle_signature_and_rejects_a_changed_byte(build: Path, pki, tmp_path: Path):
    bundle = build / f"{NAME}.jsonld"
    accepted = openssl_cms(bundle, pki.root_cert)
    assert accepted.returncode == 0, accepted.stderr
    assert "Verification successful" in accepted.stderr
    report = verify_archive(bundle, trust_roots=[pki.root_cert])
    assert report.ok and report.trusted, report.issues
    tampered = tmp_path / f"{NAME}.jsonld"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(data)
    shutil.copy(f"{bundle}.p7s", f"{tampered}.p7s")
    assert openssl_cms(tampered, pki.root_cert).returncode != 0
    result = CliRunner().invoke(main, ["verify", str(tampered)])
    assert result.exit_code == 1 and "sig.digest-mismatch" in result.output


@pytest.mark.parametrize("form", ["today", "indented", "respaced"])
def test_the_manifest_beside_a_bundle_in_either_form_a_build_wrote(build: Path, form: str):
    """Compact, one entry per line (today), or 2-space indented (builds before 2026-12): both are the form a
    build wrote and verify; the same manifest in any other form (three spaces) is not one a build wrote."""
    from appeal_archive.layout import manifest_bytes

    manifest = build / "manifest.json"
    data = json.loads(manifest.read_bytes())
    assert manifest.read_bytes() == manifest_bytes(data)
    indent = {"today": None, "indented": 2, "respaced": 3}[form]
    if indent:
        manifest.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    report = verify_archive(build / f"{NAME}.jsonld")
    assert ("bundle.manifest-mismatch" in {issue.code for issue in report.issues}) == (form == "respaced")


def test_a_bundle_without_its_signature_fails(build: Path, tmp_path: Path):
    lonely = tmp_path / f"{NAME}.jsonld"
    shutil.copy(build / f"{NAME}.jsonld", lonely)
    assert "sig.missing" in codes(lonely)


def test_a_changed_record_hash_inside_a_resigned_bundle_breaks_the_root(build: Path, pki, tmp_path: Path):
    """Even signed again by the key holder, a bundle whose hashes no longer give its root is rejected."""
    from appeal_archive.signing.keys import load_key_material, utc_now
    from appeal_archive.signing.sign import sign_bundle

    forged = tmp_path / f"{NAME}.jsonld"
    text = (build / f"{NAME}.jsonld").read_text(encoding="utf-8")
    digest = next(node["recordSha256"] for node in json.loads(text)["@graph"] if "recordSha256" in node)
    forged.write_text(text.replace(digest, "0" * 64, 1), encoding="utf-8")
    material, _ = load_key_material(SignerConfig(key=pki.signer_key, cert=pki.signer_cert), utc_now())
    Path(f"{forged}.p7s").write_bytes(sign_bundle(forged.read_bytes(), material))
    assert codes(forged) == {"bundle.root-mismatch"}


def test_bag_is_valid_for_bagit_and_verify(build: Path, pki):
    bag = build / f"{NAME}-bag"
    result = bagit_validate(bag)
    assert result.returncode == 0, result.stderr
    info = (bag / "bag-info.txt").read_text()
    for field in ("Source-Organization: appeal-archive project", f"External-Identifier: {NAME}",
                  "Bagging-Date: 2023-05-21", "Payload-Oxum: ", "Bag-Software-Agent: appeal-archive"):
        assert field in info
    names = {path.relative_to(bag / "data").as_posix() for path in (bag / "data").rglob("*") if path.is_file()}
    assert {f"{NAME}.pdf", f"{NAME}.jsonld", f"{NAME}.jsonld.p7s", "manifest.json", "records/archive.yaml",
            "records/sources/appeal-of-belarusians-to-the-eu.txt"} <= names
    report = verify_archive(bag, trust_roots=[pki.root_cert])
    assert report.ok, report.issues


@pytest.mark.parametrize("damage", ["changed", "missing", "added"])
def test_a_changed_missing_or_added_payload_file_is_rejected(build: Path, damage: str):
    bag = build / f"{NAME}-bag"
    target = bag / "data" / "records" / "persons" / "volha-paulava.yaml"
    if damage == "changed":
        target.write_text(target.read_text().replace("Volha", "Olga"))
    elif damage == "missing":
        target.unlink()
    else:
        (bag / "data" / "records" / "persons" / "someone-else.yaml").write_text("id: someone-else\n")
    assert bagit_validate(bag).returncode != 0
    found = codes(bag)
    assert found & {"bag.checksum-mismatch", "bag.file-missing", "bag.unexpected-file", "bag.invalid"}, found
    result = CliRunner().invoke(main, ["verify", str(bag)])
    assert result.exit_code == 1


def test_two_bags_from_the_same_records_are_identical(records: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    trees = []
    for folder in ("one", "two"):
        assert build_archive("records", tmp_path / folder, unsigned=True, bag=True).ok
        bag = tmp_path / folder / f"{NAME}-bag"
        trees.append({path.relative_to(bag).as_posix(): path.read_bytes() for path in sorted(bag.rglob("*"))
                      if path.is_file()})
    assert trees[0] == trees[1]
    # bagit walks the payload in sorted order; the tag manifests it lists in directory order are sorted.
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        lines = trees[0][name].decode().splitlines()
        assert lines == sorted(lines, key=lambda line: line.split(maxsplit=1)[1]), name


def test_the_bundle_signature_is_cades_t_and_openssl_accepts_its_time_stamp(signed_build_dir: Path, pki,
                                                                          tmp_path: Path):
    """CAdES baseline: the signer's certificate named among the signed attributes (signing-certificate-v2),
    and the time stamp, over the signature value, as an unsigned attribute of the signature (CAdES-T)."""
    from asn1crypto import cms

    bundle = signed_build_dir / f"{NAME}.jsonld"
    signer_info = cms.ContentInfo.load(Path(f"{bundle}.p7s").read_bytes())["content"]["signer_infos"][0]
    signed = {attribute["type"].native for attribute in signer_info["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_time", "signing_certificate_v2"} <= signed
    token, = (attribute["values"][0] for attribute in signer_info["unsigned_attrs"]
              if attribute["type"].native == "signature_time_stamp_token")
    (tmp_path / "token.der").write_bytes(token.dump())
    (tmp_path / "signature-value.bin").write_bytes(signer_info["signature"].native)
    checked = subprocess.run([need_tool("openssl"), "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                              "-data", str(tmp_path / "signature-value.bin"), "-CAfile", str(pki.root_cert)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    # The token stamps the signature, not the bundle: openssl says so when asked about the bundle.
    wrong = subprocess.run([need_tool("openssl"), "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                            "-data", str(bundle), "-CAfile", str(pki.root_cert)], capture_output=True, text=True)
    assert wrong.returncode != 0 and "message imprint mismatch" in wrong.stderr + wrong.stdout
    report = verify_archive(bundle, trust_roots=[pki.root_cert])
    assert report.ok and report.timestamp, report.issues
    assert report.signer.level == "CAdES B-T"
    assert [evidence.kind for evidence in report.times] == ["claim", "signature"]


def test_without_bag_no_bag_is_written(records: Path, isolated_identity):
    assert build_archive("records", "build", unsigned=True).ok
    assert sorted(path.name for path in Path("build").iterdir()) == [f"{NAME}.jsonld", f"{NAME}.pdf", "linked-art",
                                                                     "manifest.json", "ro-crate-metadata.json"]


def rebag(bag: Path) -> None:
    """What someone who edits a bag does next: recompute its manifests, so that BagIt alone is satisfied."""
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
    assert bagit_validate(bag).returncode == 0


def test_a_rebagged_bag_with_edited_records_and_manifest_is_rejected(build: Path):
    bag = build / f"{NAME}-bag"
    person = bag / "data/records/persons/pavel-latushka.yaml"
    person.write_text(person.read_text().replace("Pavel Latushka", "Paul Latushka", 1))
    manifest = json.loads((bag / "data/manifest.json").read_text())
    (bag / "data/manifest.json").write_text(json.dumps({"root": manifest["root"], "records": []}))
    rebag(bag)
    report = verify_archive(bag)
    assert {"bag.manifest-mismatch", "bag.records-differ"} <= {issue.code for issue in report.issues}
    assert {"path": "records/persons/pavel-latushka.yaml", "change": "differs from the signed one"} in report.changes


def test_a_rebagged_bag_with_a_bundle_signed_by_someone_else_is_rejected(build: Path):
    from attacks import attacker_material

    from appeal_archive.signing.sign import sign_bundle

    bag = build / f"{NAME}-bag"
    bundle = bag / "data" / f"{NAME}.jsonld"
    Path(f"{bundle}.p7s").write_bytes(sign_bundle(bundle.read_bytes(), attacker_material()))
    rebag(bag)
    assert "bag.signers-differ" in codes(bag)


def test_the_bag_is_bagit_1_0_and_passes_its_profile_with_bagit_profile(signed_build_dir: Path, tmp_path: Path):
    import bagit
    import bagit_profile
    from conftest import REPO

    bag = signed_build_dir / f"{NAME}-bag"
    assert (bag / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    profile = json.loads((REPO / "schema" / "bagit-profile.json").read_text())
    identifier = profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    checker = bagit_profile.Profile(identifier, profile=profile)
    assert checker.validate_serialization(str(bag))
    assert checker.validate(bagit.Bag(str(bag))), [str(error) for error in checker.report.errors]
    info = bagit.Bag(str(bag)).info
    assert info["BagIt-Profile-Identifier"] == identifier
    assert (info["Contact-Name"], info["Contact-Email"]) == ("Custodian of the appeal-archive record set",
                                                             "custodian@example.org")
    # ...and the profile can fail: a bag without a contact is refused.
    copy = tmp_path / "bag"
    shutil.copytree(bag, copy)
    bag_info = copy / "bag-info.txt"
    bag_info.write_text("".join(line for line in bag_info.read_text().splitlines(True)
                                if not line.startswith("Contact-Email")))
    assert not bagit_profile.Profile(identifier, profile=profile).validate(bagit.Bag(str(copy)))
