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
                                        "records/sources/petition-export.txt"}
    report = verify_archive(large_build, trust_roots=[pki.root_cert])
    assert report.ok, report.issues[:3]
    assert len(report.manifest["records"]) > 2 * SIGNATORIES


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
