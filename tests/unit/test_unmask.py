"""A restricted name in disguise is still found (unmask.py), and a public record that carries one is an error
(access.py): random compositions of the disguises an attacker used, on every restricted name (hypothesis)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import unicodedata
import urllib.parse

import pytest
from conftest import REAL_RECORDS
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.records.access import exposure_issues
from appeal_archive.records.checks import Locations
from appeal_archive.records.unmask import NameFinder
from appeal_archive.records.validate import check_records

RESTRICTED = {"persons": ("alexander-azarov", "volha-paulava")}
NAMES = {"Alexander Azarov": "person alexander-azarov", "Volha Paulava": "person volha-paulava",
         "Вольга Паўлава": "person volha-paulava"}
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\u034f", "\ufe0f", "\ufe00", "\U000e0041",
             "\U000e0020", "\u180e", "\u2061"]
# Letters that look like others, from other scripts (test data: which letters unmask.py maps is ICU's business).
LOOK_ALIKES = {"A": "АΑᴀ🅐🅰🇦", "a": "а", "e": "е", "o": "оο", "p": "р", "c": "с", "x": "х", "y": "у", "E": "ЕΕ",
               "O": "ОΟ", "P": "РΡ", "C": "С", "H": "НΗ", "K": "КΚ", "M": "МΜ", "T": "ТΤ", "B": "ВΒ", "i": "і",
               "Z": "Ζᴢ🅩🆉🇿", "V": "Ѵᴠ🅥🆅🇻", "v": "ν", "а": "a", "о": "oο", "В": "B", "О": "OΟ", "П": "∏Π", "А": "AΑ",
               "Л": "Ʌ"}
SEPARATORS = [" ", "", "\u00a0", "_", ".", " \n  ", "\u2002", "\u3000"]
ACCENTS = ["\u0301", "\u0300", "\u0308", "\u0302", "\u030c", "\u0327", "\u0328", "\u0306"]


@st.composite
def disguised(draw, name: str, continuation: str = "") -> str:
    """`name` written as a reader still reads it: case changed, letters swapped for look-alikes, accents, full-width
    forms, invisible characters between letters, another separator between words, then some characters as HTML
    references or percent-encoding, then a word hyphenated across a line end (`continuation` starts the next
    line, e.g. "# " in a YAML comment)."""
    units: list[str] = []
    words = name.split(" ")
    separator = draw(st.sampled_from(SEPARATORS))
    for number, word in enumerate(words):
        if number:
            units.append(separator)
        for letter in word:
            case = draw(st.integers(0, 5))
            letter = letter.upper() if case == 0 else letter.lower() if case == 1 else letter
            if draw(st.integers(0, 4)) == 0 and letter in LOOK_ALIKES:  # what looks like the letter as written
                letter = draw(st.sampled_from(LOOK_ALIKES[letter]))
            if draw(st.integers(0, 6)) == 0:  # an accent, combining or (in NFC) precomposed
                letter = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])),
                                               letter + draw(st.sampled_from(ACCENTS)))
            if draw(st.integers(0, 9)) == 0 and len(letter) == 1 and "a" <= letter.lower() <= "z":
                letter = chr(ord(letter) + 0xFEE0)  # full width
            units.append(letter)
            if draw(st.integers(0, 3)) == 0:
                units.append("".join(draw(st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=3))))
    encoded = []
    for unit in units:
        how = draw(st.integers(0, 7)) if unit and "\n" not in unit else 7
        if how == 0:
            unit = "".join(f"&#{ord(character)};" for character in unit)
        elif how == 1:
            unit = "".join(f"&#x{ord(character):x};" for character in unit)
        elif how == 2:
            unit = urllib.parse.quote(unit, safe="")
        elif how == 3 and unit == " ":
            unit = "&nbsp;"
        encoded.append(unit)
    letters = [index for index in range(1, len(encoded)) if encoded[index - 1][-1:].isalpha()
               and encoded[index][:1].isalpha()]
    if letters and draw(st.booleans()):
        at = draw(st.sampled_from(letters))
        encoded.insert(at, draw(st.sampled_from(["-", "\u00ad", "\u2010"])) + "\n" + continuation)
    return "".join(encoded)


EXAMPLES = int(os.environ.get("APPEAL_ARCHIVE_EXAMPLES", "150"))  # a longer search: APPEAL_ARCHIVE_EXAMPLES=4000


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_every_disguise_of_a_restricted_name_is_found(data):
    name = data.draw(st.sampled_from(sorted(NAMES)))
    text = data.draw(disguised(name))
    found = NameFinder(NAMES).first_in(f"A line before.\nWritten by {text} in May.\nA line after.")
    assert found is not None and found.whose == NAMES[name], repr(text)
    assert found.line == 2


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    """The real records with two persons restricted, scanned once: (records, restricted, folder, locations)."""
    records = tmp_path_factory.mktemp("unmask") / "records"
    shutil.copytree(REAL_RECORDS, records)
    for folder, ids in RESTRICTED.items():
        for record_id in ids:
            path = records / folder / f"{record_id}.yaml"
            path.write_text(path.read_text().replace("type: person\n", "type: person\naccess: restricted\n", 1))
    report, record_set = check_records(records, keep_data=True)
    assert report.ok, report.errors
    return record_set.records, record_set.restricted, records, Locations(records, "records", record_set.records)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_a_public_record_whose_comment_holds_a_disguised_name_is_an_error(scanned, data):
    """The comment is published with the record's file: validation refuses it, naming the file and its line."""
    records, restricted, folder, locations = scanned
    name = data.draw(st.sampled_from(["Alexander Azarov", "Volha Paulava"]))
    comment = data.draw(disguised(name, continuation="# "))
    public = next(record for record in records if record.path == "persons/anatoly-latushka.yaml")
    lines = public.raw.decode().count("\n")
    changed = dataclasses.replace(public, raw=public.raw + f"# {comment}\n".encode())
    issues = exposure_issues([changed if record is public else record for record in records], restricted, folder,
                             locations)
    found = [issue for issue in issues if issue.code == "access.names-restricted"]
    assert [issue.file for issue in found] == ["records/persons/anatoly-latushka.yaml"], (repr(comment), issues)
    assert found[0].line == lines + 1


