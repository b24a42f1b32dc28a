"""The Linked Art view, for museum collection systems: one JSON-LD document per entity, as the Linked Art 1.0
API serves them (https://linked.art/api/1.0/): the appeal as a LinguisticObject with its creation (its
adoption at the rally), the rallies as Activities with their time spans and places, persons, groups and
places. Built from the same dossier as the bundle, so a public edition's view holds only public records.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from appeal_archive.records.models import Appeal, Organization, Person, Rally
from appeal_archive.views.dossier import Dossier
from appeal_archive.views.jsonld import VOCAB
from appeal_archive.views.registry import LINKED_ART as FOLDER

CONTEXT = "https://linked.art/ns/v1/linked-art.json"
AAT = "http://vocab.getty.edu/aat/"
PRIMARY_NAME = {"id": AAT + "300404670", "type": "Type", "_label": "Primary Name"}
ALTERNATE_NAME = {"id": AAT + "300264273", "type": "Type", "_label": "Alternate Name"}
DESCRIPTION = {"id": AAT + "300435416", "type": "Type", "_label": "Description"}
LANGUAGES = {"en": (AAT + "300388277", "English"), "be": (AAT + "300388084", "Belarusian"),
             "ru": (AAT + "300389248", "Russian"), "pl": (AAT + "300389109", "Polish"),
             "lt": (AAT + "300388770", "Lithuanian")}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "place"


class LinkedArt:
    """Makes the documents of one dossier; `documents()` yields (path in the build, bytes)."""

    def __init__(self, dossier: Dossier):
        self.dossier = dossier
        self.base = f"{dossier.config.base_iri}{FOLDER}/"

    def iri(self, kind: str, name: str) -> str:
        return f"{self.base}{kind}/{name}"

    def ref(self, kind: str, name: str, entity_type: str, label: str) -> dict[str, Any]:
        return {"id": self.iri(kind, name), "type": entity_type, "_label": label}

    @staticmethod
    def names(names: list[str], added: Sequence[Any] = ()) -> list[dict[str, Any]]:
        forms = [{"type": "Name", "content": name, "classified_as": [PRIMARY_NAME if number == 0 else ALTERNATE_NAME]}
                 for number, name in enumerate(names)]
        for form in added:
            forms.append({"type": "Name", "content": form.text, "classified_as": [ALTERNATE_NAME],
                          **_language(form.lang), "referred_to_by": [_statement(form.note)]})
        return forms

    def place_of(self, rally: Rally) -> dict[str, Any]:
        return self.ref("place", _slug(f"{rally.city}-{rally.country}"), "Place", f"{rally.city} ({rally.country})")

    def documents(self) -> Iterator[tuple[str, bytes]]:
        """(path in the build, document), one at a time: 100,000 persons are never held at once."""
        for appeal in self.dossier.appeals:
            yield _file(f"text/{appeal.id}", self.appeal(appeal))
        places: set[str] = set()
        for rally in self.dossier.rallies.values():
            yield _file(f"event/{rally.id}", self.rally(rally))
            place = self.place_of(rally)
            if place["id"] not in places:
                places.add(place["id"])
                yield _file(place["id"].removeprefix(self.base), {
                    "@context": CONTEXT, **place, "identified_by": self.names([rally.city]),
                    "referred_to_by": [_statement(f"A city in the country with ISO 3166 code {rally.country}.")]})
        groups = self.memberships()
        for person in self.dossier.persons():
            yield _file(f"person/{person.id}", self.agent(person, "Person", groups.pop(person.id, [])))
        for organization in self.dossier.organizations():
            yield _file(f"group/{organization.id}", self.agent(organization, "Group", []))

    def memberships(self) -> dict[str, list[dict[str, Any]]]:
        """Each person's groups, as the signatory entries name them (in the capacity the person signed in)."""
        groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for appeal in self.dossier.appeals:
            for signatory in self.dossier.signatories(appeal.id):
                if signatory.person is None:
                    continue
                for capacity in signatory.capacities:
                    if capacity.organization:
                        organization = capacity.organization
                        groups[signatory.person.ref][organization.ref] = self.ref(
                            "group", organization.ref, "Group", organization.name)
        return {person: list(found.values()) for person, found in groups.items()}

    def appeal(self, appeal: Appeal) -> dict[str, Any]:
        rally = self.dossier.rallies.get(appeal.adoption.rally)  # None: an edition that withholds it names nothing
        adoption: dict[str, Any] = {"type": "Creation",
                                    "timespan": _day(appeal.adoption.date, appeal.adoption.date_as_printed)}
        if rally is None:
            adoption["_label"] = "Adoption of the appeal"
        else:
            adoption.update({"_label": f"Adoption of the appeal at {rally.as_printed}",
                             "took_place_at": [self.place_of(rally)],
                             "part_of": self.ref("event", rally.id, "Activity", rally.as_printed)})
        return {
            "@context": CONTEXT, **self.ref("text", appeal.id, "LinguisticObject", appeal.title),
            "identified_by": self.names([appeal.title]) + [{"type": "Identifier", "content": appeal.id}],
            "classified_as": [{"id": VOCAB + "Appeal", "type": "Type", "_label": "Appeal"}],
            **_language(appeal.language),
            "content": "\n\n".join(appeal.body),
            "referred_to_by": [_statement(appeal.adoption.as_printed)]
            + [_statement(f"{demand.number}. {demand.text}") for demand in appeal.demands],
            "created_by": adoption,
        }

    def rally(self, rally: Rally) -> dict[str, Any]:
        return {
            "@context": CONTEXT, **self.ref("event", rally.id, "Activity", rally.as_printed),
            "identified_by": self.names([rally.as_printed]),
            "referred_to_by": [_statement(f"Participants: {rally.participants.as_printed}")],
            "took_place_at": [self.place_of(rally)],
            "timespan": _day(rally.date, rally.date_as_printed),
        }

    def agent(self, agent: Person | Organization, entity_type: str, groups: list) -> dict[str, Any]:
        kind = "person" if entity_type == "Person" else "group"
        document = {"@context": CONTEXT, **self.ref(kind, agent.id, entity_type, agent.names[0]),
                    "identified_by": self.names(list(agent.names), agent.archivist_names)}
        if agent.archivist_note:
            document["referred_to_by"] = [_statement(agent.archivist_note)]
        if groups:
            document["member_of"] = groups
        return document


def _file(path: str, document: dict[str, Any]) -> tuple[str, bytes]:
    return f"{FOLDER}/{path}.json", json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _language(tag: str) -> dict[str, Any]:
    """The `language` of a text in a language the view knows (by its BCP 47 tag), or nothing."""
    known = LANGUAGES.get(tag.split("-")[0])
    return {"language": [{"id": known[0], "type": "Language", "_label": known[1]}]} if known else {}


def _statement(text: str) -> dict[str, Any]:
    return {"type": "LinguisticObject", "content": text, "classified_as": [DESCRIPTION]}


def _day(date: str, as_printed: str) -> dict[str, Any]:
    return {"type": "TimeSpan", "begin_of_the_begin": f"{date}T00:00:00Z", "end_of_the_end": f"{date}T23:59:59Z",
            "identified_by": [{"type": "Name", "content": as_printed}]}


def linked_art_documents(dossier: Dossier) -> Iterator[tuple[str, bytes]]:
    """The Linked Art view of a dossier: (path in the build, document), one at a time."""
    return LinkedArt(dossier).documents()
