"""Synthetic record sets for benchmarks and scale tests: N signatories, each with a person record.

The set is valid under the schema: one appeal, one rally, a few organizations, and a petition export
(one text source of N numbered lines, Latin and Cyrillic names, Polish and Lithuanian letters) that
every entry quotes. Deterministic for a given N and seed. Clearly marked as synthetic.

    python bench/generate.py 10000 bench/out/10k/records
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
from pathlib import Path

from appeal_archive.records.types import RECORD_TYPES
from appeal_archive.records.writer import write_config, write_record

GIVEN = ["Aliaksandr", "Volha", "Siarhei", "Hanna", "Pavel", "Iryna", "Maksim", "Natalla", "Jan", "Małgorzata",
         "Łukasz", "Żaneta", "Jonas", "Rūta", "Vytautas", "Gintarė", "Dzmitry", "Alena", "Andrej", "Kaciaryna"]
FAMILY = ["Kavalenka", "Novik", "Šemiakin", "Bialiacki", "Kołodziej", "Wróbel", "Kazlauskas", "Petrauskienė",
          "Žukauskas", "Jankoŭski", "Łapko", "Dziadok", "Sałaviej", "Ščarbak", "Mickevič", "Grigaitė"]
GIVEN_CYR = ["Аляксандр", "Вольга", "Сяргей", "Ганна", "Павел", "Ірына", "Максім", "Наталля", "Андрэй", "Алена"]
FAMILY_CYR = ["Каваленка", "Новік", "Шэўчык", "Бяляцкі", "Дзядок", "Лапко", "Салавей", "Шчарбак", "Мацкевіч", "Ўласаў"]
CITIES = ["Minsk", "Hrodna", "Brest", "Vilnius", "Warszawa", "Białystok", "Kaunas", "Мінск", "Гродна", "Гомель"]
ORGANIZATIONS = ["Coordination Council of Belarus", "Museum of Free Belarus", "Belarusian diaspora in Lithuania",
                 "Association of Belarusians in Poland"]
# Surnames are made unique (as a real petition's names mostly are: a repeated name would let a short quote be
# found near the start of the export and hide the cost of finding one near its end): a stem spelling the
# signatory's number in syllables, then a common ending.
SYLLABLES = ["ka", "lo", "vi", "ra", "mi", "su", "no", "te", "bu", "da", "ze", "po", "ly", "ša", "čo", "ŭe"]
SYLLABLES_CYR = ["ка", "ло", "ві", "ра", "мі", "су", "но", "це", "бу", "да", "зе", "по", "лы", "ша", "чо", "ўе"]
ENDINGS = ["enka", "ski", "auskas", "ovič", "uk", "ienė"]
ENDINGS_CYR = ["енка", "скі", "овіч", "ук", "ёнак"]
SOURCE_ID = "synthetic-petition-export"
APPEAL_ID = "synthetic-appeal"


def slug(index: int) -> str:
    return f"p{index:07d}"


def unique_surname(index: int, syllables: list[str], ending: str) -> str:
    """Five syllables spelling the index in base 16, lowest digit first (a million signatories), then the ending."""
    digits = [(index >> shift) & 15 for shift in (0, 4, 8, 12, 16)]
    return ("".join(syllables[digit] for digit in digits) + ending).capitalize()


def entries(count: int, seed: int) -> list[tuple[str, str, str | None]]:
    """(entry as printed, name as printed, organization or None) for each signatory."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        if index % 3 == 2:
            name = f"{rng.choice(GIVEN_CYR)} {unique_surname(index, SYLLABLES_CYR, rng.choice(ENDINGS_CYR))}"
        else:
            name = f"{rng.choice(GIVEN)} {unique_surname(index, SYLLABLES, rng.choice(ENDINGS))}"
        organization = rng.choice(ORGANIZATIONS) if index % 7 == 0 else None
        entry = (f"Member of the {organization} {name}" if organization else f"{name}, {rng.choice(CITIES)}")
        result.append((entry, name, organization))
    return result


