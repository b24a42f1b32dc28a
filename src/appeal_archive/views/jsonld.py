"""Linked data: a Dossier and its manifest -> one JSON-LD document (bytes), reproducible.

schema.org first, each term within its documented domain and range, PROV-O for provenance, and the
project vocabulary (schema/vocab.ttl, prefix "aa") only where neither has a term. Each record is its own
node (<thing>#record, about the thing it describes); facts sit on things. Every node, down to a demand or a
capacity, has an absolute IRI (<base><folder>/<id>, with #fragments for parts of a record): nothing is a
blank node. Order is carried by schema:position (creative works) or aa:order on each node, never by @list,
and links between the many and the one (an entry and its appeal, a record and its record set) are written
on the many's line, with @reverse where schema.org points from the one: both keep canonicalisation linear.
The @context is embedded, so processing needs no network; every key in the document is a term of that context.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any, BinaryIO

from appeal_archive.records.models import (
    Appeal,
    ArchivistName,
    Count,
    Organization,
    Person,
    Rally,
    Signatory,
    Source,
)
from appeal_archive.records.types import BY_NAME, RECORD_TYPES, RecordType, folder_of
from appeal_archive.views.dossier import WITHHELD_ENTRY, Dossier

VOCAB = "https://w3id.org/appeal-archive/vocab#"
SCHEMA = "https://schema.org/"


def _ref(term: str) -> dict[str, str]:
    return {"@id": term, "@type": "@id"}


# JSON-LD 1.0 is enough (no @version): only term definitions with @id, @type and @reverse are used.
CONTEXT: dict[str, Any] = {
    "schema": SCHEMA,
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "aa": VOCAB,
    # schema.org
    "name": "schema:name",
    "alternateName": "schema:alternateName",
    "text": "schema:text",
    "description": "schema:description",
    "identifier": "schema:identifier",
    "inLanguage": "schema:inLanguage",
    "position": "schema:position",
    "recipient": _ref("schema:recipient"),
    "contributor": _ref("schema:contributor"),
    "mentions": _ref("schema:mentions"),
    "image": _ref("schema:image"),
    "caption": "schema:caption",
    "creditText": "schema:creditText",
    "dateCreated": {"@id": "schema:dateCreated", "@type": "xsd:date"},
    "startDate": {"@id": "schema:startDate", "@type": "xsd:date"},
    "location": _ref("schema:location"),
    "address": _ref("schema:address"),
    "addressLocality": "schema:addressLocality",
    "addressCountry": "schema:addressCountry",
    "value": "schema:value",
    "unitText": "schema:unitText",
    "roleName": "schema:roleName",
    "memberOf": _ref("schema:memberOf"),
    "appearance": _ref("schema:appearance"),
    "author": _ref("schema:author"),
    "encodingFormat": "schema:encodingFormat",
    "sha256": "schema:sha256",
    "url": _ref("schema:url"),
    "email": "schema:email",
    "hasPart": _ref("schema:hasPart"),
    "about": _ref("schema:about"),
    "license": _ref("schema:license"),
    "publisher": _ref("schema:publisher"),
    "datePublished": {"@id": "schema:datePublished", "@type": "xsd:dateTime"},
    "distribution": _ref("schema:distribution"),
    # The Role pattern, written from the role's side: the appeal -> contributor -> role, and a person ->
    # memberOf -> role, as triples; each node is still written once, on one line.
    "contributionTo": {"@reverse": "schema:contributor", "@type": "@id"},
    "roleOf": {"@reverse": "schema:memberOf", "@type": "@id"},
    # Links between the many and the one run from the many: a node with 100,000 values of one property
    # makes JSON-LD processors (pyld's node map, URDNA2015) quadratic.
    "isPartOf": _ref("schema:isPartOf"),
    "signatoryOf": _ref("aa:signatoryOf"),
    "order": "aa:order",
    "roleIn": _ref("aa:roleIn"),
    "custodian": "aa:custodian",
    # PROV-O
    "wasDerivedFrom": _ref("prov:wasDerivedFrom"),
    # project vocabulary (schema/vocab.ttl)
    "asPrinted": "aa:asPrinted",
    "datePrinted": "aa:datePrinted",
    "qualifier": "aa:qualifier",
    "participants": _ref("aa:participants"),
    "statedCount": _ref("aa:statedCount"),
    "demand": _ref("aa:demand"),
    "adoptedAt": _ref("aa:adoptedAt"),
    "adoptionStatement": "aa:adoptionStatement",
    "occasion": "aa:occasion",
    "similarAppealAdoptedAt": _ref("aa:similarAppealAdoptedAt"),
    "similarAppealsStatement": "aa:similarAppealsStatement",
    "signatoryCount": "aa:signatoryCount",
    "capacity": _ref("aa:capacity"),
    "organizationAsPrinted": "aa:organizationAsPrinted",
    "personAsPrinted": "aa:personAsPrinted",
    "dateSignedAsPrinted": "aa:dateSignedAsPrinted",
    "cityAsPrinted": "aa:cityAsPrinted",
    "countryAsPrinted": "aa:countryAsPrinted",
    "signerComment": "aa:signerComment",
    "joined": _ref("aa:joined"),
    "joinedFrom": _ref("aa:joinedFrom"),
    "entryCount": "aa:entryCount",
    "entryNote": _ref("aa:entryNote"),
    "relationKind": "aa:relationKind",
    "relatedPerson": _ref("aa:relatedPerson"),
    "states": _ref("aa:states"),
    "status": _ref("aa:status"),
    "punishment": "aa:punishment",
    "term": _ref("aa:term"),
    "inAbsentia": "aa:inAbsentia",
    "inAbsentiaAsPrinted": "aa:inAbsentiaAsPrinted",
    "sentencedBy": "aa:sentencedBy",
    "archivistNote": "aa:archivistNote",
    "nameForm": _ref("aa:nameForm"),
    "origin": _ref("aa:origin"),
    "imageAvailable": "aa:imageAvailable",
    "recordSha256": "aa:recordSha256",
    "recordPath": "aa:recordPath",
    "rootHash": "aa:rootHash",
    "manifestVersion": "aa:manifestVersion",
    "documentPath": "aa:documentPath",
    "recordSalt": "aa:recordSalt",
    "leafIndex": "aa:leafIndex",
    "documentSalt": "aa:documentSalt",
    "documentLeafIndex": "aa:documentLeafIndex",
    "treeSize": "aa:treeSize",
    "edition": "aa:edition",
    "leafHash": "aa:leafHash",
    "withheldLeaf": _ref("aa:withheldLeaf"),
    "leafStatus": "aa:leafStatus",
    "protectedLeaf": "aa:protectedLeaf",
    "protectedLeafCount": "aa:protectedLeafCount",
    # editions over time (ledger/lineage.py)
    "wasRevisionOf": _ref("prov:wasRevisionOf"),
    "editionRoot": "aa:editionRoot",
    "editionTreeSize": "aa:editionTreeSize",
    "editionKind": "aa:editionKind",
    "editionNumber": "aa:editionNumber",
    "signedAt": "aa:signedAt",
    "consistencyProof": {"@id": "aa:consistencyProof", "@container": "@list"},
    "earlierLeaf": _ref("aa:earlierLeaf"),
    "earlierPath": "aa:earlierPath",
    "changeReason": "aa:changeReason",
    "supersededBy": "aa:supersededBy",
    "markedIn": "aa:markedIn",
    "captureKind": "aa:captureKind",
    "captureDescription": "aa:captureDescription",
    "notKnown": "aa:notKnown",
    "capturedOn": {"@id": "aa:capturedOn", "@type": "xsd:date"},
}


class Bundle:
    """Builds the graph for one dossier; `document()` returns the JSON-LD object."""

    def __init__(self, dossier: Dossier, build_date: str | None = None, files: tuple[tuple[str, str], ...] = ()):
        self.dossier = dossier
        self.build_date, self.files = build_date, files
        # Every IRI of a record is written relative to the context's @base, which a JSON-LD processor resolves
        # to <base><folder>/<id> (the base was 36 of every node's ~120 bytes). A base that RFC 3986 would not
        # resolve so (a query, a dot segment) keeps absolute IRIs.
        self.base_iri = dossier.config.base_iri
        self.base = "" if _resolves_plainly(self.base_iri) else self.base_iri
        self.record_set = f"{self.base}record-sets/{dossier.config.archival_id}"
        self.nodes: list[tuple[str, bytes]] = []
        self.entries = {entry["path"]: entry for entry in dossier.manifest["records"]}
        self.documents = {entry["path"]: entry for entry in dossier.manifest["source_documents"]}
        self.adoption_dates = {appeal.id: appeal.adoption.date for appeal in dossier.appeals}

    def iri(self, record_type: str, record_id: str, part: str | None = None) -> str:
        """The IRI of a record this edition publishes (the one being written)."""
        return f"{self.base}{folder_of(record_type)}/{record_id}" + (f"#{part}" if part else "")

    def link(self, record_type: str, record_id: str) -> str:
        """The IRI of a record another refers to; for one the edition withholds, its leaf's node, which says
        nothing of it: no IRI is ever made from a withheld record's id."""
        leaf = self.dossier.withheld_leaf(record_type, record_id)
        return self.iri(record_type, record_id) if leaf is None else f"{self.record_set}#leaf-{leaf}"

    def text(self, value: str, language: str) -> dict[str, str]:
        return {"@value": value, "@language": language}

    def add(self, node: dict[str, Any]) -> dict[str, Any]:
        # Serialised at once, one line per node: a million small dicts would outweigh their JSON many
        # times over, and without indentation the C encoder does the work.
        kept = {key: value for key, value in node.items() if value not in (None, [], {})}
        self.nodes.append((node["@id"], _NODE_ENCODER.encode(kept).encode("utf-8")))
        return node

    def thing(self, record_type: str, record_id: str, sources: list[str]) -> dict[str, Any]:
        """The node of what a record describes (a person, an event, the appeal), and, on its own line, the
        record's node: a prov:Entity about it, with its path, hash, salt and leaf, derived from its sources
        and part of this edition. Provenance sits on the record, facts on the thing."""
        iri = self.iri(record_type, record_id)
        declared = BY_NAME[record_type]
        entry = self.entries[declared.path_of(record_id)]
        self.add({"@id": f"{iri}#record", "@type": ["prov:Entity", "schema:CreativeWork", "aa:Record"],
                  "about": iri, "identifier": record_id, "recordPath": entry["path"],
                  "recordSha256": entry["sha256"], "recordSalt": entry["salt"], "leafIndex": entry["index"],
                  "isPartOf": self.record_set,
                  "wasDerivedFrom": [self.link("source", source) for source in sources] or [iri]})
        return {"@id": iri, "@type": list(declared.linked_data_classes), "identifier": record_id}

    # --- records ------------------------------------------------------------------------------------

    def source(self, source: Source) -> None:
        document = self.documents.get(f"sources/{source.file}")
        capture = source.capture
        unknown = [label for label, value in (("publisher URL", capture.publisher_url),
                                              ("capture date", capture.captured_on)) if value == "unknown"]
        node = self.thing("source", source.id, [])
        self.add({**node, "name": self.text(source.title, "en"), "encodingFormat": source.media_type,
                  "inLanguage": source.language, **(self.document_facts(document) if document else {}),
                  "captureKind": capture.kind, "captureDescription": self.text(capture.description, "en"),
                  "url": None if capture.publisher_url == "unknown" else capture.publisher_url,
                  "capturedOn": None if capture.captured_on == "unknown" else capture.captured_on,
                  "notKnown": unknown, "archivistNote": [self.text(note, "en") for note in source.notes]})

    @staticmethod
    def document_facts(document: dict[str, Any]) -> dict[str, Any]:
        """A source document's manifest entry; absent when the edition withholds the document."""
        return {"documentPath": document["path"], "sha256": document["sha256"], "documentSalt": document["salt"],
                "documentLeafIndex": document["index"]}

    def appeal(self, appeal: Appeal) -> None:
        lang = appeal.language
        iri = self.iri("appeal", appeal.id)
        node = self.thing("appeal", appeal.id, [appeal.source])
        recipients = []
        for number, addressee in enumerate(appeal.addressees, 1):
            recipients.append(self.add({"@id": f"{iri}#addressee-{number}", "@type": ["schema:Organization"],
                                        "name": self.text(addressee, lang), "order": number})["@id"])
        demands = []
        for demand in appeal.demands:
            demands.append(self.add({"@id": f"{iri}#demand-{demand.number}", "@type": ["aa:Demand"],
                                     "position": demand.number, "text": self.text(demand.text, lang)})["@id"])
        claims = [self.claim(appeal, claim) for claim in appeal.claims]
        joined: list[str] = []
        photo = None
        if appeal.photo:
            photo = self.add({"@id": f"{iri}#photo", "@type": ["schema:ImageObject"],
                              "caption": self.text(appeal.photo.caption, lang),
                              "creditText": self.text(appeal.photo.credit, lang),
                              "imageAvailable": appeal.photo.image_available,
                              "archivistNote": self.text(appeal.photo.note, "en") if appeal.photo.note else None,
                              })["@id"]
        similar = appeal.similar_appeals
        self.add({**node, "name": self.text(appeal.title, lang), "inLanguage": lang,
                  "recipient": recipients, "text": self.text("\n\n".join(appeal.body), lang), "demand": demands,
                  "dateCreated": appeal.adoption.date, "adoptedAt": self.link("rally", appeal.adoption.rally),
                  "adoptionStatement": self.text(appeal.adoption.as_printed, lang),
                  "datePrinted": self.text(appeal.adoption.date_as_printed, lang),
                  "occasion": self.text(appeal.adoption.occasion, lang) if appeal.adoption.occasion else None,
                  "similarAppealAdoptedAt": [self.link("rally", rally) for rally in similar.rallies] if similar else [],
                  "similarAppealsStatement": self.text(similar.as_printed, lang) if similar else None,
                  "mentions": sorted({self.link("person", mention.ref) for mention in appeal.mentions}),
                  "image": photo, "hasPart": claims, "signatoryCount": appeal.signatory_count, "joined": joined})
        for number, (source, count) in enumerate(self.dossier.joined(appeal), 1):
            joined.append(self.add({"@id": f"{iri}#joined-{number}", "@type": ["aa:JoinedEntries"],
                                    "joinedFrom": self.link("source", source), "entryCount": count})["@id"])
        for position in self.dossier.withheld_positions(appeal.id):
            self.add({"@id": f"{iri}#withheld-entry-{position}", "@type": ["aa:WithheldEntry"], "order": position,
                      "signatoryOf": iri, "description": self.text(WITHHELD_ENTRY, "en")})

    def claim(self, appeal: Appeal, claim) -> str:
        iri = f"{self.iri('appeal', appeal.id)}#claim-{claim.id}"
        author = self.add({"@id": f"{iri}-author", "@type": ["schema:Organization"],
                           "name": self.text(claim.attributed_to, appeal.language)})["@id"]
        self.add({"@id": iri, "@type": ["schema:Claim"], "text": self.text(claim.as_printed, appeal.language),
                  "author": author, "appearance": self.iri("appeal", appeal.id),
                  "statedCount": self.count(f"{iri}-count", claim.count, appeal.language) if claim.count else None,
                  "archivistNote": self.text(claim.note, "en") if claim.note else None})
        return iri

    def count(self, iri: str, count: Count, language: str) -> str:
        return self.add({"@id": iri, "@type": ["schema:QuantitativeValue"], "value": count.value,
                         "qualifier": count.qualifier, "asPrinted": self.text(count.as_printed, language)})["@id"]

    def rally(self, rally: Rally) -> None:
        iri = self.iri("rally", rally.id)
        self.add({"@id": f"{iri}#place", "@type": ["schema:Place"], "address": f"{iri}#address",
                  "name": self.text(rally.city, "en")})
        self.add({"@id": f"{iri}#address", "@type": ["schema:PostalAddress"], "addressLocality": rally.city,
                  "addressCountry": rally.country})
        node = self.thing("rally", rally.id, [rally.source])
        self.add({**node, "name": self.text(rally.as_printed, "en"), "startDate": rally.date,
                  "datePrinted": self.text(rally.date_as_printed, "en"), "location": f"{iri}#place",
                  "participants": self.count(f"{iri}#participants", rally.participants, "en")})

    def signatory(self, signatory: Signatory) -> None:
        """The entry is a schema:Role in the Role pattern: the appeal -> contributor -> this role ->
        contributor -> the person (or, when the entry names none, the organization); each capacity is an
        OrganizationRole: the person -> memberOf -> the role -> memberOf -> the organization."""
        iri = self.iri("signatory", signatory.id)
        person = self.link("person", signatory.person.ref) if signatory.person else None
        capacities = []
        for number, capacity in enumerate(signatory.capacities, 1):
            organization = capacity.organization
            capacities.append(self.add({
                "@id": f"{iri}#capacity-{number}", "@type": ["schema:OrganizationRole"], "order": number,
                "roleName": self.text(capacity.role, "en"), "roleOf": person,
                # schema:memberOf needs a member (the Role pattern): an entry naming no person has none.
                "memberOf" if person else "roleIn":
                    self.link("organization", organization.ref) if organization else None,
                "organizationAsPrinted": self.text(organization.name, "en") if organization else None})["@id"])
        notes = [self.entry_note(f"{iri}#note-{number}", number, note, person, signatory.source)
                 for number, note in enumerate(signatory.notes, 1)]
        node = self.thing("signatory", signatory.id, [signatory.source])
        signed_as = person or next((self.link("organization", capacity.organization.ref)
                                    for capacity in signatory.capacities if capacity.organization), None)
        self.add({**node, "order": signatory.position, "asPrinted": self.text(signatory.as_printed, "en"),
                  "signatoryOf": self.link("appeal", signatory.appeal),
                  "contributionTo": self.link("appeal", signatory.appeal), "roleName": self.text("signatory", "en"),
                  "startDate": signatory.signed.date if signatory.signed else self.adoption_dates.get(signatory.appeal),
                  "contributor": signed_as,
                  "personAsPrinted": self.text(signatory.person.name, "en") if signatory.person else None,
                  "dateSignedAsPrinted": self.text(signatory.signed.as_printed, "en") if signatory.signed else None,
                  "cityAsPrinted": self.text(place.city, "en") if (place := signatory.place) and place.city else None,
                  "countryAsPrinted": self.text(place.country, "en") if place and place.country else None,
                  "signerComment": self.text(signatory.comment, "en") if signatory.comment else None,
                  "capacity": capacities, "entryNote": notes,
                  "archivistNote": self.text(signatory.archivist_note, "en") if signatory.archivist_note else None})

    def entry_note(self, iri: str, number: int, note, person: str | None, source: str) -> str:
        """A remark of the entry and the facts it states, each a schema:Claim about a person that the source
        makes (schema:appearance), with the words it rests on (schema:text)."""
        document = self.link("source", source)
        claims = []
        if note.status and person:
            claims.append(self.status_claim(f"{iri}-status", person, note.status, document))
        if note.sentence and person:
            sentence = note.sentence
            term = sentence.term
            claims.append(self.add({
                "@id": f"{iri}-sentence", "@type": ["schema:Claim", "aa:SentenceStatement"], "about": person,
                "appearance": document, "text": self.text(sentence.as_printed, "en"),
                "punishment": sentence.punishment, "inAbsentia": sentence.in_absentia,
                "inAbsentiaAsPrinted": self.text(sentence.in_absentia_as_printed, "en")
                if sentence.in_absentia_as_printed else None,
                "sentencedBy": self.text(sentence.by, "en") if sentence.by else None,
                "term": self.add({"@id": f"{iri}-term", "@type": ["schema:QuantitativeValue"], "value": term.value,
                                  "qualifier": "exact", "unitText": term.unit,
                                  "asPrinted": self.text(term.as_printed, "en")})["@id"]
                if term else None})["@id"])
        if note.relation:
            relation = note.relation
            related = self.link("person", relation.person.ref)
            claims.append(self.add({
                "@id": f"{iri}-relation", "@type": ["schema:Claim", "aa:KinshipStatement"], "about": person,
                "appearance": document, "text": self.text(relation.as_printed or note.text, "en"),
                "relationKind": relation.kind, "relatedPerson": related})["@id"])
            if relation.person_status:
                claims.append(self.status_claim(f"{iri}-related-status", related, relation.person_status, document))
        return self.add({"@id": iri, "@type": ["aa:EntryNote"], "position": number,
                         "text": self.text(note.text, "en"), "states": claims})["@id"]

    def status_claim(self, iri: str, person: str, status, document: str) -> str:
        return self.add({"@id": iri, "@type": ["schema:Claim", "aa:StatusStatement"], "about": person,
                         "appearance": document, "text": self.text(status.as_printed, "en"),
                         "status": STATUSES[status.status]})["@id"]

    def agent(self, agent: Person | Organization) -> None:
        """A person or an organization: the names its sources print, and those an archivist added."""
        iri = self.iri(agent.type, agent.id)
        forms = [self.name_form(f"{iri}#name-{number}", name, "en", "aa:SourceText", None)
                 for number, name in enumerate(agent.names, 1)]
        forms += [self.name_form(f"{iri}#added-name-{number}", added.text, added.lang, "aa:ArchivistAddition",
                                 added) for number, added in enumerate(agent.archivist_names, 1)]
        node = self.thing(agent.type, agent.id, agent.sources)
        self.add({**node, "name": [self.text(name, "en") for name in agent.names],
                  "alternateName": [self.text(added.text, added.lang) for added in agent.archivist_names],
                  "nameForm": forms,
                  "archivistNote": self.text(agent.archivist_note, "en") if agent.archivist_note else None})

    def name_form(self, iri: str, text: str, language: str, origin: str, added: ArchivistName | None) -> str:
        return self.add({"@id": iri, "@type": ["aa:NameForm"], "name": self.text(text, language), "origin": origin,
                         "archivistNote": self.text(added.note, "en") if added else None})["@id"]


    # --- the whole set ------------------------------------------------------------------------------

    def write(self, out: BinaryIO) -> None:
        """The whole bundle: the context indented, then one node per line, sorted by @id; keys sorted; UTF-8.

        Nodes are written as they are made, never all held: records are visited folder by folder and id by
        id, which is @id order because every IRI is <base><folder>/<id>, and a record's own nodes
        (<id>#part) sort right after it ('#' comes before every character an id may hold).
        """
        steps: list[tuple[str, RecordType | None]] = [(declared.folder, declared) for declared in RECORD_TYPES]
        steps.append(("record-sets", None))
        context = json.dumps(self.context(), ensure_ascii=False, sort_keys=True, indent=2).replace("\n", "\n  ")
        out.write(f'{{\n  "@context": {context},\n  "@graph": [\n    '.encode())
        first = True
        for _, declared in sorted(steps, key=lambda step: step[0]):
            for model in self.dossier.each(declared.name) if declared else [None]:
                for line in self.lines_of(declared.name if declared else None, model):
                    out.write(line if first else b",\n    " + line)
                    first = False
        out.write(b"\n  ]\n}\n")

    def context(self) -> dict[str, Any]:
        return {**CONTEXT, **({"@base": self.base_iri} if not self.base else {})}

    def lines_of(self, record_type: str | None, model: Any) -> list[bytes]:
        """The lines (one node each) the bundle holds for one record's model, in the bundle's order; for the
        record set's own nodes when `record_type` is None. A page that shows the record embeds these bytes."""
        self.record_set_node() if record_type is None else getattr(self, BY_NAME[record_type].linked_data_writer)(model)
        lines = [line for _, line in sorted(self.nodes)]
        self.nodes.clear()
        return lines

    def record_set_node(self) -> None:
        config, protected = self.dossier.config, self.dossier.manifest.get("protected")
        publisher = self.add({"@id": config.custodian_id or f"{self.record_set}#custodian",
                              "@type": ["schema:Organization"], "name": self.text(config.custodian, "en"),
                              "email": config.contact.email})["@id"]
        distribution = [self.add({"@id": f"{self.record_set}#file-{number}", "@type": ["schema:DataDownload"],
                                  "name": name, "encodingFormat": media_type})["@id"]
                        for number, (name, media_type) in enumerate(self.files, 1)]
        self.add({"@id": self.record_set, "@type": ["schema:Dataset"],
                  "identifier": config.archival_id, "name": self.text(config.title, "en"),
                  "description": self.text(config.description or config.title, "en"), "license": config.license,
                  "publisher": publisher, "datePublished": self.build_date, "distribution": distribution,
                  "custodian": config.custodian, "rootHash": self.dossier.root,
                  "manifestVersion": self.dossier.manifest["manifest_version"],
                  "edition": self.dossier.manifest["edition"], "treeSize": self.dossier.manifest["tree_size"],
                  "withheldLeaf": [self.add({"@id": f"{self.record_set}#leaf-{withheld['index']}",
                                             "@type": ["aa:WithheldRecord"], "leafIndex": withheld["index"],
                                             "leafHash": withheld["leaf"],
                                             **({"leafStatus": withheld["status"], "markedIn": withheld["marked_in"]}
                                                if "status" in withheld else {})}
                                            )["@id"]
                                   for withheld in self.dossier.manifest["withheld"]],
                  "protectedLeaf": protected, "protectedLeafCount": None if protected is None else len(protected),
                  **self.lineage()})  # a full edition says how many places it protects, none too

    def lineage(self) -> dict[str, Any]:
        """The edition this one extends and the leaves it keeps as superseded or retracted (lineage.py)."""
        manifest, said = self.dossier.manifest, {}
        if "earlier" in manifest:
            said["earlierLeaf"] = [self.add({
                "@id": f"{self.record_set}#leaf-{item['index']}", "@type": ["aa:EarlierLeaf"],
                "leafIndex": item["index"], "leafHash": item["leaf"], "leafStatus": item["status"],
                "earlierPath": item["path"], "changeReason": item["reason"], "markedIn": item["marked_in"],
                **({"supersededBy": item["by"]} if item["by"] is not None else {})})["@id"]
                for item in manifest["earlier"]]
        if (extends := manifest.get("extends")) is not None:
            said["wasRevisionOf"] = self.add({
                "@id": f"{self.record_set}#extends", "@type": ["prov:Entity", "aa:Edition"],
                "identifier": extends["archival_id"], "editionKind": extends["edition"],
                "editionNumber": extends["number"],
                "editionTreeSize": extends["tree_size"], "editionRoot": extends["root"],
                "signedAt": extends["signed_at"], "sha256": extends["sha256"],
                "consistencyProof": extends["proof"]})["@id"]
        return said


