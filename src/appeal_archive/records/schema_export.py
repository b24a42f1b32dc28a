"""Models -> schema/*.json: exports the pydantic models as the published JSON Schema (draft 2020-12) files.

Pydantic writes one self-contained schema per model; this turns them into one file per record type
plus defs.schema.json for what several types share, with `$id`s, cross-file `$ref`s, and optional
fields that may be absent but never null.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, Issue
from appeal_archive.records.models import SHARED_STRINGS, ArchiveConfig
from appeal_archive.records.schema import (
    CONFIG_TYPE,
    DEFS_FILE,
    SCHEMA_BASE,
    schema_file_name,
)
from appeal_archive.records.types import RECORD_TYPES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_FRONT = ("$schema", "$id", "title", "description", "type")


def _ordered(node: dict) -> dict:
    """Readable key order: identity and documentation first, the rest as pydantic wrote it."""
    front = {key: node[key] for key in _FRONT if key in node}
    return {**front, **{key: value for key, value in node.items() if key not in front}}


def _rewrite(node: Any, shared_models: set[str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, shared_models) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _rewrite_map(value, shared_models) if key in ("properties", "$defs") else
            _rewrite(value, shared_models) for key, value in node.items()}
    if "x-def" in node:
        name = node.pop("x-def")
        node = {"$ref": f"{DEFS_FILE}#/$defs/{name}", **node}
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in shared_models:
        node["$ref"] = DEFS_FILE + ref
    if node.get("type") == "object" and "properties" in node:
        required = set(node.get("required", []))
        node["properties"] = {name: _absent_not_null(schema) if name not in required else schema
                              for name, schema in node["properties"].items()}
    return _ordered(node)


def _rewrite_map(schemas: dict, shared_models: set[str]) -> dict:
    """A name -> schema mapping (properties, $defs): its names keep their order."""
    return {name: _rewrite(schema, shared_models) for name, schema in schemas.items()}


def _absent_not_null(schema: dict) -> dict:
    # Optional fields are left out of a record, never written as null: one way to say "not given".
    schema = {key: value for key, value in schema.items() if not (key == "default" and value is None)}
    alternatives = schema.get("anyOf")
    if alternatives and {"type": "null"} in alternatives:
        kept = [alternative for alternative in alternatives if alternative != {"type": "null"}]
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        schema = {**kept[0], **rest} if len(kept) == 1 else {"anyOf": kept, **rest}
    return schema


def export_schemas() -> dict[str, dict]:
    """File name -> schema document for every file in schema/."""
    models = {**{record_type.name: record_type.model for record_type in RECORD_TYPES}, CONFIG_TYPE: ArchiveConfig}
    raw = {record_type: model.model_json_schema(ref_template="#/$defs/{model}")
           for record_type, model in models.items()}
    usage = Counter(name for schema in raw.values() for name in schema.get("$defs", {}))
    shared_models = {name for name, count in usage.items() if count > 1}
    shared_defs: dict[str, Any] = {}
    files: dict[str, dict] = {}
    for record_type, schema in raw.items():
        local_defs = schema.pop("$defs", {})
        for name in sorted(shared_models & set(local_defs)):
            shared_defs[name] = _rewrite(copy.deepcopy(local_defs.pop(name)), shared_models)
        body = _rewrite(schema, shared_models)
        document = {
            "$schema": DRAFT,
            "$id": SCHEMA_BASE + schema_file_name(record_type),
            **body,
        }
        if local_defs:
            document["$defs"] = {name: _rewrite(definition, shared_models)
                                 for name, definition in sorted(local_defs.items())}
        files[schema_file_name(record_type)] = _ordered(document)
    # Shared models refer to each other with local refs inside defs.schema.json.
    shared_defs = json.loads(json.dumps(shared_defs).replace(f'"{DEFS_FILE}#/$defs/', '"#/$defs/'))
    shared = {**{name: dict(schema) for name, schema in SHARED_STRINGS.items()}, **dict(sorted(shared_defs.items()))}
    for name, document in list(files.items()):
        files[name] = _self_contained(document, shared)
    files[DEFS_FILE] = {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + DEFS_FILE,
        "title": "Shared definitions of appeal-archive records",
        "description": "Types several record types use: record ids and references, quoted text, dates, "
        "language tags, digests, counts with their qualifier, and name forms.",
        "$defs": {**{name: dict(schema) for name, schema in SHARED_STRINGS.items()},
                  **dict(sorted(shared_defs.items()))},
    }
    return files


def _self_contained(document: dict, shared: dict[str, Any]) -> dict:
    """The record type's schema with the shared definitions it uses copied into its own $defs: a validator
    given this one file (check-jsonschema --schemafile) needs nothing else, and no network for its $id's
    host. defs.schema.json still publishes them together."""
    document = json.loads(json.dumps(document).replace(f'"{DEFS_FILE}#/$defs/', '"#/$defs/'))
    needed: set[str] = set()
    todo = [document]
    while todo:
        text = json.dumps(todo.pop())
        for name in set(re.findall(r'"#/\$defs/([^"/]+)"', text)) - needed:
            needed.add(name)
            if name in shared:
                todo.append(shared[name])
    own = document.get("$defs", {})
    document["$defs"] = {**own, **{name: shared[name] for name in sorted(needed) if name in shared and name not in own}}
    return document


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale_files(directory: Path) -> list[str]:
    """Names of schema files in `directory` that differ from what the models export (or are missing)."""
    return [name for name, schema in export_schemas().items()
            if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != render(schema)]


@dataclass
class SchemaReport:
    """Schema files that are missing or differ from the models (or, with `write`, that were written)."""

    directory: str
    write: bool
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        if self.write:
            return []
        hint = "run `appeal-archive schema --write` in the repository after changing models.py"
        if not Path(self.directory).is_dir():
            return [Issue("schema.file-missing", "is not a folder here; the schema files live in the repository's "
                          "schema/ (give --dir)", file=self.directory, hint=hint)]
        return ([Issue("schema.file-missing", "is missing", file=f"{self.directory}/{name}", hint=hint)
                 for name in self.missing]
                + [Issue("schema.file-stale", "differs from what the models export", file=f"{self.directory}/{name}",
                         hint=hint) for name in self.stale])

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict:
        return {"ok": self.ok, "directory": self.directory, "write": self.write, "missing": self.missing,
                "stale": self.stale, "issues": [issue.to_dict() for issue in self.issues]}


def check_schemas(directory: Path, write: bool = False) -> SchemaReport:
    """Compare `directory` with the exported schemas; with `write`, bring it up to date."""
    report = SchemaReport(str(directory), write)
    for name in stale_files(directory):
        (report.stale if (directory / name).is_file() else report.missing).append(name)
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in export_schemas().items():
            if name in report.missing or name in report.stale:
                (directory / name).write_text(render(schema), encoding="utf-8")
    return report
