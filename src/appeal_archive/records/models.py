"""Record models: the typed reading of records/ and the single source of truth for schema/*.json.

`appeal-archive schema --write` exports these classes as the published JSON Schema files, and a test
fails when the committed files are stale. Validation reads only the exported schema: a `Quote` field
becomes a `$ref` to the shared "quote" definition (its text must occur in the record's source) and a
`...Ref` field (SourceRef, PersonRef, ...) carries `x-references` naming the record type its id must
resolve to.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from appeal_archive.records.types import RECORD_ID_PATTERN

# A shared string type is written once into schema/defs.schema.json; the "x-def" placeholder is turned
# into a $ref to it when the schemas are exported (pydantic cannot emit cross-file references itself).
BCP47_PATTERN = (
    r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?(?:-(?:[0-9A-Za-z]{5,8}|[0-9][0-9A-Za-z]{3}))*$"
)

SHARED_STRINGS: dict[str, dict] = {
    "record-id": {
        "title": "Record id",
        "description": "Stable identifier of a record: lower-case ASCII letters and digits in groups joined by "
        "single hyphens. It is also the record's file name without '.yaml', and never changes once published.",
        "type": "string",
        "pattern": RECORD_ID_PATTERN,
        "maxLength": 120,
        "examples": ["pavel-latushka", "warsaw-2023-05-21"],
    },
    "quote": {
        "title": "Quoted text",
        "description": "Text copied verbatim from the record's source. After whitespace is collapsed it must "
        "occur in the source document; `appeal-archive validate` checks this.",
        "type": "string",
        "minLength": 1,
        "maxLength": 20000,
        "examples": ["more than 1,000 participants in the demonstration"],
    },
    "date": {
        "title": "Calendar date",
        "description": "A calendar date in ISO 8601 form YYYY-MM-DD, written in quotes so that every YAML "
        "loader reads it as a string.",
        "type": "string",
        "format": "date",
        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "examples": ["2023-05-21"],
    },
    "language-tag": {
        "title": "Language tag",
        "description": "A well-formed BCP 47 language tag: language, optional script and region, e.g. 'en', "
        "'be-Cyrl', 'be-Latn', 'pl', 'lt'.",
        "type": "string",
        "pattern": BCP47_PATTERN,
        "examples": ["en", "be-Cyrl", "ru-Cyrl"],
    },
    "sha256": {
        "title": "SHA-256 digest",
        "description": "A SHA-256 digest as 64 lower-case hexadecimal digits.",
        "type": "string",
        "pattern": r"^[0-9a-f]{64}$",
    },
}


def _shared(name: str, **annotations: str) -> WithJsonSchema:
    return WithJsonSchema({"x-def": name, **annotations})


RecordId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, max_length=120), _shared("record-id")]
Quote = Annotated[str, Field(min_length=1, max_length=20000), _shared("quote")]
IsoDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), _shared("date")]
LanguageTag = Annotated[str, Field(pattern=BCP47_PATTERN), _shared("language-tag")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$"), _shared("sha256")]
Unknown = Literal["unknown"]
DEFAULT_BASE_IRI = "https://w3id.org/appeal-archive/id/"
MAX_LIST_POSITION = 10_000_000  # no printed list is longer; a bound keeps hostile numbers from costing memory


# A record id that must resolve to a record of the type its `x-references` names.
_REF_FIELD = Field(pattern=RECORD_ID_PATTERN, max_length=120)
SourceRef = Annotated[str, _REF_FIELD, _shared("record-id", **{"x-references": "source"})]
AppealRef = Annotated[str, _REF_FIELD, _shared("record-id", **{"x-references": "appeal"})]
RallyRef = Annotated[str, _REF_FIELD, _shared("record-id", **{"x-references": "rally"})]
PersonRef = Annotated[str, _REF_FIELD, _shared("record-id", **{"x-references": "person"})]
OrganizationRef = Annotated[str, _REF_FIELD, _shared("record-id", **{"x-references": "organization"})]


Access = Literal["public", "restricted"]
ACCESS_FIELD: Any = Field(
    default="public", description="Whether the record may be published. A restricted record (e.g. a signatory at "
    "risk) is withheld from the public edition, where only its salted leaf appears; a signatory entry naming a "
    "restricted person or organization is restricted with it.")


CORRECTION_FIELD: Any = Field(
    default=None, min_length=1, description="What was corrected in this record since an edition published it, and "
    "why. A build that extends that edition (`build --extends`) requires a new note for every published record "
    "that changed; the note is published with the correction.")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- shared parts -----------------------------------------------------------------------------------


class Count(Model):
    """A number of people as the source gives it: the number, how exact the source says it is, and the
    words as printed. "more than 1,000" is value 1000 with qualifier more-than, never a flat 1000."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"value": 300, "qualifier": "about", "as_printed": "about 300 participants"}]})

    value: int = Field(ge=0, le=10**12, description="The number the source gives, without its qualifier.")
    qualifier: Literal["exact", "about", "more-than", "fewer-than"] = Field(
        description="How the source qualifies the number: exact ('60 people'), about ('about 300'), "
        "more-than ('more than 1,000') or fewer-than."
    )
    as_printed: Quote = Field(description="The count exactly as printed, e.g. 'about 300 participants'.")


