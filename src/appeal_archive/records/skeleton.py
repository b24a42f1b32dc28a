"""New records one at a time: a skeleton that the schema accepts, with the next position and an id that fits,
and the fields the archivist must still check or fill, said in words.

A skeleton is written by the record writer (writer.py), so `fmt --check` passes on it; what it quotes (the
name as given) must still be found in its source, which `validate` checks. A restricted person's id names no
one (ids are published with the records that refer to them): it is made from random bytes.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from appeal_archive.errors import EXIT_OK, EXIT_USAGE, fail
from appeal_archive.records.likeness import transliterated
from appeal_archive.records.text import text_problems
from appeal_archive.records.types import BY_NAME
from appeal_archive.records.writer import free_id, write_record

KINDS = ("signatory", "person", "organization", "rally")
# A count as printed: "more than 1,000 participants" -> more-than 1000 (the qualifier is never dropped).
_COUNT = re.compile(r"^(?:(?P<qualifier>about|around|some|over|more than|fewer than|less than|under)\s+)?"
                    r"(?P<value>\d{1,3}(?:[,\u00a0 ]\d{3})+|\d+)\b", re.I)
_QUALIFIERS = {"about": "about", "around": "about", "some": "about", "over": "more-than", "more than": "more-than",
               "fewer than": "fewer-than", "less than": "fewer-than", "under": "fewer-than"}


@dataclass
class NewRecordReport:
    """What `new` wrote, and what is left to do."""

    records_dir: str
    record_type: str
    id: str
    path: str
    fill: list[str] = field(default_factory=list)

    ok = True
    exit_code = EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, "records_dir": self.records_dir, "type": self.record_type, "id": self.id,
                "path": self.path, "fill": self.fill, "issues": []}


def slug(name: str) -> str:
    """An id from a name: its Latin letters, lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", transliterated(name)).strip("-")[:100].strip("-")


def participants(as_printed: str) -> dict[str, Any]:
    """A count of participants from its words as printed, its qualifier kept ("about 300", "more than 1,000")."""
    found = _COUNT.match(as_printed.strip())
    if not found:
        raise fail("new.unreadable-count", f"{as_printed!r} does not begin with a number, or with about, more than "
                   "or fewer than and a number", 'give the words as printed, e.g. --participants "more than 1,000 '
                   'participants"', exit_code=EXIT_USAGE)
    qualifier = _QUALIFIERS.get((found["qualifier"] or "").lower(), "exact")
    return {"value": int(re.sub(r"\D", "", found["value"])), "qualifier": qualifier, "as_printed": as_printed.strip()}


def new_record(records_dir: str | os.PathLike, record_type: str, name: str, *, appeal: str | None = None,
               source: str | None = None, restricted: bool = False,
               rally: dict[str, str] | None = None) -> NewRecordReport:
    """Write a skeleton of `record_type` for `name` into the records folder."""
    from appeal_archive.records.validate import check_records

    if record_type not in KINDS:
        raise fail("new.unknown-type", f"`new` makes {', '.join(KINDS)} records, not {record_type!r}",
                   "copy a record of that type and edit it", exit_code=EXIT_USAGE)
    if not name.strip():
        raise fail("new.no-name", "the name is empty", 'give --name "..." as the source prints it',
                   exit_code=EXIT_USAGE)
    problem = next((problem for problem in text_problems(name.strip()) if problem.severity == "error"), None)
    if problem is not None or "\n" in name:
        raise fail("new.bad-name", f"the name {problem.message if problem else 'holds a line break'}",
                   problem.hint if problem else "give the name on one line", exit_code=EXIT_USAGE)
    _, record_set = check_records(records_dir, keep_data=True)
    records = [record for record in record_set.records if record.data is not None]
    taken = {(record.record_type, record.id) for record in records}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record.record_type, []).append(record.data)
    fill: list[str] = []
    if record_type == "signatory":
        data = _signatory(by_type, name, appeal, source, fill)
    elif record_type == "rally":
        data = _rally(by_type, name, source, rally or {}, fill)
    else:
        chosen = _source(by_type, source, None, f"names the {record_type}")
        data = {"id": f"{record_type}-{secrets.token_hex(4)}" if restricted else slug(name) or record_type,
                "type": record_type, **({"access": "restricted"} if restricted else {}), "names": [name.strip()],
                "sources": [chosen]}
        fill += [f"names: every spelling the sources print (this one must be printed in {chosen})",
                 "sources: every source record that names it"]
    if restricted and record_type == "signatory":
        data["access"] = "restricted"
        fill[:] = [item.replace("new person --name", "new person --restricted --name") for item in fill]
    data["id"] = free_id(data["id"], lambda candidate: (record_type, candidate) in taken
                         or (Path(records_dir) / BY_NAME[record_type].path_of(candidate)).exists())
    try:
        BY_NAME[record_type].model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        raise fail("new.invalid", f"the {record_type} would not be valid: {where}: {first['msg']}",
                   "give the value as the schema describes it (`appeal-archive schema`, docs/records.md)",
                   exit_code=EXIT_USAGE) from error
    write_record(records_dir, data)
    return NewRecordReport(os.fspath(records_dir), record_type, data["id"],
                           f"{os.fspath(records_dir).rstrip('/')}/{BY_NAME[record_type].path_of(data['id'])}",
                           [*fill, f"then: appeal-archive validate {os.fspath(records_dir)}"])