STATUSES = {"political-prisoner": "aa:PoliticalPrisoner", "former-political-prisoner": "aa:FormerPoliticalPrisoner"}
_NODE_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _resolves_plainly(base: str) -> bool:
    """Whether a relative reference "<folder>/<id>" resolves against `base` to exactly base + reference (RFC 3986
    section 5.2): a base ending in '/' with no query, fragment or '.'/'..' segment."""
    path = base.split("://", 1)[-1]
    return base.endswith("/") and not any(mark in base for mark in "?#") and not any(
        segment in (".", "..") for segment in path.split("/"))


def write_bundle(out: BinaryIO, dossier: Dossier, build_date: datetime | None = None,
                 files: tuple[tuple[str, str], ...] = ()) -> None:
    """Write the JSON-LD bundle of a validated record set into `out` as it is made (a bundle of 100,000
    signatories is 175 MB): the same records, build date and files, the same bytes. `files` (name, media
    type) are the edition's files, its distribution."""
    published = build_date.strftime("%Y-%m-%dT%H:%M:%SZ") if build_date else None
    Bundle(dossier, published, files).write(out)


def bundle_bytes(dossier: Dossier, build_date: datetime | None = None,
                 files: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The bundle as bytes (write_bundle), for a small record set."""
    out = io.BytesIO()
    write_bundle(out, dossier, build_date, files)
    return out.getvalue()
