"""The archival PDF as readers and archives see it: PDF/A-3b, fonts, text extraction, reproducibility."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import REAL_RECORDS, dossier_of, need_tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from appeal_archive.errors import AppealArchiveError
from appeal_archive.identity import UNSIGNED
from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.records.validate import load_record_set
from appeal_archive.verify.pdf import cover_text, stated_root
from appeal_archive.views.dossier import Dossier
from appeal_archive.views.pdf import (
    RenderContext,
    count_text,
    human_date,
    render,
    render_archival_pdf,
)
from appeal_archive.views.pdfa import pdfa_findings

BUILD_DATE = datetime(2023, 5, 21, tzinfo=UTC)


def unsigned_pdf(records: Path = REAL_RECORDS) -> bytes:
    return render_archival_pdf(dossier_of(records), BUILD_DATE, UNSIGNED, "appeal-archive test")[0]


def cover_root(pdf: bytes) -> str | None:
    """The root the PDF states in its metadata, checked to be the one its cover prints."""
    root = stated_root(pdf)
    assert root and root in "".join(cover_text(pdf).split())
    return root


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "unsigned.pdf"
    path.write_bytes(unsigned_pdf())
    return path


def normalized(text: str) -> str:
    return " ".join(text.split())


def test_unsigned_pdf_passes_pikepdf_pdfa_3b(pdf_file: Path):
    assert pdfa_findings(pdf_file.read_bytes()) == []


def test_qpdf_check_passes_on_unsigned_and_signed(pdf_file: Path, signed_build: Path):
    for path in (pdf_file, signed_build):
        result = subprocess.run([need_tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout


def test_every_font_is_embedded_pt_sans(pdf_file: Path, signed_build: Path):
    for path in (pdf_file, signed_build):
        lines = subprocess.run([need_tool("pdffonts"), str(path)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert lines
        for line in lines:
            assert "PTSans" in line and " yes yes yes " in line, line
            assert "Helvetica" not in line and "Type 1" not in line


def test_every_signatory_entry_and_demand_is_in_pdftotext_raw_and_pypdf(pdf_file: Path):
    raw = normalized(subprocess.run([need_tool("pdftotext"), "-raw", str(pdf_file), "-"], capture_output=True,
                                    text=True, check=True).stdout)
    extracted = normalized(" ".join(page.extract_text() for page in PdfReader(pdf_file).pages))
    appeal = yaml.safe_load((REAL_RECORDS / "appeals/appeal-of-belarusians-to-the-eu.yaml").read_text())
    expected = [demand["text"] for demand in appeal["demands"]] + appeal["addressees"] + appeal["body"]
    for path in sorted((REAL_RECORDS / "signatories").glob("*.yaml")):
        expected.append(yaml.safe_load(path.read_text())["as_printed"])
    expected += ["Павел Латушка", "Аляксандр Лукашэнка", "more than 1,000 participants in the demonstration",
                 "about 300 participants", "60 people", "The NAM-media"]
    for text in expected:
        assert normalized(text) in raw, text
        assert normalized(text) in extracted, text


def test_cover_shows_root_date_place_and_signer(pdf_file: Path):
    cover = PdfReader(pdf_file).pages[0].extract_text()
    root = make_manifest(load_record_set(REAL_RECORDS)[1])["root"]
    assert cover_root(pdf_file.read_bytes()) == root
    assert "Adopted on 21 May 2023" in normalized(cover) and "demonstration in Warsaw" in cover
    assert "AA-2023-05-21-belarusians-to-eu" in cover and "2023-05-21 00:00:00 UTC" in cover


def test_every_page_has_the_running_footer(pdf_file: Path):
    pages = PdfReader(pdf_file).pages
    root = make_manifest(load_record_set(REAL_RECORDS)[1])["root"]
    for number, page in enumerate(pages, 1):
        footer = f"AA-2023-05-21-belarusians-to-eu · page {number} of {len(pages)} · root {root[:16]}"
        assert footer in normalized(page.extract_text())


def test_attachments_carry_every_record_as_yaml_and_canonical_json(pdf_file: Path):
    import pikepdf

    with pikepdf.open(pdf_file) as pdf:
        names = set(pdf.attachments)
    record_paths = [path.relative_to(REAL_RECORDS).as_posix() for path in REAL_RECORDS.rglob("*.yaml")]
    for path in record_paths:
        assert f"records/{path}" in names
        if path != "archive.yaml":
            assert "canonical/" + path.removesuffix(".yaml") + ".json" in names
    assert {"manifest.json", "records/sources/appeal-of-belarusians-to-the-eu.txt"} <= names
    detach = need_tool("pdfdetach")
    listing = subprocess.run([detach, "-list", str(pdf_file)], capture_output=True, text=True, check=True).stdout
    assert f"{len(names)} embedded files" in listing


def test_pdfdetach_saves_every_attachment_and_they_hash_to_the_manifest(pdf_file: Path, tmp_path: Path):
    import hashlib
    import json

    subprocess.run([need_tool("pdfdetach"), "-saveall", str(pdf_file)], cwd=tmp_path, check=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["records"]:
        saved = tmp_path / ("canonical__" + entry["path"].removesuffix(".yaml").replace("/", "__") + ".json")
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == entry["sha256"]
    for entry in manifest["source_documents"]:
        saved = tmp_path / ("records__" + entry["path"].replace("/", "__"))
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == entry["sha256"]


def test_two_renders_are_identical_and_a_changed_record_changes_the_cover(tmp_path: Path):
    first, second = unsigned_pdf(), unsigned_pdf()
    assert first == second
    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    rally = tmp_path / "records/rallies/london-2023-05-21.yaml"
    rally.write_text(rally.read_text().replace("value: 60", "value: 61"))
    changed = unsigned_pdf(tmp_path / "records")
    assert cover_root(changed) != cover_root(first)
    assert cover_root(changed) == make_manifest(load_record_set(tmp_path / "records")[1])["root"]


def test_helpers_keep_the_qualifier():
    from appeal_archive.records.models import Count

    assert human_date("2023-05-21") == "21 May 2023"
    assert count_text(Count(value=1000, qualifier="more-than", as_printed="more than 1,000 participants")) == (
        "more than 1,000 participants (recorded as more than 1,000)")


def test_a_character_the_font_cannot_draw_is_refused(tmp_path: Path):
    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    entry = tmp_path / "records/signatories/appeal-of-belarusians-to-the-eu-07.yaml"
    entry.write_text(entry.read_text() + "archivist_note: 中文 note\n")
    with pytest.raises(AppealArchiveError) as caught:
        unsigned_pdf(tmp_path / "records")
    assert caught.value.issues[0].code == "pdf.missing-glyph"
    assert caught.value.exit_code == 1


LETTERS = "abcdefghijklmnoprstuvwyzłżźśćńąęóėųūįčšžāēīАБВГДЕЁЖЗІЙКЛМНОПРСТУЎФХЦЧШЫЬЭЮЯабвгдеёжзійклмнопрстуўфхцчшыьэюя"
names = st.lists(st.text(alphabet=LETTERS, min_size=2, max_size=12), min_size=1, max_size=3).map(
    lambda words: " ".join(word[0].upper() + word[1:] for word in words))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(name=names)
def test_names_in_latin_cyrillic_polish_lithuanian_survive_extraction(name: str, tmp_path_factory):
    folder = tmp_path_factory.mktemp("names") / "records"
    shutil.copytree(REAL_RECORDS, folder)
    person = folder / "persons/pavel-latushka.yaml"
    person.write_text(person.read_text().replace("text: Павел Латушка", f"text: '{name}'"))
    report, record_set = load_record_set(folder)
    assume(report.ok)  # a mixed-script word is only a warning; an invalid record is not this property
    pdf = render(Dossier.from_record_set(record_set, make_manifest(record_set)),
                 RenderContext(BUILD_DATE, UNSIGNED, "test"))[0]
    text = normalized(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert name in text


def test_the_appeal_as_printed_holds_every_word_of_its_source_in_order_or_says_it_is_left_out(pdf_file: Path):
    """Every word of the captured page is in the PDF's text, in the page's order, unless the source record
    lists it as page furniture left out (and the PDF says so)."""
    capture = yaml.safe_load((REAL_RECORDS / "sources/appeal-of-belarusians-to-the-eu-capture.yaml").read_text())
    words = (REAL_RECORDS / "sources" / capture["file"]).read_text().split()
    start = 0
    for omission in capture["omitted"]:
        omitted = omission["text"].split()
        at = next(index for index in range(start, len(words)) if words[index:index + len(omitted)] == omitted)
        del words[at:at + len(omitted)]
        start = at
    raw = subprocess.run([need_tool("pdftotext"), "-raw", str(pdf_file), "-"], capture_output=True, text=True,
                         check=True).stdout
    section = raw.split("The appeal, as printed", 1)[1].split()
    position = 0
    for word in words:
        found = section.index(word, position) if word in section[position:] else -1
        assert found >= 0, f"{word!r} (after {section[max(0, position - 8):position]}) is missing or out of order"
        position = found + 1
    note = normalized(raw.split("Left out, as not part of the document:", 1)[1])
    assert all(f"'{omission['text']}'" in note for omission in capture["omitted"])
    for editorial in ("Addressed to:", "Demands:"):
        assert editorial not in raw.split("The appeal, as printed", 1)[1].split("Rallies", 1)[0]


def test_an_entry_quoting_another_source_is_printed_under_that_sources_heading(tmp_path: Path):
    """Issue 17: entry 9 of the README's worked example quotes a later capture, and was printed under the
    original capture's "Transcribed from" heading."""
    from casefiles import materialize
    from conftest import CASES

    records = materialize(CASES / "valid" / "added-signatory", tmp_path / "records")
    text = " ".join(" ".join(page.extract_text()
                             for page in PdfReader(io.BytesIO(unsigned_pdf(records))).pages).split())
    original, later = "Transcribed from: Appeal of Belarusians to the EU", "Entries from here on: Transcribed from:"
    assert text.index(original) < text.index("8. Member of the Coordination Council") < text.index(later) \
        < text.index("9. ")
    assert "later-capture.txt" in text[text.index(later):text.index("9. ")]
