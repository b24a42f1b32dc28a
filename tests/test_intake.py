"""`appeal-archive intake`: petition exports made the way their sources make them (Python's csv module in each
dialect and encoding, openpyxl's XLSX), taken into a copy of the real records; what is written validates,
builds and keeps the unconsenting out of the public edition; nothing else of the export enters the archive."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import EPOCH, REPO, need_tool

from appeal_archive.build.archive import build_archive
from appeal_archive.cli.main import main
from appeal_archive.records.intake import intake
from appeal_archive.records.validate import validate_records

APPEAL = "appeal-of-belarusians-to-the-eu"
HEADER = ["Full name", "E-mail", "City", "Country", "Date signed", "Comment", "Publish my name", "IP address",
          "Phone"]
MAP = (REPO / "examples" / "petition-map.yaml").read_text(encoding="utf-8")  # the map the README shows


def row(name: str, number: int, publish: str = "yes", city: str = "Minsk", comment: str = "") -> list[str]:
    """A signature, with personal columns that must never enter the archive (unique per row, to be searched)."""
    return [name, f"private-mail-{number}@example.org", city, "BY", f"{number % 28 + 1:02d}.05.2023", comment,
            publish, f"10.66.{number // 256}.{number % 256}", f"+375-29-555-{number:04d}"]


ROWS = [row("Аляксей Кавалёў", 1, "так", "Мінск", "Свабоду палітвязням!"),
        row("Maria Nowak", 2, "tak", "Warszawa"),
        row("Ivan Hidden", 3, "no", "Hrodna", "please keep my name private"),
        row("Aliaksei Kavaliou", 4, "yes", "Vilnius"),
        row("Olga Sekretna", 5, "", "Brest")]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "signatures.csv", ROWS)


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    (tmp_path / "map.yaml").write_text(MAP, encoding="utf-8")
    return tmp_path / "map.yaml"


def taken(records: Path, export: Path, map_file: Path, **options):
    return intake(export, APPEAL, records, map_path=map_file, environ={"SOURCE_DATE_EPOCH": EPOCH}, **options)


def files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_an_export_becomes_entries_persons_and_a_capture_that_validate(records: Path, export: Path, map_file: Path):
    report = taken(records, export, map_file)
    assert report.ok and report.rows == 5 and report.new_entries == 5 and report.new_persons == 5
    assert report.restricted == 2 and report.matched_persons == 0
    validation = validate_records(records)
    assert validation.ok, validation.errors[:3]
    entries = sorted(records.glob(f"signatories/{APPEAL}-000*.yaml"))
    assert [path.name for path in entries] == [f"{APPEAL}-{n:05d}.yaml" for n in range(9, 14)]
    first = yaml.safe_load((records / f"signatories/{APPEAL}-00009.yaml").read_text(encoding="utf-8"))
    assert first == {"id": f"{APPEAL}-00009", "type": "signatory", "appeal": APPEAL, "position": 9,
                     "source": report.capture, "as_printed": "Аляксей Кавалёў",
                     "person": {"ref": f"{APPEAL}-signer-00009", "name": "Аляксей Кавалёў"},
                     "signed": {"date": "2023-05-02", "as_printed": "02.05.2023"},
                     "place": {"city": "Мінск", "country": "BY"}, "comment": "Свабоду палітвязням!"}
    hidden = (records / f"signatories/{APPEAL}-00011.yaml").read_text(encoding="utf-8")
    assert "access: restricted" in hidden and "did not consent" in hidden
    capture = records / "sources" / f"{report.capture}.txt"
    source = (records / "sources" / f"{report.capture}.yaml").read_text(encoding="utf-8")
    assert "kind: petition-export" in source and "file_name: signatures.csv" in source and "rows: 5" in source
    assert "- E-mail" in source and "- IP address" in source and "- Phone" in source
    assert "Свабоду палітвязням!" in capture.read_text(encoding="utf-8")
    # The appeal's own count is what its source printed; the new entries are counted apart.
    assert "signatory_count: 8" in (records / f"appeals/{APPEAL}.yaml").read_text(encoding="utf-8")
    restricted = {Path(path).name for path in validation.restricted}
    assert {f"{APPEAL}-00011.yaml", f"{APPEAL}-00013.yaml", f"{report.capture}.yaml"} <= restricted
    assert f"{APPEAL}-00010.yaml" not in restricted


@pytest.mark.parametrize(("delimiter", "encoding", "option"), [
    (",", "utf-8", None), (";", "utf-8-sig", None), ("\t", "utf-16", None), (";", "cp1251", "cp1251"),
    (",", "utf-8", "utf-8")])
def test_every_dialect_and_encoding_reads_the_same(records: Path, tmp_path: Path, map_file: Path, delimiter: str,
                                                    encoding: str, option: str | None):
    rows = [r for r in ROWS if r[0] != "Maria Nowak"] if encoding == "cp1251" else ROWS  # cp1251 has no Polish ł
    export = write_csv(tmp_path / "export.csv", rows, delimiter, encoding)
    report = taken(records, export, map_file, encoding=option, dry_run=True)
    assert report.ok and report.new_entries == len(rows) and not report.rejected, report.rejected
    assert not (records / f"signatories/{APPEAL}-00009.yaml").exists()  # a dry run writes nothing


def test_a_windows_export_without_its_encoding_is_refused_naming_the_flag(records: Path, tmp_path: Path,
                                                                          map_file: Path):
    export = write_csv(tmp_path / "windows.csv", ROWS[:1], ";", "cp1251")
    result = CliRunner().invoke(main, ["intake", str(export), "--appeal", APPEAL, "--map", str(map_file),
                                       str(records)])
    assert result.exit_code == 1 and "intake.not-utf8" in result.output and "--encoding cp1251" in result.output
    assert "Traceback" not in result.output


def test_an_xlsx_workbook_is_read_with_formulas_kept_as_text(records: Path, tmp_path: Path, map_file: Path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Signatures"
    sheet.append(HEADER)
    for values in ROWS[:2]:
        sheet.append(values)
    sheet.append(['=HYPERLINK("https://evil.example","Click")', "x@example.org", "Minsk", "BY", "03.05.2023", "",
                  "yes", "", ""])
    workbook.save(tmp_path / "export.xlsx")
    report = taken(records, tmp_path / "export.xlsx", map_file, sheet="Signatures")
    assert report.ok and report.new_entries == 3
    assert [(warning.row, warning.column, warning.code) for warning in report.warnings] == [(4, "Full name",
                                                                                             "intake.formula")]
    assert validate_records(records).ok
    assert '=HYPERLINK("https://evil.example","Click")' in (
        records / f"signatories/{APPEAL}-00011.yaml").read_text(encoding="utf-8")


def test_taking_the_same_export_again_writes_nothing_and_a_grown_one_only_its_new_rows(
        records: Path, tmp_path: Path, export: Path, map_file: Path):
    assert taken(records, export, map_file).new_entries == 5
    before = files(records)
    again = taken(records, export, map_file)
    assert again.ok and again.new_entries == 0 and again.already_in_archive == 5 and files(records) == before
    grown = write_csv(tmp_path / "grown.csv", [*ROWS, row("Pavel New", 6), row("Hanna Later", 7, "no")])
    report = taken(records, grown, map_file)
    assert report.new_entries == 2 and report.already_in_archive == 5
    assert set(files(records)) - set(before) == {
        f"signatories/{APPEAL}-00014.yaml", f"signatories/{APPEAL}-00015.yaml",
        f"persons/{APPEAL}-signer-00014.yaml", f"persons/{APPEAL}-signer-00015.yaml",
        f"sources/{report.capture}.txt", f"sources/{report.capture}.yaml"}
    assert all(files(records)[name] == data for name, data in before.items() if name != "salts.txt")
    assert validate_records(records).ok


def test_a_bad_row_is_named_and_nothing_is_written_unless_skip_invalid(records: Path, tmp_path: Path,
                                                                      map_file: Path):
    bad = [*ROWS[:2], row("", 3), row("Date Wrong", 4), row("Bell\x07Char", 5)]
    bad[3][4] = "31.02.2023"
    export = write_csv(tmp_path / "bad.csv", bad)
    before = files(records)
    result = CliRunner().invoke(main, ["intake", str(export), "--appeal", APPEAL, "--map", str(map_file),
                                       str(records)])
    assert result.exit_code == 1 and files(records) == before
    assert f"{export}:4:Full name: error: the name is empty [intake.empty-name]" in result.output
    assert f"{export}:5:Date signed: error: the date does not parse [intake.bad-date]" in result.output
    assert f"{export}:6:Full name: error: the cell contains the control character U+0007" in result.output
    result = CliRunner().invoke(main, ["intake", str(export), "--appeal", APPEAL, "--map", str(map_file),
                                       "--skip-invalid", "--format", "json", str(records)])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["new_entries"] == 2
    assert [(item["row"], item["code"]) for item in report["rejected"]] == [
        (4, "intake.empty-name"), (5, "intake.bad-date"), (6, "text.control-char")]
    rejects = list(csv.reader(io.StringIO(Path(report["reject_file"]).read_text(encoding="utf-8"))))
    assert rejects[0] == ["row", "column", "code", "message", "hint"] and len(rejects) == 4
    assert validate_records(records).ok


def test_a_missing_column_is_named_once_at_the_header(records: Path, tmp_path: Path, map_file: Path):
    map_file.write_text(MAP.replace("City", "Town"), encoding="utf-8")
    report = taken(records, write_csv(tmp_path / "export.csv", ROWS), map_file)
    assert [(item.row, item.column, item.code) for item in report.rejected] == [(1, "Town", "intake.missing-column")]
    assert not report.ok and report.written == []


def test_without_a_map_the_field_names_are_the_headers(records: Path, tmp_path: Path):
    export = tmp_path / "plain.csv"
    export.write_text("name,city,publish,email\nJan Kowalski,Gdańsk,yes,jan@private-mail.example\nAnna Tajna,Łódź,no,"
                      "anna@private-mail.example\n", encoding="utf-8")
    report = intake(export, APPEAL, records)
    assert report.ok and report.new_entries == 2 and report.restricted == 1
    assert validate_records(records).ok
    assert not any(b"private-mail.example" in data for data in files(records).values())


def test_possible_duplicates_across_scripts_are_reported_never_merged(records: Path, export: Path,
                                                                     map_file: Path):
    report = taken(records, export, map_file)
    across = [group for group in report.possible_duplicates if "across scripts" in group["reason"]]
    assert across == [{"rows": [2, 5], "names": ["aliaksei kavaliou", "аляксей кавалёў"],
                       "reason": "the names read the same across scripts (Cyrillic and Latin)"}]
    assert report.new_persons == 5  # two person records: the archivist decides


def test_homonyms_are_settled_before_writing(records: Path, tmp_path: Path, map_file: Path):
    """A consenting row sharing the name of a row that did not consent is withheld too; a row that did not
    consent but bears the name of a person the archive publishes is rejected; validate passes on the result."""
    rows = [row("Ivan Hidden", 1, "yes"), row("Ivan Hidden", 2, "no", city="Hrodna"),
            row("Pavel Latushka", 3, "no")]
    report = taken(records, write_csv(tmp_path / "homonyms.csv", rows), map_file, skip_invalid=True)
    assert [(item.row, item.code) for item in report.rejected] == [(4, "intake.name-is-public")]
    assert report.new_entries == 2 and report.restricted == 2 and report.new_persons == 1
    assert [item["row"] for item in report.withheld_homonyms] == [2]
    validation = validate_records(records)
    assert validation.ok, validation.errors[:3]


def test_unmapped_columns_and_unconsenting_names_never_reach_the_public_edition(
        records: Path, tmp_path: Path, export: Path, map_file: Path):
    from test_editions import _every_byte

    assert taken(records, export, map_file).ok
    personal = [value for values in ROWS for value in values[1:2] + values[7:9]]
    for folder, edition in (("build", "full"), ("build-public", "public")):
        assert build_archive(records, tmp_path / folder, unsigned=True, edition=edition, bag=True,
                             environ={"SOURCE_DATE_EPOCH": EPOCH}).ok
    archive = [*files(records).items(), *files(tmp_path / "build").items()]
    leaks = [(value, place) for place, data in archive for value in personal if value.encode() in data]
    assert leaks == []
    public = _every_byte(tmp_path / "build-public", tmp_path)
    hidden = ["Ivan Hidden", "Olga Sekretna", "please keep my name private", "Sekretna"]
    assert [(name, place) for place, data in public for name in hidden if name.encode() in data] == []
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(tmp_path / "build-public" /
                                                                   "AA-2023-05-21-belarusians-to-eu.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Maria Nowak" in text and "Aliaksei Kavaliou" in text
    full = subprocess.run([need_tool("pdftotext"), "-layout", str(tmp_path / "build" /
                                                                 "AA-2023-05-21-belarusians-to-eu.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Ivan Hidden" in full and "Entries from here on: Transcribed from: Petition export signatures.csv" in \
        " ".join(full.split())


@pytest.mark.slow
def test_ten_thousand_rows(records: Path, tmp_path: Path, map_file: Path):
    rows = [row(f"Signer{number:05d} Family{number % 97:02d}", number, "yes" if number % 10 else "no")
            for number in range(10_000)]
    export = write_csv(tmp_path / "big.csv", rows)
    report = taken(records, export, map_file)
    assert report.ok and report.new_entries == 10_000 and report.restricted == 1_000
    validation = validate_records(records)
    assert validation.ok, validation.errors[:3]
    shutil.rmtree(records / "signatories")  # what was written is records, not only a report


def test_what_an_attacker_tried_is_settled(records: Path, tmp_path: Path, map_file: Path):
    """A helper's attack (each row below once got past intake): the same signature once without consent, a
    consenting name that reads as a protected one in the other script, a row shifted by an unquoted delimiter,
    a rejected row before others (no gap in the numbering), a name archive.yaml publishes."""
    shifted = row("Piotr Shift", 6, city="Minsk")
    shifted[2:3] = ["Minsk", "extra"]  # an unquoted delimiter in City: every later cell moves right
    rows = [row("Ivan Piatrou", 1, "yes"), row("Ivan Piatrou", 1, "no"), row("Іван Пятроў", 2, "yes"),
            row("Pavel Latushka", 3, "no"), row("Maria Nowak", 4, "tak"), shifted, row("Jane Custodian", 7, "no")]
    config = (records / "archive.yaml").read_text(encoding="utf-8")
    (records / "archive.yaml").write_text(config.replace("description:", "# kept by Jane Custodian\ndescription:", 1)
                                          if "description:" in config else config + "# kept by Jane Custodian\n",
                                          encoding="utf-8")
    export = write_csv(tmp_path / "attack.csv", rows)
    report = taken(records, export, map_file, skip_invalid=True)
    assert sorted((item.row, item.code) for item in report.rejected) == [
        (5, "intake.name-is-public"), (7, "intake.row-width"), (8, "intake.name-is-public")]
    assert "private-mail" not in json.dumps(report.to_dict())
    assert report.new_entries == 3 and report.restricted == 2  # Ivan (no, once) and Іван (his name, in Cyrillic)
    positions = sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["position"]
                       for path in records.glob(f"signatories/{APPEAL}-000*.yaml"))
    assert positions == [9, 10, 11]
    validation = validate_records(records)
    assert validation.ok, validation.errors[:3]
    assert not any(b"private-mail" in data for data in files(records).values())


def test_new_writes_one_record_at_a_time_and_says_what_to_fill(records: Path):
    """`new signatory` takes the next position and the person the name already is; `new person --restricted`
    gives an id that names no one; what is written passes `fmt --check` and the schema."""
    result = CliRunner().invoke(main, ["new", "signatory", "--appeal", APPEAL, "--name", "Pavel Latushka",
                                       str(records), "--format", "json"])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["id"] == f"{APPEAL}-09"
    entry = yaml.safe_load((records / f"signatories/{APPEAL}-09.yaml").read_text(encoding="utf-8"))
    assert entry["position"] == 9 and entry["person"] == {"ref": "pavel-latushka", "name": "Pavel Latushka"}
    assert any("signatory_count" in item for item in report["fill"])
    result = CliRunner().invoke(main, ["new", "person", "--name", "Hidden Signer", "--restricted", str(records)])
    written = next(path for path in (records / "persons").glob("person-*.yaml"))
    assert result.exit_code == 0 and "hidden" not in written.name and "access: restricted" in written.read_text()
    assert CliRunner().invoke(main, ["fmt", "--check", str(records)]).exit_code == 0
    issues = validate_records(records).errors
    assert {issue.code for issue in issues} <= {"appeal.signatory-count", "quote.not-in-source"}
    refused = CliRunner().invoke(main, ["new", "signatory", "--appeal", "no-such-appeal", "--name", "X",
                                        str(records)])
    assert refused.exit_code == 2 and "new.unknown-appeal" in refused.output


@pytest.mark.parametrize(("words", "count"), [
    ("more than 1,000 participants in the demonstration", (1000, "more-than")),
    ("about 300 participants", (300, "about")), ("60 participants", (60, "exact")),
    ("fewer than 50", (50, "fewer-than")), ("Over 2 000 people", (2000, "more-than"))])
def test_a_rally_skeleton_keeps_the_count_as_printed(words: str, count: tuple[int, str]):
    from appeal_archive.records.skeleton import participants

    assert participants(words) == {"value": count[0], "qualifier": count[1], "as_printed": words}


def test_new_rally_writes_the_record_the_source_reports(records: Path):
    """Given the facts the capture prints, `new rally` writes the very record the archive holds for Warsaw."""
    (records / "rallies" / "warsaw-2023-05-21.yaml").rename(records / "warsaw.yaml")
    result = CliRunner().invoke(main, ["new", "rally", "--name", "a demonstration in Warsaw", "--date", "2023-05-21",
                                       "--date-as-printed", "May 21, 2023", "--city", "Warsaw", "--country", "PL",
                                       "--participants", "more than 1,000 participants in the demonstration",
                                       str(records)])
    assert result.exit_code == 0, result.output
    assert (records / "rallies" / "warsaw-2023-05-21.yaml").read_bytes() == (records / "warsaw.yaml").read_bytes()
    (records / "warsaw.yaml").unlink()
    assert validate_records(records).ok
    refused = CliRunner().invoke(main, ["new", "rally", "--name", "a rally", "--date", "2023-05-21", "--city", "X",
                                        "--country", "PL", "--participants", "hundreds of people", str(records)])
    assert refused.exit_code == 2 and "new.unreadable-count" in refused.output


def test_what_a_second_attacker_tried_is_settled(records: Path, tmp_path: Path, map_file: Path):
    """Each row below once got a signer who did not consent, or their e-mail, published: a refused row's "no"
    (a bad date) beside a valid "yes" of the same name; a refused row kept in the capture; a row with one
    blank cell too many; the same name reordered, romanized otherwise or with a patronymic beside a protected
    one; a protected name in the other script that the archive publishes (Natalya Zaderkovskaya)."""
    bad_date = row("Ivan Piatrou", 2, "no")
    bad_date[4] = "22.13.2023"
    extra = [*row("Piotr Shift", 3, "tak", city="Krakow"), ""]
    contact = row("Olek Contact", 4, "yes", comment="write to olek@mail.example")
    rows = [row("Ivan Piatrou", 1, "yes"), bad_date, row("Artsiom Brukhan", 5, "no", city="Secretville"),
            extra, contact, row("Hanna Zolatava", 6, "no"), row("Zolatava, Hanna", 7, "yes"),
            row("Ганна Залатава", 8, "yes"), row("Hanna Zalatava", 9, "yes"),
            row("Ганна Іванаўна Залатава", 10, "yes"), row("Наталья Задерковская", 11, "no"),
            row("Maria Nowak", 12, "tak")]
    export = write_csv(tmp_path / "second.csv", rows)
    report = taken(records, export, map_file, skip_invalid=True)
    assert sorted((item.row, item.code) for item in report.rejected) == [
        (3, "intake.bad-date"), (4, "intake.name-is-public"), (5, "intake.row-width"), (6, "intake.looks-personal"),
        (12, "intake.name-is-public")]
    public = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in records.glob(f"signatories/{APPEAL}-000*")]
    assert sorted(entry["as_printed"] for entry in public if entry.get("access") != "restricted") == ["Maria Nowak"]
    capture = (records / "sources" / f"{report.capture}.txt").read_text(encoding="utf-8")
    assert "Secretville" not in capture and "mail.example" not in capture
    validation = validate_records(records)
    assert validation.ok, validation.errors[:3]


@pytest.mark.parametrize("arguments", [
    ["person", "--name", "a" * 99 + " b" + "c" * 50], ["person", "--name", "Ivan\x07Bad"],
    ["rally", "--name", "a rally", "--date", "2023-13-45", "--city", "X", "--country", "PL", "--participants", "60"],
    ["rally", "--name", "a rally", "--date", "2023-05-21", "--city", "X", "--country", "Poland", "--participants",
     "60"],
    ["signatory", "--appeal", APPEAL, "--name", "X", "--source", "no-such-source"]])
def test_new_refuses_or_writes_only_what_validates_by_the_schema(records: Path, arguments: list[str]):
    result = CliRunner().invoke(main, ["new", *arguments, str(records)])
    if result.exit_code == 0:  # the long name: an id without a trailing hyphen
        assert all(not path.stem.endswith("-") for path in (records / "persons").glob("*.yaml"))
        assert not [issue for issue in validate_records(records).errors if issue.code.startswith("schema")]
    else:
        assert result.exit_code == 2 and "Traceback" not in result.output and "new." in result.output