def _signatory(by_type: dict[str, list[dict[str, Any]]], name: str, appeal: str | None, source: str | None,
               fill: list[str]) -> dict[str, Any]:
    appeals = {entry["id"]: entry for entry in by_type.get("appeal", [])}
    if appeal not in appeals:
        raise fail("new.unknown-appeal", f"there is no appeal {appeal!r}",
                   f"give --appeal with one of: {', '.join(sorted(appeals)) or '(none)'}", exit_code=EXIT_USAGE)
    entries = [entry for entry in by_type.get("signatory", []) if entry["appeal"] == appeal]
    position = max([0, *(entry["position"] for entry in entries)]) + 1
    quoted = _source(by_type, source, appeals[appeal]["source"], "prints the entry")
    width = max([2, *(len(entry["id"].rsplit("-", 1)[-1]) for entry in entries if entry["id"].startswith(appeal))])
    data: dict[str, Any] = {"id": f"{appeal}-{position:0{width}d}", "type": "signatory", "appeal": appeal,
                            "position": position, "source": quoted, "as_printed": name.strip()}
    persons = {printed: entry["id"] for entry in by_type.get("person", []) for printed in entry["names"]}
    if name.strip() in persons:
        data["person"] = {"ref": persons[name.strip()], "name": name.strip()}
    else:
        fill.append(f'person: add the person (appeal-archive new person --name "{name.strip()}"), then '
                    "person: {ref, name} in the entry")
    fill.insert(0, f"as_printed: the whole entry exactly as {quoted} prints it, without its number")
    if quoted == appeals[appeal]["source"]:
        fill.append(f"signatory_count in appeals/{appeal}.yaml: {appeals[appeal]['signatory_count'] + 1}, if the "
                    "appeal's own source prints this entry")
    return data


def _rally(by_type: dict[str, list[dict[str, Any]]], name: str, source: str | None, facts: dict[str, str],
           fill: list[str]) -> dict[str, Any]:
    missing = [option for option in ("date", "city", "country", "participants") if not facts.get(option)]
    if missing:
        raise fail("new.rally-facts", f"a rally needs {', '.join('--' + option for option in missing)}",
                   'give them as the source prints them, e.g. --date 2023-05-21 --city Warsaw --country PL '
                   '--participants "more than 1,000 participants"', exit_code=EXIT_USAGE)
    try:
        date.fromisoformat(facts["date"])
    except ValueError as error:
        raise fail("new.invalid", f"the rally's date {facts['date']!r} is no date", "give it as YYYY-MM-DD",
                   exit_code=EXIT_USAGE) from error
    quoted = _source(by_type, source, None, "reports the rally")
    fill += [f"as_printed, date_as_printed, city and participants: the words exactly as {quoted} prints them",
             "then the appeal's adoption.rally (or similar_appeals.rallies), if it was adopted there"]
    return {"id": slug(f"{facts['city']}-{facts['date']}"), "type": "rally", "source": quoted,
            "as_printed": name.strip(), "date": facts["date"], "date_as_printed": facts.get("date_as_printed")
            or facts["date"], "city": facts["city"], "country": facts["country"],
            "participants": participants(facts["participants"])}


def _source(by_type: dict[str, list[dict[str, Any]]], given: str | None, default: str | None, what: str) -> str:
    """The source record a new record quotes: the one given, else `default`, else the first by id."""
    known = sorted(entry["id"] for entry in by_type.get("source", []))
    chosen = given or default or next(iter(known), None)
    if chosen is None or chosen not in known:
        raise fail("new.unknown-source", f"there is no source {chosen!r} that {what}",
                   "give --source with the id of the source record that prints it", exit_code=EXIT_USAGE)
    return chosen