class ArchivistName(Model):
    """A spelling or script form of a name that the archivist adds. It is never source text."""

    text: str = Field(min_length=1, description="The added form, e.g. a Cyrillic spelling.")
    lang: LanguageTag = Field(description="BCP 47 tag of the form, e.g. 'be-Cyrl'.")
    note: str = Field(min_length=1, description="Why the archivist added it and on what basis.")


class PersonMention(Model):
    """A person as named in one place of the source, tied to the person record."""

    ref: PersonRef = Field(description="Id of the person record.")
    name: Quote = Field(description="The name exactly as printed at this place, e.g. 'Pavel Latushka'.")


class OrganizationMention(Model):
    """An organization as named in one place of the source, tied to the organization record."""

    ref: OrganizationRef = Field(description="Id of the organization record.")
    name: Quote = Field(description="The organization's name exactly as printed at this place.")


# --- source -----------------------------------------------------------------------------------------


class ExportOrigin(Model):
    """The petition export a capture was made from (by `appeal-archive intake`), so that whoever holds the
    original can match it: the capture keeps only the mapped columns."""

    file_name: str = Field(min_length=1, description="The export's file name, as it was given to intake.")
    size: int = Field(ge=0, description="The export's size in bytes.")
    sha256: Sha256 = Field(description="SHA-256 of the export's bytes.")
    rows: int = Field(ge=0, description="How many rows the export holds under its header.")
    dropped_columns: list[str] = Field(default_factory=list,
                                       description="The export's columns the capture leaves out (not mapped).")


class Capture(Model):
    """How the source document was captured, and what is not known about it."""

    kind: Literal["web-page-text", "web-page-html", "pdf", "scan", "photograph", "petition-export", "other"] = Field(
        description="What kind of capture the file is."
    )
    description: str = Field(min_length=1, description="How the capture was made, in a sentence or two.")
    publisher_url: Unknown | Annotated[str, Field(pattern=r"^https?://\S+$")] = Field(
        description="Where the document was published, or 'unknown' when the capture does not say."
    )
    captured_on: Unknown | IsoDate = Field(description="When the capture was made, or 'unknown'.")
    export: ExportOrigin | None = Field(default=None, description="The petition export the capture was made "
                                        "from, when it was made by intake.")


class Omission(Model):
    """Text of a capture that is not text of the document (page furniture): listed, never silently dropped."""

    text: Quote = Field(description="The text as the capture has it, e.g. 'top of page'.")
    note: str = Field(min_length=1, description="Why it is not part of the document.")


