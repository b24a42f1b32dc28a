"""Intake: a petition export (CSV or XLSX) -> signatory entries, persons and the capture they quote.

Each row becomes one signatory entry of the appeal, numbered after its existing entries in the export's row
order, and names a person (one record per distinct name; a name the archive already has is that person). The
entries and persons quote a capture of the export written beside the other source documents: only the mapped
columns, row by row, so that `validate` proves every name, date, place and comment against it like any other
quote. The columns that are not mapped (e-mail, IP address, phone) are never read past the header.

Private by default: a row is public only when its publish cell is one of the map's `publish_values`; every
other row's entry and person say `access: restricted`. Homonyms are settled before anything is written, by the
very search that `validate` makes (access.py) and by comparing names as their transliterated consonants in no
order (another order, script or romanization, which that search does not read as the same name): a consenting
signer whose name gives a protected person away is withheld too, with the reason in the record, and a row
whose restriction a public record would undo is rejected. Rows already in the archive (the same mapped cells)
are not taken again, so running intake twice writes nothing and a grown export adds only its new rows. Nothing
is written when a row is invalid, unless `skip_invalid`; what was written is removed again if writing fails
half way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appeal_archive.errors import Issue, fail
from appeal_archive.progress import Progress
from appeal_archive.records.access import name_finder, name_in_record
from appeal_archive.records.capture import capture_source, capture_text, export_date
from appeal_archive.records.exports import Export, read_export
from appeal_archive.records.likeness import likenesses, name_key, name_shape
from appeal_archive.records.recordset import Reference, ScannedRecord
from appeal_archive.records.salts import read_ledger, salt_new
from appeal_archive.records.signatures import (
    NOT_CONSENTED,
    ColumnMap,
    IntakeReport,
    Rejection,
    Signature,
    checked_map,
    default_map,
    homonym_note,
    read_map,
    read_signatures,
    reject_file_path,
    write_rejects,
)
from appeal_archive.records.types import BY_NAME
from appeal_archive.records.unmask import Found, NameFinder
from appeal_archive.records.writer import free_id, record_yaml, write_new, write_record
from appeal_archive.workers import forked_map, usable_cores

# --- the plan ---------------------------------------------------------------------------------------


@dataclass
class _Person:
    id: str
    name: str
    rows: list[int]
    restricted: bool
    existing: bool
    numbered: bool = False


@dataclass
class _Entry:
    signature: Signature
    position: int
    id: str
    person: _Person
    note: str | None = None  # why it is restricted

    @property
    def restricted(self) -> bool:
        return self.note is not None


def intake(export_path: str | Path, appeal_id: str, records_dir: str | os.PathLike = "records", *,
           map_path: str | Path | None = None, encoding: str | None = None, sheet: str | None = None,
           dry_run: bool = False, skip_invalid: bool = False, progress: Progress | None = None,
           environ: dict[str, str] | None = None) -> IntakeReport:
    """Take a petition export into the records folder (see the module's description). Raises
    AppealArchiveError when it cannot run: an unreadable export or map, an unknown appeal."""
    from appeal_archive.records.validate import load_record_set

    progress = progress or Progress()
    mapping = read_map(map_path) if map_path is not None else None
    export = read_export(export_path, encoding, sheet)
    mapping = mapping or checked_map(default_map(export.header), None)
    report = IntakeReport(str(export.path), os.fspath(records_dir), appeal_id, dry_run=dry_run,
                          rows=len(export.rows), skipped_invalid=skip_invalid)
    reading = read_signatures(export, mapping, progress)
    signatures, report.rejected, report.warnings = reading.signatures, reading.problems, reading.notices
    export.let_go_of_rows()
    if any(rejection.row == 1 for rejection in report.rejected):
        report.skipped_invalid = False  # a missing column fails every row: nothing to take
        return report
    progress.stage(f"{records_dir}: reading the records")
    validation, record_set = load_record_set(records_dir, keep_data=True, salt=False, progress=progress)
    if record_set is None:
        report.issues = [Issue("intake.records-invalid", f"{records_dir} does not validate: fix it first, so that "
                               "what intake adds can be checked", file=os.fspath(records_dir),
                               hint="run `appeal-archive validate` and fix what it reports"),
                         *validation.errors[:20]]
        return report
    plan = _Plan(record_set.records, record_set.restricted, appeal_id, export, mapping,
                 export_date(os.environ if environ is None else environ))
    plan.config = record_set.config_record
    plan.take(signatures, report, reading.withheld_names)
    progress.stage("settling who may be published")
    plan.settle(report)
    while plan.number():  # rows refused while settling move the ones after them: what is written is settled
        plan.settle(report)
    if report.rejected and not skip_invalid:
        return report
    if skip_invalid and report.rejected:
        report.reject_file = os.fspath(reject_file_path(export.path))
        if not dry_run:
            write_rejects(Path(report.reject_file), export, report.rejected)
    report.new_entries, report.new_persons = len(plan.entries), sum(not person.existing for person in plan.persons)
    report.restricted = sum(entry.restricted for entry in plan.entries)
    report.matched_persons = len({person.id for person in plan.persons if person.existing})
    report.capture = plan.capture_id if plan.entries else None
    if plan.entries and not dry_run:
        progress.stage(f"{records_dir}: writing {len(plan.entries):,} entries")
        report.written = plan.write(Path(records_dir))
    return report


class _Plan:
    """The records a set of signatures becomes, settled before any is written."""

    def __init__(self, records: list[ScannedRecord], restricted: dict[str, str], appeal_id: str, export: Export,
                 mapping: ColumnMap, today: str):
        self.records, self.restricted_paths = records, restricted
        self.export, self.mapping, self.today = export, mapping, today
        self.appeal = next((record for record in records if record.record_type == "appeal"
                            and record.id == appeal_id), None)
        if self.appeal is None:
            known = sorted(record.id for record in records if record.record_type == "appeal" and record.id)
            raise fail("intake.unknown-appeal", f"there is no appeal {appeal_id!r} in the records",
                       f"give one of: {', '.join(known) or '(none: add the appeal record first)'}",
                       file=str(export.path))
        self.appeal_id = appeal_id
        # The capture is the export read through this map: another map makes another capture.
        made_from = json.dumps([export.sha256, mapping.columns, mapping.date_format], sort_keys=True)
        self.capture_id = f"{appeal_id}-export-{hashlib.sha256(made_from.encode()).hexdigest()[:12]}"
        self.texts: dict[bytes, bytes] = {}
        self.ids = {(record.record_type, record.id) for record in records}
        self.entries: list[_Entry] = []
        self.persons: list[_Person] = []
        self.taken: list[Signature] = []  # every valid row, as the capture prints it
        self.config: ScannedRecord | None = None  # archive.yaml, which is published too
        self.withheld_names: set[str] = set()  # of refused rows whose signer did not consent
        self.first_position = 1

    def _existing_entries(self) -> Iterator[dict[str, Any]]:
        for record in self.records:
            if record.record_type == "signatory" and record.appeal == self.appeal_id:
                yield record.data

    def take(self, signatures: list[Signature], report: IntakeReport, withheld_names: set[str]) -> None:
        """Number the new signatures and give each a person; rows already in the archive, or twice in the
        export, are not taken again."""
        known: dict[tuple[str, ...], tuple[str, bool]] = {}  # key -> the entry's id, and whether it is public
        last = 0
        for data in self._existing_entries():
            last = max(last, data["position"])
            known[tuple(name_key(value or "") for value in (
                data["as_printed"], (data.get("place") or {}).get("city"), (data.get("place") or {}).get("country"),
                (data.get("signed") or {}).get("as_printed"), data.get("comment")))] = (
                data["id"], data.get("access", "public") == "public"
                and f"signatories/{data['id']}.yaml" not in self.restricted_paths)
        self.first_position = last + 1
        kept: dict[tuple[str, ...], _Entry] = {}
        persons_by_name: dict[str, _Person] = {}
        for record in self.records:
            if record.record_type == "person" and record.id:
                for name in record.names:
                    persons_by_name.setdefault(name_key(name), _Person(
                        record.id, name, [], record.path in self.restricted_paths, existing=True))
        first_row: dict[tuple[str, ...], int] = {}
        same: dict[int, list[int]] = defaultdict(list)
        self.taken = signatures
        for signature in signatures:
            key = signature.key
            if key in known:
                report.already_in_archive += 1
                entry_id, public = known[key]
                if public and not signature.consents:
                    report.warnings.append(Rejection(
                        signature.row, self.mapping.columns.get("publish"), "intake.consent-withdrawn",
                        f"the row was taken before as the public entry {entry_id}, and its publish cell no longer "
                        "gives consent", f"restrict the entry and its person by hand (access: restricted in "
                        f"signatories/{entry_id}.yaml), then build the public edition again", "warning"))
                continue
            if key in first_row:
                same[first_row[key]].append(signature.row)
                if not signature.consents:  # the same signature, once without consent: it is not given
                    kept[key].note = NOT_CONSENTED
                continue
            first_row[key] = signature.row
            last += 1
            entry_id = self._free_id("signatory", f"{self.appeal_id}-{last:05d}")
            person = persons_by_name.get(name_key(signature.name))
            if person is None:
                person = _Person(self._free_id("person", f"{self.appeal_id}-signer-{last:05d}"), signature.name, [],
                                 restricted=False, existing=False)
                persons_by_name[name_key(signature.name)] = person
                self.persons.append(person)
            elif not person.rows:  # an existing person, named for the first time in this export
                self.persons.append(person)
            person.rows.append(signature.row)
            self.entries.append(_Entry(signature, last, entry_id, person,
                                       None if signature.consents else NOT_CONSENTED))
            kept[key] = self.entries[-1]
        self.withheld_names = withheld_names
        refused = {name_key(name) for name in withheld_names}
        for entry in self.entries:  # a refused row without consent still withholds its name
            if name_key(entry.signature.name) in refused and not entry.restricted:
                entry.note = homonym_note("signer of a refused row of the same name, who did not consent")
        names = {signature.row: signature.name for signature in signatures}
        report.duplicates = [{"rows": [row, *rows], "names": [names[row]], "reason": "the same signature (the same "
                              "mapped cells): taken once"} for row, rows in sorted(same.items())]
        for person in self.persons:
            if len(person.rows) > 1 or person.existing:
                reason = ("the name of a person the archive has: taken as that person" if person.existing else
                          "the same name on different signatures: one person record (split it if they are two "
                          "people)")
                report.possible_duplicates.append({"rows": person.rows, "names": [person.name], "reason": reason})
        rows_by_key = defaultdict(list)
        for entry in self.entries:
            rows_by_key[name_key(entry.signature.name)].append(entry.signature.row)
        existing_names = {name_key(name) for record in self.records if record.record_type == "person"
                          for name in record.names}
        for likeness in likenesses([*rows_by_key, *existing_names]):
            persons = sorted(persons_by_name[name].id for name in likeness.names if name in existing_names)
            if any(name in rows_by_key for name in likeness.names):
                report.possible_duplicates.append({
                    "rows": sorted(row for name in likeness.names for row in rows_by_key.get(name, [])),
                    "names": list(likeness.names), "reason": likeness.reason,
                    **({"persons": persons} if persons else {})})

    def number(self) -> bool:
        """Positions and ids in row order, once settling has left out the rows it rejected: no gap. Whether any
        changed (they are those `take` gave when no row was rejected)."""
        before = [(entry.position, entry.id, entry.person.id) for entry in self.entries]
        self.ids = {(record.record_type, record.id) for record in self.records}
        for person in self.persons:
            person.numbered = person.existing
        for position, entry in enumerate(self.entries, self.first_position):
            entry.position = position
            entry.id = self._free_id("signatory", f"{self.appeal_id}-{position:05d}")
            if not entry.person.numbered:
                entry.person.id = self._free_id("person", f"{self.appeal_id}-signer-{position:05d}")
                entry.person.numbered = True
        return before != [(entry.position, entry.id, entry.person.id) for entry in self.entries]

    def _free_id(self, record_type: str, wanted: str) -> str:
        chosen = free_id(wanted, lambda candidate: (record_type, candidate) in self.ids)
        self.ids.add((record_type, chosen))
        return chosen

    # --- who may be published ---------------------------------------------------------------------

    def settle(self, report: IntakeReport) -> None:
        """Restrict and withhold until the search validate makes finds nothing: a person any of whose rows did
        not consent is restricted, and so is every entry naming a restricted person; a public new record that
        would give a protected name away is withheld (a homonym); a row whose protection an existing public
        record undoes is rejected."""
        while True:
            for entry in [entry for entry in self.entries if entry.restricted and entry.person.existing
                          and not entry.person.restricted]:
                self._reject(entry, report, f"the signer did not consent, but the name is that of the person "
                             f"{entry.person.id}, whom the archive publishes")
            for entry in self.entries:
                if entry.restricted and not entry.person.existing:
                    entry.person.restricted = True
            for entry in self.entries:
                if entry.person.restricted and not entry.restricted:
                    entry.note = homonym_note(f"person {entry.person.id}")
                    report.withheld_homonyms.append({"row": entry.signature.row, "reason": "its person is "
                                                     "restricted: another row of the same name did not consent, or "
                                                     "the archive restricts that person"})
            self._settle_shapes(report)
            if not self._settle_once(report):
                return

    def _settle_shapes(self, report: IntakeReport) -> None:
        """What the protected-name search does not read as a name: the same words in another order ("Piatrou,
        Ivan"), in the other script (Іван Пятроў) or another romanization (Pyatrou), with more words around
        them (a patronymic). Compared by their transliterated consonants: a public name holding every word of
        a protected one is withheld; a protected row holding every word of a name the archive publishes is
        refused (it would be published there)."""
        protected: dict[str, list[frozenset[str]]] = defaultdict(list)
        names = [entry.signature.name for entry in self.entries if entry.restricted] + list(self.withheld_names)
        names += [name for record in self.records if record.record_type == "person"
                  and record.path in self.restricted_paths for name in record.names]
        for shape in {shape for name in names if len(shape := name_shape(name)) > 1}:
            protected[min(shape)].append(shape)
        for entry in self.entries:
            shape = name_shape(entry.signature.name)
            if not entry.restricted and any(other <= shape for word in shape for other in protected.get(word, [])):
                entry.note = homonym_note("signer whose name it holds, in another order, script or spelling")
                report.withheld_homonyms.append({"row": entry.signature.row, "reason": "its name holds a protected "
                                                 "signer's name, in another order, script or spelling"})
                if not entry.person.existing:
                    entry.person.restricted = True
        published = [(name_shape(name), record.path) for record in self.records if record.record_type == "person"
                     and record.path not in self.restricted_paths for name in record.names]
        for entry in [entry for entry in self.entries if entry.restricted and not entry.person.existing]:
            shape = name_shape(entry.signature.name)
            where = next((path for other, path in published if len(shape) > 1 and shape <= other), None)
            if where is not None:
                self._reject(entry, report, f"the signer did not consent, but the archive publishes the name in "
                             f"{where} (in another order, script or spelling)")

    def _records_now(self) -> tuple[list[ScannedRecord], dict[str, str]]:
        new = self._new_records()
        restricted = dict(self.restricted_paths)
        restricted.update((record.path, "restricted at intake") for record in new if record.access == "restricted")
        return [*self.records, *new], restricted

    def _new_records(self) -> list[ScannedRecord]:
        """Every new record as validate will see it, persons first. A text is made once for each state a record
        is in (settling asks again, and so does writing), the new ones in forked workers for a large export (the
        writer reads each text back to prove it: 120 us a record)."""
        made: list[tuple[str, dict[str, Any], tuple[str, ...], tuple[Reference, ...]]] = [
            ("person", self.person_data(person), (person.name,), (Reference("/sources/0", "source", self.capture_id),))
            for person in self.persons if not person.existing]
        made += [("signatory", self.entry_data(entry), (entry.signature.name,),
                  (Reference("/appeal", "appeal", self.appeal_id), Reference("/source", "source", self.capture_id),
                   Reference("/person/ref", "person", entry.person.id))) for entry in self.entries]
        states = [self._state(data) for _, data, _, _ in made]
        missing = {state: data for state, data in zip(states, (data for _, data, _, _ in made), strict=True)
                   if state not in self.texts}
        new_states = list(missing)
        chunks = [[missing[state] for state in new_states[start:start + _CHUNK]]
                  for start in range(0, len(new_states), _CHUNK)]
        _, texts = forked_map(_texts_of, None, chunks, usable_cores() if len(new_states) > PARALLEL_THRESHOLD else 1)
        self.texts.update(zip(new_states, (text for chunk in texts for text in chunk), strict=True))
        return [ScannedRecord(BY_NAME[record_type].path_of(data["id"]), record_type, data["id"], valid=True,
                              references=references, raw=self.texts[state], access=data.get("access", "public"),
                              names=names)
                for (record_type, data, names, references), state in zip(made, states, strict=True)]

    @staticmethod
    def _state(data: dict[str, Any]) -> bytes:
        """A short key for the state a record's data is in (200,000 texts are kept by it)."""
        return hashlib.blake2b(json.dumps(data, sort_keys=True, ensure_ascii=False).encode(), digest_size=16).digest()

    def _settle_once(self, report: IntakeReport) -> bool:
        records, restricted = self._records_now()
        finder = name_finder(records, restricted)
        if not finder:
            return False
        changed = False
        by_path = {f"signatories/{entry.id}.yaml": entry for entry in self.entries}
        by_person = {f"persons/{person.id}.yaml": person for person in self.persons if not person.existing}
        rows_of_whose = self._rows_of_whose()
        public = [record for record in [*records, *([self.config] if self.config is not None else [])]
                  if record.path not in restricted and record.raw is not None]
        chunks = [[(record.path, record.raw or b"") for record in public[start:start + _CHUNK]]
                  for start in range(0, len(public), _CHUNK)]
        _, hits = forked_map(_names_in, finder, chunks,
                             usable_cores() if len(public) > PARALLEL_THRESHOLD else 1)
        records_by_path = {record.path: record for record in public}
        for path, found in (hit for chunk in hits for hit in chunk):
            record = records_by_path[path]
            changed = True
            if record.path in by_path or record.path in by_person:
                for entry in ([by_path[record.path]] if record.path in by_path else
                              [entry for entry in self.entries if entry.signature.row in by_person[record.path].rows]):
                    entry.note = homonym_note(found.whose)
                    report.withheld_homonyms.append({"row": entry.signature.row, "reason": f"its name gives away "
                                                     f"the protected {found.whose}"})
                    if not entry.person.existing:
                        entry.person.restricted = True
            else:
                rows = rows_of_whose.get(found.whose, [])
                if not rows:
                    raise fail("internal.intake-unsettled", f"{record.path} names the protected {found.whose}, "
                               "which intake did not make", "this is a bug in appeal-archive; please report it")
                for entry in [entry for entry in self.entries if entry.signature.row in rows]:
                    self._reject(entry, report, f"the signer did not consent, but the archive publishes the name "
                                 f"in {record.path}")
        return changed

    def _reject(self, entry: _Entry, report: IntakeReport, message: str) -> None:
        """A row intake cannot take without undoing a restriction or a publication: left out, and said why."""
        report.rejected.append(Rejection(entry.signature.row, self.mapping.columns.get("name")
                                         or self.mapping.columns.get("family_name"), "intake.name-is-public", message,
                                         "ask the signer's consent, or decide with the archivist; --skip-invalid "
                                         "takes the other rows"))
        self.entries.remove(entry)
        self.taken.remove(entry.signature)  # nor does the capture hold it
        entry.person.rows.remove(entry.signature.row)
        self.persons = [person for person in self.persons if person.rows]

    def _rows_of_whose(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = defaultdict(list)
        for entry in self.entries:
            rows[f"signatory {entry.id}"].append(entry.signature.row)
            rows[f"person {entry.person.id}"].append(entry.signature.row)
        return rows

    # --- the records ------------------------------------------------------------------------------

    def person_data(self, person: _Person) -> dict[str, Any]:
        return {"id": person.id, "type": "person", **({"access": "restricted"} if person.restricted else {}),
                "names": [person.name], "sources": [self.capture_id]}

    def entry_data(self, entry: _Entry) -> dict[str, Any]:
        cells = entry.signature.cells
        data: dict[str, Any] = {
            "id": entry.id, "type": "signatory", **({"access": "restricted"} if entry.restricted else {}),
            "appeal": self.appeal_id, "position": entry.position, "source": self.capture_id,
            "as_printed": entry.signature.name, "person": {"ref": entry.person.id, "name": entry.signature.name}}
        if entry.signature.signed_on:
            data["signed"] = {"date": entry.signature.signed_on, "as_printed": cells["signed_at"]}
        place = {part: cells[part] for part in ("city", "country") if cells.get(part)}
        if place:
            data["place"] = place
        if cells.get("comment"):
            data["comment"] = cells["comment"]
        if entry.note:
            data["archivist_note"] = entry.note
        return data

    def write(self, root: Path) -> list[str]:
        """Write the capture (when it is new), the persons and the entries, then salt them in row order; on any
        failure, remove what was written."""
        written: list[Path] = []
        try:
            if ("source", self.capture_id) not in {(record.record_type, record.id) for record in self.records}:
                document = capture_text(self.taken, self.export, self.mapping, self.today)
                written.append(write_new(root / "sources" / f"{self.capture_id}.txt", document, durable=True))
                written.append(write_record(root, capture_source(self.capture_id, document.encode("utf-8"),
                                                                 self.export, self.mapping, self.today)))
            for record in self._new_records():
                written.append(write_new(root / record.path, (record.raw or b"").decode("utf-8"), durable=False))
            os.sync()
            ledger = read_ledger(root, str(root))
            salt_new(root, [path.relative_to(root).as_posix() for path in written], ledger)
        except BaseException:
            for path in reversed(written):
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        return [path.relative_to(root).as_posix() for path in written]


_CHUNK = 2000
PARALLEL_THRESHOLD = 4000  # new records: below it, forking workers costs more than it saves


def _texts_of(_: None, chunk: list[dict[str, Any]]) -> list[bytes]:
    return [record_yaml(data).encode("utf-8") for data in chunk]


def _names_in(finder: NameFinder, chunk: list[tuple[str, bytes]]) -> list[tuple[str, Found]]:
    """(path, what was found) of each record text of a chunk that names a protected name."""
    return [(path, found) for path, raw in chunk if (found := name_in_record(finder, raw)) is not None]
