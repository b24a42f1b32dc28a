"""A set large enough for the PDF to carry its records in two ZIPs and for verify to check them in workers:
built, signed, verified; then a record inside the ZIP is changed and the PDF signed again by someone else."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import EPOCH, REPO

from appeal_archive.build.archive import build_archive
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


SIGNATORIES = 2100  # 4,200 records and more: ZIPs (above 2,000) checked by workers (above 4,000)


@pytest.fixture(scope="module")
def large_build(tmp_path_factory, pki) -> Path:
    folder = tmp_path_factory.mktemp("large")
    records = generate.write(SIGNATORIES, folder / "records")
    result = build_archive(records, folder / "build", environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert))
    assert result.ok
    return folder / "build" / "SYNTHETIC-BENCH.pdf"


def test_a_large_set_travels_in_zips_and_verifies(large_build: Path, pki):
    with pikepdf.open(large_build) as pdf:
        assert set(pdf.attachments) == {"manifest.json", "records.zip", "canonical.zip",
                                        "records/sources/petition-export.txt", "verify.html"}
    report = verify_archive(large_build, trust_roots=[pki.root_cert])
    assert report.ok, report.issues[:3]
    assert len(report.manifest["records"]) > 2 * SIGNATORIES


def test_a_large_build_is_sized_for_people(large_build: Path, pki):
    """Above 2,000 records: the Linked Art view is one ZIP (its members the folder form's files), the PDF prints
    no page of hashes but says where they are, and the manifest is one line per entry."""
    import json
    import subprocess

    from conftest import need_tool

    build = large_build.parent
    assert not (build / "linked-art").exists()
    with zipfile.ZipFile(build / "linked-art.zip") as packed:
        names = packed.namelist()
        assert len(names) > SIGNATORIES and all(name.startswith("linked-art/") for name in names)
        person = json.loads(packed.read("linked-art/person/p0001000.json"))
        assert person["@context"] == "https://linked.art/ns/v1/linked-art.json" and person["type"] == "Person"
    report = verify_archive(large_build, trust_roots=[pki.root_cert])
    assert report.ok and report.unsigned == ["linked-art.zip"] and "ro-crate-metadata.json" in report.covered

    text = subprocess.run([need_tool("pdftotext"), "-layout", str(large_build), "-"], capture_output=True,
                          text=True, timeout=120).stdout
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["records"][0]["sha256"] not in text
    assert f"The {len(manifest['records']) + 1:,} SHA-256 digests are not printed" in " ".join(text.split())
    lines = (build / "manifest.json").read_bytes().splitlines()
    assert len(lines) > len(manifest["records"]) and all(len(line) < 400 for line in lines)


def test_a_record_changed_inside_the_zip_is_caught(large_build: Path, tmp_path: Path):
    from attacks import resigned_pdf

    pdf = tmp_path / "build" / large_build.name
    pdf.parent.mkdir()
    pdf.write_bytes(large_build.read_bytes())

    def edit(document) -> None:
        original = document.attachments["records.zip"].get_file().read_bytes()
        rewritten = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as old, zipfile.ZipFile(rewritten, "w") as new:
            for member in old.infolist():
                content = old.read(member)
                if member.filename == "records/persons/p0001000.yaml":
                    content = content.replace(b"names:", b"archivist_note: added later\nnames:")
                new.writestr(member, content)
        document.attachments["records.zip"] = pikepdf.AttachedFileSpec(document, rewritten.getvalue(),
                                                                       filename="records.zip")

    report = verify_archive(resigned_pdf(pdf, edit))
    problems = [issue.message for issue in report.issues if issue.code == "attach.hash-mismatch"]
    assert len(problems) == 1 and problems[0].startswith("records/persons/p0001000.yaml: its data does not hash")
