"""`appeal-archive verify`: accepts what build made, and names the cause of every tampering."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import REAL_RECORDS, need_tool

from appeal_archive.cli.main import main
from appeal_archive.verify import verify_archive

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


def codes(path: Path, **options) -> set[str]:
    return {issue.code for issue in verify_archive(path, **options).issues if issue.is_error}


def signed_ranges(data: bytes) -> tuple[int, int, int, int]:
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    return tuple(int(value) for value in found.groups())


def pdfsig(path: Path) -> str:
    return subprocess.run([need_tool("pdfsig"), str(path)], capture_output=True, text=True).stdout


def test_fresh_build_verifies_with_cli_json_equal_to_library(signed_build: Path, pki):
    result = CliRunner().invoke(main, ["verify", "--format", "json", "--trust-root", str(pki.root_cert),
                                       str(signed_build)])
    assert result.exit_code == 0
    import json

    assert json.loads(result.output) == verify_archive(signed_build, trust_roots=[pki.root_cert]).to_dict()


def test_flipping_bytes_inside_the_signed_range_is_caught(signed_build: Path, tmp_path: Path):
    data = signed_build.read_bytes()
    start1, length1, start2, length2 = signed_ranges(data)
    positions = [0, 5, 200, length1 // 3, length1 // 2, length1 - 20, start2 + 10, start2 + length2 - 30]
    for position in positions:
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        target = tmp_path / f"flip-{position}.pdf"
        target.write_bytes(tampered)
        result = CliRunner().invoke(main, ["verify", str(target)])
        assert result.exit_code == 1, (position, result.output)
        found = codes(target)
        assert found & {"sig.digest-mismatch", "pdf.damaged", "sig.invalid", "sig.missing"}, (position, found)
        assert "Signature is Valid" not in pdfsig(target), position


def test_replacing_an_attachment_is_caught(signed_build: Path, tmp_path: Path):
    target = tmp_path / "replaced.pdf"
    with pikepdf.open(signed_build) as pdf:
        name = "records/rallies/warsaw-2023-05-21.yaml"
        spec = pdf.attachments[name]
        forged = spec.get_file().read_bytes().replace(b"value: 1000", b"value: 100")
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, forged, filename=name, mime_type="application/yaml",
                                                         relationship=pikepdf.Name.Source)
        pdf.save(target)
    found = codes(target)
    assert found & {"sig.digest-mismatch", "sig.invalid", "sig.missing", "pdf.damaged", "sig.not-whole-file"}
    assert not found & {"attach.hash-mismatch"}  # what no signature covers is not read at all
    assert "Signature is Valid" not in pdfsig(target)


def appended_update(source: Path, target: Path, change) -> None:
    """An unsigned incremental update appended after the signature (what a forger can do without the key)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with open(source, "rb") as handle:
        writer = IncrementalPdfFileWriter(io.BytesIO(handle.read()), strict=False)
        change(writer)
        out = io.BytesIO()
        writer.write(out)
    target.write_bytes(out.getvalue())


def test_an_appended_update_that_changes_the_text_is_caught(signed_build: Path, tmp_path: Path):
    from pyhanko.pdf_utils import generic

    def change_text(writer) -> None:
        page_ref = writer.root["/Pages"]["/Kids"].raw_get(1)
        page = page_ref.get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 400 Td (signatory withdrawn) Tj ET")
        page["/Contents"] = writer.add_object(stream)
        writer.mark_update(page_ref)

    target = tmp_path / "appended.pdf"
    appended_update(signed_build, target, change_text)
    assert target.read_bytes().startswith(signed_build.read_bytes())
    result = CliRunner().invoke(main, ["verify", str(target)])
    assert result.exit_code == 1
    assert "sig.not-whole-file" in result.output
    output = pdfsig(target)
    assert "Total document signed" not in output
    assert "Not total document signed" in output or "not total" in output.lower()


def test_an_appended_update_replacing_an_attachment_is_caught(signed_build: Path, tmp_path: Path):
    from pyhanko.pdf_utils import generic

    def leaves(node):
        """(names array, index) pairs of a name tree, walking /Kids."""
        if "/Names" in node:
            names = node["/Names"]
            yield from ((names, index) for index in range(0, len(names), 2))
        for kid in node.get("/Kids", []):
            yield from leaves(kid.get_object())

    def swap_manifest_attachment(writer) -> None:
        for names, index in leaves(writer.root["/Names"]["/EmbeddedFiles"]):
            if names[index] == "manifest.json":
                spec_ref = names.raw_get(index + 1)
                spec = spec_ref.get_object()
                stream = generic.StreamObject({generic.NameObject("/Type"): generic.NameObject("/EmbeddedFile")},
                                              stream_data=b'{"root": "forged"}')
                spec["/EF"] = generic.DictionaryObject({generic.NameObject("/F"): writer.add_object(stream)})
                writer.mark_update(spec_ref)

    target = tmp_path / "swapped.pdf"
    appended_update(signed_build, target, swap_manifest_attachment)
    found = codes(target)
    assert found == {"sig.not-whole-file"}  # the update is not read: it is not signed