def test_the_public_records_name_no_one_restricted(scanned):
    """No false alarm: the real public records quote no restricted name, disguised or not."""
    records, restricted, folder, locations = scanned
    assert exposure_issues(records, restricted, folder, locations) == []


def test_a_restricted_persons_surname_alone_is_found_in_any_of_its_disguises():
    """Found by an attacker of issue 17: a surname with accents, spread out, glued to digits, in the plural."""
    finder = NameFinder({"Volha Paulava": "person volha-paulava"}, {"Paulava": "person volha-paulava"})
    for text in ["sources/paulava-statement.txt", "Páulava", "P.a.u.l.a.v.a", "P a u l a v a", "Pau lava",
                 "paulava1-letter", "statement-2023paulava.txt", "the Paulavas", "Ms Paulavai", "ᴘᴀᴜʟᴀᴠᴀ",
                 "🅟🅐🅤🅛🅐🅥🅐", "\\u0050aulava", "<b>Pau</b>lava", "#FreePaulava", "#JusticeForVolhaPaulava",
                 "#justiceforvolhapaulava", "the Paulavaykh"]:
        assert finder.first_in(text) is not None, text
    for text in ["Volha Kavalenka, Minsk", "Born on the Volha river.", "Paul Avant", "Pauline Avalanche",
                 "Paulavalandia"]:
        assert finder.first_in(text) is None, text
    common = NameFinder({"Maria Green": "person maria-green"}, {"Green": "person maria-green"})
    assert common.first_in("the Greens") and not common.first_in("Greenland") and not common.first_in("greenhouse")


def test_the_surnames_searched_alone_are_restricted_persons_last_names_no_public_one_shares(scanned):
    from appeal_archive.records.access import distinctive_words

    records, restricted, _, _ = scanned
    assert distinctive_words(records, restricted) == {"Azarov": "person alexander-azarov",
                                                      "Paulava": "person volha-paulava"}


def test_joined_letters_count_only_from_a_word_start_to_a_word_end():
    finder = NameFinder({"Ann Lee": "person ann-lee"})
    assert finder.first_in("AnnLee") and finder.first_in("A.n.n L.e.e") and finder.first_in("ann_lee")
    assert finder.first_in("Joann Leeds") is None and finder.first_in("Annlees") is None
