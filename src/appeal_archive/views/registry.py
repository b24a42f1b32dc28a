"""The views a build writes, declared once: each one's name in the output folder, its format, what protects it,
and whether the bag and the JSON-LD bundle's list of files carry it.

The build names its outputs from this table, the RO-Crate metadata describes each file with its format from it,
the bundle lists the edition's files from it, and verify knows from it what a bag's payload holds, what the
crate beside a PDF describes and which files nothing signs. A new view is a row here and its module; a test
holds the build's output folder and verify's coverage to the table.

(What the PDF carries inside it, the records and the bag's tag files are not views: layout.py declares them.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from appeal_archive.layout import CONFIG, CONSISTENCY_PROOF, MANIFEST, PLACEHOLDER, RECORDS, record_file

if TYPE_CHECKING:
    from pathlib import Path

    from appeal_archive.records.recordset import RecordSet


@dataclass(frozen=True)
class View:
    key: str
    name: str  # in the output folder; "{archival_id}" stands for the archival unit's id
    media_type: str
    description: str
    protected_by: str | None  # what a recipient checks it with; None: nothing signs it
    in_bag: bool  # in the bag's data/ (the crate there is the bag's own, made over data/)
    distributed: bool  # listed among the edition's files by the JSON-LD bundle's Dataset
    folder: bool = False  # a folder of documents, each described by the crate
    form_of: str | None = None  # another form of that view (by key): a build writes one of the two
    extending: bool = False  # written only by an edition that extends another (ledger/lineage.py)
    public_only: bool = False  # written only by the public edition (made from what it publishes alone)

    def name_for(self, archival_id: str) -> str:
        return self.name.format(archival_id=archival_id)

    def holds(self, name: str) -> bool:
        """Whether a file of an edition (a path in the output folder or a bag's data/) is this view, or one of
        its documents, whatever the unit's id."""
        prefix, templated, suffix = self.name.partition("{archival_id}")
        if self.folder:
            return not templated and name.startswith(self.name + "/")
        if not templated:
            return name == self.name
        return "/" not in name and len(name) > len(prefix) + len(suffix) and name.startswith(prefix) \
            and name.endswith(suffix)


# In this order the bundle lists the edition's files.
VIEWS: tuple[View, ...] = (
    View("pdf", "{archival_id}.pdf", "application/pdf",
         "The signed archival PDF (PDF/A-3b, PAdES) with its records attached", "its PAdES signature",
         in_bag=True, distributed=True),
    View("bundle", "{archival_id}.jsonld", "application/ld+json",
         "The record set as linked data (schema.org, PROV-O)", "its detached CAdES signature (.p7s)",
         in_bag=True, distributed=True),
    View("bundle_signature", "{archival_id}.jsonld.p7s", "application/pkcs7-signature",
         "Detached CAdES signature of the JSON-LD bundle", "itself (a CAdES signature)",
         in_bag=True, distributed=True),
    View("manifest", MANIFEST, "application/json",
         "Manifest of the record set: each record's SHA-256, salt and leaf, and the root",
         "the signed PDF, which carries the same bytes", in_bag=True, distributed=True),
    View("consistency_proof", CONSISTENCY_PROOF, "application/json",
         "RFC 9162 consistency proof from the tree of the edition this one extends to its own",
         "the signed PDF, which carries the same bytes (and the bundle, which states the proof)", in_bag=True,
         distributed=True, extending=True),
    View("crate", "ro-crate-metadata.json", "application/ld+json", "RO-Crate metadata of the edition's folder",
         None, in_bag=True, distributed=False),
    View("linked_art", "linked-art", "application/ld+json",
         "A Linked Art 1.0 document of one entity, for museum collection systems", None,
         in_bag=False, distributed=False, folder=True),
    View("linked_art_zip", "linked-art.zip", "application/zip",
         "The Linked Art 1.0 documents, one per entity, for museum collection systems, in a ZIP (extracted: the "
         "linked-art/ folder)", None, in_bag=False, distributed=False, form_of="linked_art"),
    View("site", "site", "text/html",
         "The public edition as static HTML pages (views/site.py), each with its records' JSON-LD", None,
         in_bag=False, distributed=False, folder=True, public_only=True),
    View("bag", "{archival_id}-bag", "https://www.rfc-editor.org/rfc/rfc8493",
         "The BagIt package of the edition (with --bag)", "the signed files in its payload",
         in_bag=False, distributed=True, folder=True),
)
BY_KEY: dict[str, View] = {view.key: view for view in VIEWS}
CRATE = BY_KEY["crate"].name  # in the output folder, and in a bag's data/
LINKED_ART = BY_KEY["linked_art"].name
LINKED_ART_ZIP = BY_KEY["linked_art_zip"].name
SITE = BY_KEY["site"].name
LINKED_ART_FORMS = ("auto", "folder", "zip")  # auto: the folder up to layout.ZIP_THRESHOLD records, the ZIP above
# What builds before the bundle's signature became CAdES-T wrote beside it; a build may replace it.
_FORMER_NAMES = ("{archival_id}.jsonld.tst",)


@dataclass(frozen=True)
class Outputs:
    """The names of a build's outputs for one archival unit."""

    archival_id: str

    def __getitem__(self, key: str) -> str:
        return BY_KEY[key].name_for(self.archival_id)

    @property
    def pdf(self) -> str:
        return self["pdf"]

    @property
    def bundle(self) -> str:
        return self["bundle"]

    @property
    def bundle_signature(self) -> str:
        return self["bundle_signature"]

    @property
    def bag(self) -> str:
        return self["bag"]

    def distribution(self, bag: bool, extending: bool = False) -> tuple[tuple[str, str], ...]:
        """The edition's files as the bundle's Dataset lists them: name and format."""
        return tuple((view.name_for(self.archival_id), view.media_type) for view in VIEWS
                     if view.distributed and (bag or view.key != "bag") and (extending or not view.extending))

    def names(self) -> set[str]:
        """Everything a build of this unit may write into its output folder, and may replace there."""
        return {view.name_for(self.archival_id) for view in VIEWS} | {PLACEHOLDER} | \
            {name.format(archival_id=self.archival_id) for name in _FORMER_NAMES}

    def bag_payload_names(self, record_files: set[str], extending: bool = False) -> set[str]:
        """What a bag's data/ holds, from what the signed PDF carries: the views a bag carries (the proof of an
        edition that extends another) and the record files."""
        return {view.name_for(self.archival_id) for view in VIEWS
                if view.in_bag and (extending or not view.extending)} | record_files

    def described_beside(self) -> list[str]:
        """The files beside a PDF that the crate there describes (besides each document of a folder view)."""
        return [view.name_for(self.archival_id) for view in VIEWS if view.key != "crate" and not view.folder]


def signature_of(bundle_name: str) -> str:
    """The detached signature beside a JSON-LD bundle, whatever the bundle is called."""
    return bundle_name + BY_KEY["bundle_signature"].name.removeprefix(BY_KEY["bundle"].name)


def unsigned_views() -> tuple[View, ...]:
    """The views nothing signs, the crate apart (a description of the others, checked against them): named to
    a recipient as unsigned, never counted as checked."""
    return tuple(view for view in VIEWS if view.protected_by is None and view.key != "crate")


def file_format(name: str) -> tuple[str, str]:
    """The media type and a description of a file an edition holds (a view, a document of one, or a record
    file a bag carries), from its name."""
    view = next((view for view in VIEWS if view.holds(name)), None)
    if view is not None:
        return view.media_type, view.description
    if name.startswith(RECORDS + "sources/"):
        return ("text/plain" if name.endswith(".txt") else "application/octet-stream"), "A captured source document"
    if name.endswith(".yaml"):
        return "application/yaml", "A record of the record set (YAML)"
    return "application/octet-stream", "A file of the edition"


def bag_payload(record_set: RecordSet, outputs: dict[str, bytes | Path]) -> dict[str, bytes | Path]:
    """The bag's data/: the build's outputs a bag carries (their bytes, or where they are written) and the
    records folder as it was validated (the crate metadata of data/ is added over all of them: crate.py)."""
    carried = [view for view in VIEWS if view.in_bag and view.key != "crate"]
    payload: dict[str, bytes | Path] = {name: data for name, data in outputs.items()
                                        if any(view.holds(name) for view in carried)}
    payload[CONFIG] = record_set.config_raw
    payload.update((record_file(record.path), record.kept_raw) for record in record_set.records)
    payload.update((record_file(document.path), document.kept_data) for document in record_set.documents)
    return payload