class Source(Model):
    """A source document kept byte for byte beside this record in records/sources/."""

    id: RecordId
    type: Literal["source"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    title: str = Field(min_length=1, description="Title of the document, as the archivist describes it.")
    file: str = Field(
        min_length=1,
        description="Path of the document relative to this record's folder, e.g. its file name; it must stay "
        "inside records/sources/.",
        examples=["appeal-of-belarusians-to-the-eu.txt"],
    )
    sha256: Sha256 = Field(description="SHA-256 of the file's bytes; validate recomputes it.")
    media_type: str = Field(min_length=1,
                            description="IANA media type of the file, e.g. 'text/plain; charset=us-ascii'.")
    language: LanguageTag = Field(description="Main language of the document.")
    capture: Capture
    omitted: list[Omission] = Field(
        default_factory=list, description="Page furniture of the capture that the archive's reproduction of the "
        "document leaves out, each with the reason; in the order the capture has it."
    )
    notes: list[str] = Field(default_factory=list, description="What the archivist observed about the document.")


# --- appeal -----------------------------------------------------------------------------------------


class Demand(Model):
    """One numbered demand of the appeal."""

    number: int = Field(ge=1, le=MAX_LIST_POSITION, description="The demand's number as printed.")
    text: Quote = Field(description="The demand's text as printed, without its number.")


class Adoption(Model):
    """When, where and on what occasion the appeal was adopted, as the source states it."""

    as_printed: Quote = Field(description="The sentence of the source that records the adoption.")
    date: IsoDate = Field(description="The adoption date.")
    date_as_printed: Quote = Field(description="The date as printed, e.g. 'May 21, 2023'.")
    occasion: Quote | None = Field(default=None, description="The occasion as printed, if the source names one.")
    rally: RallyRef = Field(description="Id of the rally at which the appeal was adopted.")
    remark_as_printed: Quote | None = Field(
        default=None, description="A remark the source prints right after the adoption sentence, as printed.",
        examples=["(more than 1,000 participants in the demonstration )"])


class AttributedClaim(Model):
    """A statement the appeal attributes to someone else. The archive records the attribution; it does not
    assert the statement."""

    id: RecordId = Field(description="Id of the claim, unique within the appeal.")
    attributed_to: Quote = Field(description="Who the statement is attributed to, as printed.")
    as_printed: Quote = Field(description="The sentence that makes the attribution, as printed.")
    count: Count | None = Field(default=None, description="The number the statement gives, if any.")
    note: str | None = Field(default=None, description="The archivist's note on the scope of the attribution.")


class Photo(Model):
    """A photograph the source shows or mentions."""

    caption: Quote = Field(description="The caption as printed.")
    credit: Quote = Field(description="The credit as printed, without the 'Photo:' label.")
    lines_as_printed: list[Quote] = Field(
        default_factory=list, description="The lines the source prints where the photograph is, in order, as "
        "printed (caption, label and credit as they appear).")
    image_available: bool = Field(description="Whether the archive holds the image itself.")
    note: str | None = Field(default=None, description="What is known about the image.")


class SimilarAppeals(Model):
    """The source's note that similar appeals were adopted elsewhere."""

    as_printed: Quote = Field(description="The sentence as printed.")
    rallies: list[RallyRef] = Field(min_length=1, description="Ids of the rallies where they were adopted.")


class Appeal(Model):
    """An appeal: its text, addressees, demands and adoption, as printed in its source."""

    id: RecordId
    type: Literal["appeal"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    source: SourceRef = Field(description="Id of the source record the appeal is transcribed from.")
    title: Quote = Field(description="The title as printed.")
    language: LanguageTag = Field(description="Language of the appeal's text as transcribed.")
    addressees: list[Quote] = Field(min_length=1, description="The addressees in printed order, as printed.")
    body: list[Quote] = Field(min_length=1, description="The paragraphs before the demands, in order, as printed.")
    demands: list[Demand] = Field(min_length=1, description="The demands in printed order.")
    adoption: Adoption
    claims: list[AttributedClaim] = Field(default_factory=list, description="Statements attributed to others.")
    photo: Photo | None = None
    similar_appeals: SimilarAppeals | None = None
    mentions: list[PersonMention] = Field(
        default_factory=list, description="Persons the text names, one entry per spelling printed."
    )
    signatories_heading: Quote | None = Field(
        default=None, description="The words that introduce the list of signatories, as printed.",
        examples=["The appeal is joined by:"])
    signatory_count: int = Field(
        ge=0, le=MAX_LIST_POSITION,
        description="How many signatories the source lists; validate checks that as many records exist.",
    )


# --- rally ------------------------------------------------------------------------------------------


class Rally(Model):
    """A rally or demonstration, with its participants counted as the source gives them."""

    id: RecordId
    type: Literal["rally"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    source: SourceRef = Field(description="Id of the source record that reports the rally.")
    as_printed: Quote = Field(description="The words describing the rally, e.g. 'a demonstration in Warsaw'.")
    date: IsoDate
    date_as_printed: Quote = Field(description="The date as printed.")
    city: Quote = Field(description="The city as printed.")
    country: str = Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code of the country, the archivist's reading; quote it ('NO').",
        examples=["PL", "LT", "GB"],
    )
    participants: Count = Field(description="Participants as the source counts them.")


# --- signatory --------------------------------------------------------------------------------------


class Capacity(Model):
    """A role or capacity in which a signatory entry is given."""

    role: Quote = Field(description="The role as printed, e.g. 'Head of the NAM'.")
    organization: OrganizationMention | None = Field(
        default=None, description="The organization the role belongs to, when the entry names one."
    )


class Status(Model):
    """A person's status as the source states it, with the words it rests on."""

    status: Literal["political-prisoner", "former-political-prisoner"] = Field(
        description="political-prisoner: held as a political prisoner when the source was written; "
        "former-political-prisoner: held before, released since.")
    as_printed: Quote = Field(description="The words the status rests on, e.g. 'former political prisoner'.")


class Term(Model):
    """The length of a sentence, as printed."""

    value: int = Field(ge=0, le=1000, description="How many units.")
    unit: Literal["years", "months", "days"]
    as_printed: Quote = Field(description="The term as printed, e.g. '18 years'.")


class Sentence(Model):
    """A sentence the source says a person received."""

    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"in_absentia": {"const": True}}},
        "then": {"required": ["in_absentia_as_printed"]},
        "else": {"not": {"required": ["in_absentia_as_printed"]}},
    })

    as_printed: Quote = Field(description="The words the sentence rests on, e.g. 'sentenced to 18 years of "
                              "imprisonment (in absentia)'.")
    punishment: Literal["imprisonment", "restricted-freedom", "fine", "other"]
    term: Term | None = Field(default=None, description="Its length, when the source gives one.")
    in_absentia: bool = Field(description="Whether the source says the sentence was passed in absentia.")
    in_absentia_as_printed: Quote | None = Field(default=None, description="The words that say so, e.g. 'in "
                                                 "absentia'; given exactly when in_absentia is true.")
    by: Quote | None = Field(default=None, description="The court or authority that passed it, when stated.")


