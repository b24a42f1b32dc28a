"""The record types, declared once: the `type:` a record states, the folder that holds its records, its model,
and how the views treat it. The scan, the schema and its export, fmt, the record writer, the manifest, the
views and verify read this table; a new record type is a row here, a model in models.py and a method of the
JSON-LD writer (a test holds the three together).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

# What a record's id may be: lower-case letters and digits in words joined by single hyphens (it is its file's
# name and part of its IRI).
RECORD_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


@dataclass(frozen=True)
class RecordType:
    name: str  # what its records say in `type:`
    folder: str  # records/<folder>/<id>.yaml; its records' IRIs are <base_iri><folder>/<id>
    model_name: str  # its pydantic model in models.py
    linked_data_classes: tuple[str, ...]  # the classes of what its records describe, in the JSON-LD bundle
    linked_data_writer: str  # the JSON-LD writer's method that writes its nodes (views/jsonld.py)
    agent: bool = False  # a person or an organization: any may come to be protected (access.py)
    few: bool = False  # a handful per set, read by every view: the dossier parses them once and keeps them

    @property
    def model(self) -> Any:
        """Its model class. Imported when asked: reading the table loads neither pydantic nor the models."""
        return getattr(importlib.import_module("appeal_archive.records.models"), self.model_name)

    def path_of(self, record_id: str) -> str:
        """Where a record of this type with this id sits in a records folder."""
        return f"{self.folder}/{record_id}.yaml"


# In this order the schema is exported (the order decides which definitions schema/defs.schema.json shares).
RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("source", "sources", "Source", ("schema:DigitalDocument", "schema:MediaObject"), "source", few=True),
    RecordType("appeal", "appeals", "Appeal", ("schema:Message", "aa:Appeal"), "appeal", few=True),
    RecordType("rally", "rallies", "Rally", ("schema:Event",), "rally", few=True),
    RecordType("signatory", "signatories", "Signatory", ("schema:Role", "aa:SignatoryEntry"), "signatory"),
    RecordType("person", "persons", "Person", ("schema:Person",), "agent", agent=True),
    RecordType("organization", "organizations", "Organization", ("schema:Organization",), "agent", agent=True),
)
BY_NAME: dict[str, RecordType] = {record_type.name: record_type for record_type in RECORD_TYPES}
BY_FOLDER: dict[str, RecordType] = {record_type.folder: record_type for record_type in RECORD_TYPES}
AGENT_TYPES: tuple[str, ...] = tuple(record_type.name for record_type in RECORD_TYPES if record_type.agent)


def type_of_folder(folder: str) -> str | None:
    """The record type whose records a folder holds, or None for a folder that holds none."""
    record_type = BY_FOLDER.get(folder)
    return record_type.name if record_type else None


def folder_of(record_type: str) -> str:
    """The folder that holds records of a type."""
    return BY_NAME[record_type].folder