def test_records_changed_since_signing_are_listed(signed_build: Path, records: Path):
    (records / "persons" / "volha-paulava.yaml").write_text(
        (records / "persons" / "volha-paulava.yaml").read_text() + "archivist_note: Added later.\n")
    report = verify_archive(signed_build, records_dir=records)
    assert not report.ok
    assert report.changes == [{"path": "persons/volha-paulava.yaml", "change": "changed"}]
    assert verify_archive(signed_build, records_dir=REAL_RECORDS).ok


def test_rebuild_accepts_a_fresh_build(signed_build: Path, pki):
    report = verify_archive(signed_build, rebuild=True, trust_roots=[pki.root_cert])
    assert report.ok, report.issues
    assert any("rendering" in check for _, check in report.checks)


def test_rebuild_rejects_a_document_edited_before_signing(records: Path, pki, isolated_identity, monkeypatch):
    """A renderer that misstates a count, signed with a real key: the signature, attachments and cover all
    check out, and only --rebuild sees that these pages are not what the records render to."""
    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.keys import SignerConfig
    from appeal_archive.views import pdf as render_pdf

    with monkeypatch.context() as patch:
        patch.setattr(render_pdf, "count_text", lambda count: f"{count.as_printed} (recorded as exactly 5,000)")
        result = build_archive("records", "forged",
                               signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert))
    forged = Path("forged") / "AA-2023-05-21-belarusians-to-eu.pdf"
    assert result.ok
    plain = verify_archive(forged, trust_roots=[pki.root_cert])
    assert plain.ok, plain.issues
    rebuilt = verify_archive(forged, rebuild=True, trust_roots=[pki.root_cert])
    assert "rebuild.mismatch" in {issue.code for issue in rebuilt.issues}


def test_unsigned_file_fails_verification(records: Path, isolated_identity):
    assert CliRunner().invoke(main, ["build", "records", "--unsigned"]).exit_code == 0
    result = CliRunner().invoke(main, ["verify", "build/AA-2023-05-21-belarusians-to-eu.pdf"])
    assert result.exit_code == 1 and "sig.missing" in result.output


def test_a_missing_file_cannot_be_verified(tmp_path: Path):
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "nothing.pdf")])
    assert result.exit_code == 3 and "verify.unreadable" in result.output


def test_a_manifest_of_the_wrong_shape_is_a_failed_check_not_a_crash(build_copy: Path):
    from attacks import resigned

    def shapeless(document) -> None:
        document.attachments["manifest.json"] = pikepdf.AttachedFileSpec(document, b'{"records": []}',
                                                                         filename="manifest.json")

    target = resigned(build_copy, shapeless)
    result = CliRunner().invoke(main, ["verify", str(target)])
    assert result.exit_code == 1
    assert "attach.manifest-invalid" in result.output and "internal.error" not in result.output


def test_an_oversized_member_of_a_record_bundle_is_not_read():
    import zipfile

    from appeal_archive.layout import unzip_members

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("records/persons/bomb.yaml", b"a" * 5_000_000)
        archive.writestr("records/persons/fine.yaml", b"id: fine\n")
    problems: list[str] = []
    files = dict(unzip_members("records.zip", buffer.getvalue(), problems))
    assert files == {"records/persons/fine.yaml": b"id: fine\n"}
    assert problems == ["records.zip holds an oversized member 'records/persons/bomb.yaml'"]


def test_records_compare_holds_archive_yaml_to_the_signed_one(signed_build: Path, records: Path):
    """Found by a tester: --records once ignored archive.yaml, which the PDF signs too."""
    settings = records / "archive.yaml"
    settings.write_text(settings.read_text().replace("custodian: appeal-archive project",
                                                     "custodian: Ministry of Truth"))
    report = verify_archive(signed_build, records_dir=records)
    assert {"path": "archive.yaml", "change": "changed"} in report.changes
    assert "records.changed" in {issue.code for issue in report.issues}
