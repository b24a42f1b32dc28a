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
from typing import Any

from appeal_archive.errors import EXIT_OK, EXIT_USAGE, fail
from appeal_archive.records.likeness import transliterated
from appeal_archive.records.types import BY_NAME
from appeal_archive.records.writer import write_record

KINDS = ("signatory", "person", "organization")


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
    return re.sub(r"[^a-z0-9]+", "-", transliterated(name)).strip("-")[:100]


def new_record(records_dir: str | os.PathLike, record_type: str, name: str, *, appeal: str | None = None,
               source: str | None = None, restricted: bool = False) -> NewRecordReport:
    """Write a skeleton of `record_type` for `name` into the records folder."""
    from appeal_archive.records.validate import check_records

    if record_type not in KINDS:
        raise fail("new.unknown-type", f"`new` makes {', '.join(KINDS)} records, not {record_type!r}",
                   "copy a record of that type and edit it", exit_code=EXIT_USAGE)
    if not name.strip():
        raise fail("new.no-name", "the name is empty", 'give --name "..." as the source prints it',
                   exit_code=EXIT_USAGE)
    _, record_set = check_records(records_dir, keep_data=True)
    records = [record for record in record_set.records if record.data is not None]
    taken = {(record.record_type, record.id) for record in records}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record.record_type, []).append(record.data)
    fill: list[str] = []
    if record_type == "signatory":
        data = _signatory(by_type, name, appeal, source, fill)
    else:
        known = {entry["id"] for entry in by_type.get("source", [])}
        chosen = source or next(iter(sorted(known)), None)
        if chosen is None or chosen not in known:
            raise fail("new.unknown-source", f"there is no source {chosen!r} to name the {record_type}",
                       "give --source with the id of the source record that prints the name", exit_code=EXIT_USAGE)
        data = {"id": f"{record_type}-{secrets.token_hex(4)}" if restricted else slug(name) or record_type,
                "type": record_type, **({"access": "restricted"} if restricted else {}), "names": [name.strip()],
                "sources": [chosen]}
        fill += [f"names: every spelling the sources print (this one must be printed in {chosen})",
                 "sources: every source record that names it"]
    if restricted and record_type == "signatory":
        data["access"] = "restricted"
    base, number = data["id"], 1
    while (record_type, data["id"]) in taken:
        number += 1
        data["id"] = f"{base}-{number}"
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
    quoted = source or appeals[appeal]["source"]
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