class Relation(Model):
    """A family relation the source states."""

    kind: Literal["sibling", "spouse", "parent", "child", "relative"]
    person: PersonMention
    as_printed: Quote | None = Field(default=None, description="The words naming the relation, e.g. 'brother'.")
    person_status: Status | None = Field(default=None, description="The related person's status, when the source "
                                         "states it, e.g. 'political prisoner'.")


class EntryNote(Model):
    """A remark the source prints with the entry, e.g. 'former political prisoner', and the facts it states
    about the signatory (a status, a sentence) or their family (a relation), each with its words."""

    text: Quote = Field(description="The remark as printed.")
    relation: Relation | None = Field(default=None, description="The relation the remark states, if any.")
    status: Status | None = Field(default=None, description="The signatory's status the remark states, if any.")
    sentence: Sentence | None = Field(default=None, description="The sentence the remark states, if any.")


class SignedOn(Model):
    """The date a signature was given, as a petition export records it."""

    date: IsoDate = Field(description="The date, read from the export's cell.")
    as_printed: Quote = Field(description="The cell as the export has it, e.g. '21.05.2023'.")


class Place(Model):
    """Where a signer is, as a petition export records it (each part as the export has it)."""

    city: Quote | None = Field(default=None, description="The city as the export has it.")
    country: Quote | None = Field(default=None, description="The country as the export has it.")