def source_text(rows: list[tuple[str, str, str | None]]) -> str:
    lines = ["SYNTHETIC PETITION EXPORT - generated for benchmarks, not a real document", "",
             "Appeal for the release of political prisoners", "",
             "Adopted at a rally in Vilnius on May 21, 2023 (about 300 participants).", "",
             "Signed by:", ""]
    lines += [f"{number}. {entry}" for number, (entry, _, _) in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


def protected_name(number: int, name: str) -> str:
    """A restricted signatory's name, made unique so that no public signatory shares it (a homonym would be
    refused as a public record quoting a restricted name)."""
    given, family = name.split(" ", 1)
    return f"{given} Protected{number:07d} {family}"


def write(count: int, target: Path, seed: int = 2023, restricted_every: int = 0) -> Path:
    """The record set; with `restricted_every` n, every n-th signatory's person is restricted."""
    if target.exists():
        shutil.rmtree(target)
    for record_type in RECORD_TYPES:
        (target / record_type.folder).mkdir(parents=True)
    rows = entries(count, seed)
    if restricted_every:
        rows = [(entry.replace(name, protected_name(number, name)), protected_name(number, name), organization)
                if number % restricted_every == 0 else (entry, name, organization)
                for number, (entry, name, organization) in enumerate(rows, 1)]
    text = source_text(rows).encode("utf-8")
    (target / "sources" / "petition-export.txt").write_bytes(text)
    write_config(target, {"type": "archive", "archival_id": "SYNTHETIC-BENCH",
                          "title": "Synthetic record set for benchmarks", "custodian": "appeal-archive project",
                          "contact": {"name": "Custodian of the synthetic set", "email": "custodian@example.org"}})
    write_record(target, {"id": SOURCE_ID, "type": "source",
                          "title": f"Synthetic petition export ({count} signatories)",
                          "file": "petition-export.txt", "sha256": hashlib.sha256(text).hexdigest(),
                          "media_type": "text/plain; charset=utf-8", "language": "en",
                          "capture": {"kind": "other", "publisher_url": "unknown", "captured_on": "unknown",
                                      "description": f"Generated by bench/generate.py with seed {seed}; not a real "
                                                     "document."}})
    write_record(target, {"id": APPEAL_ID, "type": "appeal", "source": SOURCE_ID,
                          "title": "Appeal for the release of political prisoners", "language": "en",
                          "addressees": ["Appeal for the release of political prisoners"], "body": ["Signed by"],
                          "demands": [{"number": 1, "text": "release of political prisoners"}],
                          "adoption": {"as_printed": "Adopted at a rally in Vilnius on May 21, 2023",
                                       "date": "2023-05-21", "date_as_printed": "May 21, 2023",
                                       "rally": "synthetic-rally"},
                          "signatory_count": count})
    write_record(target, {"id": "synthetic-rally", "type": "rally", "source": SOURCE_ID,
                          "as_printed": "a rally in Vilnius", "date": "2023-05-21", "date_as_printed": "May 21, 2023",
                          "city": "Vilnius", "country": "LT",
                          "participants": {"value": 300, "qualifier": "about", "as_printed": "about 300 participants"}})
    org_ids = {name: name.lower().replace(" ", "-") for name in ORGANIZATIONS}
    for name, org_id in org_ids.items():
        write_record(target, {"id": org_id, "type": "organization", "names": [name], "sources": [SOURCE_ID]})
    for number, (entry, name, organization) in enumerate(rows, 1):
        person = slug(number)
        signatory = {"id": f"s{number:07d}", "type": "signatory", "appeal": APPEAL_ID, "position": number,
                     "source": SOURCE_ID, "as_printed": entry, "person": {"ref": person, "name": name}}
        if organization:
            signatory["capacities"] = [{"role": f"Member of the {organization}",
                                        "organization": {"ref": org_ids[organization], "name": organization}}]
        write_record(target, signatory, durable=False)
        restricted = {"access": "restricted"} if restricted_every and number % restricted_every == 0 else {}
        write_record(target, {"id": person, "type": "person", **restricted, "names": [name], "sources": [SOURCE_ID]},
                     durable=False)
    return target


def beside_real_records(real: Path, count: int, target: Path) -> Path:
    """The real records at `target` with a synthetic appeal of `count` signatories beside them: a set above a size
    (2,000 records, where the PDF carries them in ZIPs) in which every file of the real records is where it was."""
    shutil.copytree(real, target)
    synthetic = write(count, target.parent / f"{target.name}-synthetic")
    for path in synthetic.rglob("*.yaml"):
        relative = path.relative_to(synthetic)
        if relative.parent != Path(".") and not (target / relative).exists():
            shutil.copy(path, target / relative)
    shutil.copy(synthetic / "sources" / "petition-export.txt", target / "sources")
    shutil.rmtree(synthetic)
    return target


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
