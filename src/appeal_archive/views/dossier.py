"""The dossier: a validated RecordSet -> typed models, as every view (PDF, JSON-LD, ...) reads them.

Models are built from validated data only, and on demand: a set of 100,000 signatories is walked once
in printed order, not held twice in memory.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from appeal_archive.errors import fail
from appeal_archive.records.models import (
    Appeal,
    ArchiveConfig,
    Organization,
    Person,
    Rally,
    Signatory,
    Source,
)
from appeal_archive.records.recordset import RecordSet, ScannedRecord
from appeal_archive.records.types import BY_NAME


def nfc(value: Any) -> Any:
    """NFC-normalise every string in plain data (records are validated NFC; this keeps views safe anyway)."""
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(item) for item in value]
    if isinstance(value, dict):
        return {key: nfc(item) for key, item in value.items()}
    return value


def nfc_data(record: ScannedRecord) -> Any:
    """A record's data with every string in NFC, in one pass over its canonical JSON text.

    JSON punctuation never composes with a letter, so normalising the whole text equals normalising
    each string in it.
    """
    text = record.kept_canonical.decode("utf-8")
    return json.loads(text if text.isascii() else unicodedata.normalize("NFC", text))


WITHHELD_ENTRY = "Entry withheld to protect the signatory"
WITHHELD_RECORD = "Its record is withheld from this edition; its salted leaf is in the manifest."
WITHHELD_SOURCE = ("The source document is withheld from this edition: its text names a protected signatory. Its "
                   "salted leaf is in the manifest, and the full edition holds it.")


@dataclass(eq=False)
class Dossier:
    """Typed access to one validated record set, plus its manifest."""

    config: ArchiveConfig
    manifest: dict[str, Any]
    record_set: RecordSet
    _by_type: dict[str, dict[str, ScannedRecord]] = field(default_factory=dict)
    _parsed: dict[str, list[Any]] = field(default_factory=dict)
    _joined: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @classmethod
    def from_record_set(cls, record_set: RecordSet, manifest: dict[str, Any]) -> Dossier:
        if any(record.canonical is None for record in record_set.records):
            raise fail("internal.no-data", "the record set was loaded without its data",
                       "load it with load_record_set(..., keep_data=True)")
        by_type: dict[str, dict[str, ScannedRecord]] = defaultdict(dict)
        for record in record_set.records:
            by_type[record.record_type][record.known_id] = record
        return cls(ArchiveConfig.model_validate(nfc(record_set.config)), manifest, record_set, dict(by_type))

    def each(self, record_type: str) -> Iterator[Any]:
        """Every record of a type as its model, in id order. Appeals, rallies and sources are few and every
        view reads them: they are parsed once and kept. The many (signatories, persons) are parsed one at a
        time, so 100,000 of them are never held as models."""
        if record_type in self._parsed:
            return iter(self._parsed[record_type])
        declared = BY_NAME[record_type]
        records = self._by_type.get(record_type, {})
        models = (declared.model.model_validate(nfc_data(records[record_id])) for record_id in sorted(records))
        if declared.few:
            self._parsed[record_type] = list(models)
            return iter(self._parsed[record_type])
        return models

    @property
    def root(self) -> str:
        return self.manifest["root"]

    @cached_property
    def title(self) -> str:
        """What the documents are called: the appeal's title, or the record set's when it holds several."""
        return self.appeals[0].title if len(self.appeals) == 1 else self.config.title

    @cached_property
    def appeals(self) -> list[Appeal]:
        return list(self.each("appeal"))

    @cached_property
    def rallies(self) -> dict[str, Rally]:
        """Every rally by id, in date order."""
        ordered = sorted(self.each("rally"), key=lambda rally: (rally.date, rally.id))
        return {rally.id: rally for rally in ordered}

    @cached_property
    def sources(self) -> dict[str, Source]:
        return {source.id: source for source in self.each("source")}

    def persons(self) -> Iterator[Person]:
        return self.each("person")

    def organizations(self) -> Iterator[Organization]:
        return self.each("organization")

    def signatories(self, appeal_id: str) -> Iterator[Signatory]:
        """The appeal's signatories in printed order, one model at a time."""
        entries = sorted((record for record in self._by_type.get("signatory", {}).values()
                          if record.appeal == appeal_id), key=lambda record: record.position or 0)
        for record in entries:
            yield Signatory.model_validate(nfc_data(record))

    def withheld_positions(self, appeal_id: str) -> list[int]:
        """The positions of an appeal's signatory list this edition withholds, as its own records show them (a
        rebuild from the public edition's attachments must find the same): the gaps in the numbering, up to the
        count the appeal's source prints or the last entry the edition holds. (Entries withheld after the last
        one it holds leave no gap: a public edition does not show them.)"""
        appeal = next(appeal for appeal in self.appeals if appeal.id == appeal_id)
        present = {record.position for record in self._by_type.get("signatory", {}).values()
                   if record.appeal == appeal_id}
        last = max([appeal.signatory_count, *(position for position in present if position)])
        return [position for position in range(1, last + 1) if position not in present]

    def joined(self, appeal: Appeal) -> list[tuple[str, int]]:
        """The captures whose entries joined the appeal after its own source printed it (petition exports), each
        with how many of its entries this edition holds, in the order they joined. Counted once (the PDF and the
        bundle both say it; each entry's data is read for it)."""
        if appeal.id in self._joined:
            return self._joined[appeal.id]
        counts: dict[str, int] = {}
        for record in sorted((record for record in self._by_type.get("signatory", {}).values()
                              if record.appeal == appeal.id), key=lambda record: record.position or 0):
            source = (record.data or {}).get("source")
            if source and source != appeal.source:
                counts[source] = counts.get(source, 0) + 1
        self._joined[appeal.id] = list(counts.items())
        return self._joined[appeal.id]

    @property
    def edition(self) -> str:
        return self.manifest.get("edition", "full")

    @property
    def withheld_count(self) -> int:
        return len(self.manifest.get("withheld", []))

    @property
    def restricted_count(self) -> int:
        """How many records this edition holds that must not be published (the full edition's)."""
        return len(self.record_set.restricted)

    def records(self) -> list[ScannedRecord]:
        return self.record_set.records

    def holds(self, record_type: str, record_id: str) -> bool:
        """Whether this edition publishes the record a reference names."""
        return record_id in self._by_type.get(record_type, {})

    def withheld_leaf(self, record_type: str, record_id: str) -> int | None:
        """Where in the tree the leaf of a record this edition withholds sits: the only way a view may name it."""
        return self.record_set.withheld_leaves.get((record_type, record_id))