class Signatory(Model):
    """One entry of an appeal's list of signatories: the entry as printed and its structured reading."""

    id: RecordId
    type: Literal["signatory"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    appeal: AppealRef = Field(description="Id of the appeal the entry belongs to.")
    position: int = Field(ge=1, le=MAX_LIST_POSITION, description="Position of the entry in the printed list, from 1.")
    source: SourceRef = Field(description="Id of the source record the entry is transcribed from.")
    as_printed: Quote = Field(description="The whole entry exactly as printed, without its number.")
    person: PersonMention | None = Field(
        default=None, description="The person the entry names; absent when it names none. Never inferred."
    )
    capacities: list[Capacity] = Field(default_factory=list, description="Roles the entry gives, in order.")
    notes: list[EntryNote] = Field(default_factory=list, description="Remarks the entry prints, in order.")
    signed: SignedOn | None = Field(default=None, description="When the entry was signed, as a petition export "
                                    "records it.")
    place: Place | None = Field(default=None, description="Where the signer is, as a petition export records it.")
    comment: Quote | None = Field(default=None, description="The signer's comment, as a petition export records it.")
    archivist_note: str | None = Field(default=None, description="The archivist's remark; not source text.")


# --- person and organization ------------------------------------------------------------------------


class Person(Model):
    """A person named in one or more sources, under a stable id that every appeal can refer to."""

    id: RecordId
    type: Literal["person"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    names: list[Quote] = Field(
        min_length=1,
        description="Every spelling the sources print, each as printed (e.g. both Lukashenko and Lukashenka).",
    )
    archivist_names: list[ArchivistName] = Field(
        default_factory=list, description="Spellings or scripts added by the archivist, never source text."
    )
    sources: list[SourceRef] = Field(min_length=1, description="Ids of the sources that name the person.")
    archivist_note: str | None = Field(default=None, description="The archivist's remark; not source text.")


class Organization(Model):
    """An organization named in one or more sources, under a stable id."""

    id: RecordId
    type: Literal["organization"]
    access: Access = ACCESS_FIELD
    correction_note: str | None = CORRECTION_FIELD
    names: list[Quote] = Field(min_length=1, description="Every name or abbreviation the sources print.")
    archivist_names: list[ArchivistName] = Field(
        default_factory=list, description="Names added by the archivist, never source text."
    )
    sources: list[SourceRef] = Field(min_length=1, description="Ids of the sources that name it.")
    archivist_note: str | None = Field(default=None, description="The archivist's remark; not source text.")


# --- archive configuration (records/archive.yaml; configuration, not a record) -------------------------


class Contact(Model):
    """Whom to ask about the archive: written into the BagIt package's bag-info.txt."""

    name: str = Field(min_length=1, description="A person or office at the custodian (Contact-Name).")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Their e-mail address (Contact-Email).",
                       examples=["archive@example.org"])
    address: str | None = Field(default=None, min_length=1,
                                description="The custodian's postal address (Organization-Address), if given.")


class ArchiveConfig(Model):
    """Settings of the record set: its archival identifier and who keeps it. Not hashed into the root."""

    type: Literal["archive"]
    archival_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
        description="Identifier of the archival unit; names the files in build/.",
        examples=["AA-2023-05-21-belarusians-to-eu"],
    )
    title: str = Field(min_length=1, description="Title of the archival unit.")
    description: str | None = Field(default=None, min_length=1, description="What the record set holds, in a "
                                    "sentence or two (the Dataset's description in the bundle and the crate).")
    license: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", description="URL of the licence the "
                                "records are published under (the source documents keep their authors' rights).",
                                examples=["https://creativecommons.org/licenses/by/4.0/"])
    custodian: str = Field(min_length=1, description="Organization that keeps the archive.")
    custodian_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", description="The custodian's "
                                      "web site.", examples=["https://w3id.org/appeal-archive/"])
    custodian_id: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", description="A persistent "
                                     "identifier of the custodian, e.g. its ROR id, when it has one.",
                                     examples=["https://ror.org/00x0x0x00"])
    contact: Contact = Field(description="Whom to ask about the archive, at the custodian.")
    base_iri: str = Field(
        default=DEFAULT_BASE_IRI,
        pattern=r"^https?://[^\s#]+/$",
        description="Base of the IRIs the JSON-LD bundle gives records (<base><folder>/<id>); ends with '/'. "
        "Changing it changes the IRIs and nothing else.",
        examples=[DEFAULT_BASE_IRI],
    )

