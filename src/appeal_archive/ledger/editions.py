"""Editions of one record set, from one build: the full edition (everything; not for publication when any
record is restricted) and the public edition, which withholds every restricted record and every source
document that names a restricted person or organization (access.py), keeps their leaves, and so carries
the same root.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from appeal_archive.errors import EXIT_INVALID, fail
from appeal_archive.ledger.lineage import Kept
from appeal_archive.ledger.manifest import public_manifest
from appeal_archive.records.access import name_finder, withheld_documents
from appeal_archive.records.recordset import RecordSet


def public_record_set(record_set: RecordSet, kept_withheld: AbstractSet[str] = frozenset()
                      ) -> tuple[RecordSet, set[str]]:
    """The records and documents the public edition publishes, and the paths it withholds (`kept_withheld`: the
    paths whose leaves the edition it extends did not publish: lineage.py)."""
    withheld = set(record_set.restricted) | withheld_documents(record_set.records, record_set.restricted) \
        | set(kept_withheld)
    published = replace(record_set, records=[record for record in record_set.records if record.path not in withheld],
                        documents=[document for document in record_set.documents if document.path not in withheld],
                        restricted={})
    return published, withheld


def edition_of(record_set: RecordSet, manifest: dict[str, Any], edition: str,
               published_before: AbstractSet[str] = frozenset(), kept: Kept | None = None
               ) -> tuple[RecordSet, dict[str, Any], list[str]]:
    """The record set and manifest an edition publishes, and what the person building it must know
    (`published_before`, `kept`: what the edition it extends published and did not: lineage.py). A
    full edition's manifest names the places its public edition withholds ("protected", empty or not), so that
    a later edition extending it keeps withholding them."""
    published, withheld = public_record_set(record_set, kept.paths if kept else frozenset())
    finder = name_finder(record_set.records, record_set.restricted) if manifest.get("earlier") else None
    public = public_manifest(manifest, withheld, published_before,
                             (lambda text: finder.first_in(text) is not None) if finder else (lambda text: False),
                             kept.places if kept else frozenset())
    if edition == "public":
        if not any(record.record_type == "appeal" for record in published.records):
            raise fail("build.nothing-public", "the public edition would hold no appeal: every appeal record is "
                       "restricted", "lift the restriction of the appeal (restrict its entries instead), or keep to "
                       "the full edition, which is not for publication", file=published.display_root,
                       exit_code=EXIT_INVALID)
        places = {entry["path"]: entry["index"] for entry in manifest["records"]}
        published.withheld_leaves = {(record.record_type, record.known_id): places[record.path]
                                     for record in record_set.records if record.path in withheld}
        return published, public, [
            f"public edition: {len(withheld)} records and documents withheld, each replaced by its leaf; the root "
            "is the full edition's"]
    protected = sorted(item["index"] for item in public["withheld"])
    manifest = {**{key: value for key, value in manifest.items() if key != "root"}, "protected": protected,
                "root": manifest["root"]}
    if record_set.restricted or protected:
        return record_set, manifest, [
            f"this full edition holds {len(protected)} records and documents its public edition withholds: DO NOT "
            "PUBLISH IT; `appeal-archive build --edition public --out DIR` makes the edition to publish"]
    return record_set, manifest, []
