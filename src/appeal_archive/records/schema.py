"""Schema: the committed schema/*.json -> one validator per record type, and issues with codes.

The schema files are the published contract and the only thing validation reads; they are exported
from `models.py` (`appeal-archive schema --write`) and a test fails when they are stale. The same
files tell the validator which fields quote the source (`$ref` to the shared "quote" definition) and
which fields refer to other records (`x-references`), and give fmt its key order and the hints their
descriptions and examples.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from appeal_archive.errors import Issue, json_pointer

SCHEMA_BASE = "https://w3id.org/appeal-archive/schema/v1/"
DEFS_FILE = "defs.schema.json"
CONFIG_TYPE = "archive"


def schema_dir() -> Path:
    """The schema folder: packaged inside the wheel, or the repository's schema/ in a source checkout."""
    packaged = Path(__file__).resolve().parents[1] / "_schema"  # in a wheel: appeal_archive/_schema
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "schema"


def schema_file_name(record_type: str) -> str:
    return f"{record_type}.schema.json"


@cache
def load_schema(file_name: str) -> dict:
    return json.loads((schema_dir() / file_name).read_text(encoding="utf-8"))


@cache
def validator(record_type: str) -> Any:
    defs = load_schema(DEFS_FILE)
    registry = jsonschema_rs.Registry([(defs["$id"], defs)])
    return jsonschema_rs.Draft202012Validator(
        load_schema(schema_file_name(record_type)), registry=registry, validate_formats=True)


# --- navigating the schema --------------------------------------------------------------------------


def resolve(node: dict, document: dict) -> tuple[dict, dict]:
    """Follow a `$ref` (local or into defs.schema.json); returns the target and the document it lives in."""
    seen = 0
    while "$ref" in node and seen < 16:
        seen += 1
        file_part, _, fragment = node["$ref"].partition("#")
        if file_part:
            document = load_schema(file_part)
        target = document
        for token in fragment.strip("/").split("/") if fragment.strip("/") else []:
            target = target[token]
        extra = {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **extra} if extra else target
    return node, document


def _branches(node: dict, document: dict) -> Iterator[tuple[dict, dict]]:
    node, document = resolve(node, document)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        for alternative in alternatives:
            yield from _branches(alternative, document)
    else:
        yield node, document


def locate_schema(record_type: str, tokens: list[str]) -> tuple[dict, dict] | None:
    """The schema of the value at `tokens` (keys and list indexes) in a record, with the document it is
    in (so its own `$ref`s resolve), or None if no schema applies there."""
    document = load_schema(schema_file_name(record_type))
    candidates = list(_branches(document, document))
    for token in tokens:
        following: list[tuple[dict, dict]] = []
        for node, node_document in candidates:
            if token.isdigit() and "items" in node:
                following.extend(_branches(node["items"], node_document))
            elif token in node.get("properties", {}):
                following.extend(_branches(node["properties"][token], node_document))
        if not following:
            return None
        candidates = following
    return next((pair for pair in candidates if pair[0].get("type") == "object"), candidates[0])


def subschema(record_type: str, tokens: list[str]) -> dict | None:
    found = locate_schema(record_type, tokens)
    return found[0] if found else None


def property_order(record_type: str, tokens: list[str]) -> list[str]:
    node = subschema(record_type, tokens)
    return list(node.get("properties", {})) if node else []


@cache
def marker_paths(record_type: str) -> tuple[tuple[tuple[str, ...], str, str | None], ...]:
    """Where a record's quotes and references are: (path with '*' for list items, kind, referenced type)."""
    found: list[tuple[tuple[str, ...], str, str | None]] = []
    defs_id = load_schema(DEFS_FILE)["$id"]

    def is_quote(node: dict, document: dict) -> bool:
        # The shared "quote" definition, in defs.schema.json or copied into the record type's own $defs.
        file_part, _, fragment = node.get("$ref", "").partition("#")
        target = load_schema(file_part) if file_part else document
        return fragment == "/$defs/quote" and (target["$id"] == defs_id or "quote" in document.get("$defs", {}))

    def walk(node: dict, document: dict, path: tuple[str, ...], depth: int) -> None:
        if depth > 12:
            return
        if is_quote(node, document):
            found.append((path, "quote", None))
            return
        if "x-references" in node:
            found.append((path, "ref", node["x-references"]))
            return
        for branch, branch_document in _branches(node, document):
            if branch is not node:
                walk(branch, branch_document, path, depth + 1)
                continue
            for name, child in branch.get("properties", {}).items():
                walk(child, branch_document, path + (name,), depth + 1)
            if "items" in branch:
                walk(branch["items"], branch_document, path + ("*",), depth + 1)

    schema = load_schema(schema_file_name(record_type))
    walk(schema, schema, (), 0)
    return tuple(dict.fromkeys(found))


# --- schema issues ----------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _example_hint(node: dict | None) -> str:
    if not node:
        return ""
    parts = []
    if node.get("description"):
        parts.append(node["description"].rstrip("."))
    if node.get("examples"):
        parts.append("e.g. " + json.dumps(node["examples"][0], ensure_ascii=False))
    if node.get("enum"):
        parts.append("one of: " + ", ".join(map(str, node["enum"])))
    return "; ".join(parts)


def _mapping_hint(name: str, node: dict) -> str:
    """What to write where a mapping is expected, with its fields and, when the schema has one, an example."""
    required = node.get("required", list(node["properties"]))
    hint = f"write {name} as a mapping with the fields {', '.join(required)}"
    if node.get("examples"):
        example = node["examples"][0]
        fields = ", ".join(f"{key}: {json.dumps(example[key], ensure_ascii=False)}" if isinstance(example[key], str)
                           and " " in example[key] else f"{key}: {example[key]}"
                           for key in node["properties"] if key in example)
        hint += f", e.g. {name}: {{{fields}}}"
    return hint


def iter_issues(record_type: str, data: Any) -> Iterator[Issue]:
    """Schema problems of one record, each with a stable code, its JSON pointer and a hint.

    An unknown field is reported at its key: its pointer ends in the key, marked with "#key".
    """
    check = validator(record_type)
    if check.is_valid(data):
        return
    for error in check.iter_errors(data):
        tokens = [str(token) for token in error.instance_path]
        yield from _issues_for(record_type, error, tokens)


def _issues_for(record_type: str, error: Any, tokens: list[str]) -> Iterator[Issue]:
    kind = error.kind.name
    details = error.kind.as_dict()
    pointer = json_pointer(tokens)
    found = locate_schema(record_type, tokens)
    here = found[0] if found else None
    value = error.instance
    if kind == "required":
        name = details["property"]
        child = (here or {}).get("properties", {}).get(name)
        child_node = resolve(child, found[1])[0] if child and found else None
        if child_node is not None and "examples" not in child:
            # A shared definition's example (of some other quote) would mislead about this field.
            child_node = {key: value for key, value in child_node.items() if key != "examples"}
        hint = f"add '{name}'" + (f": {_example_hint(child_node)}" if child_node else "")
        yield Issue("schema.required", f"'{name}' is required", pointer=pointer, hint=hint)
    elif kind == "additionalProperties":
        allowed = list((here or {}).get("properties", {}))
        for name in details.get("unexpected", []):
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + "fields allowed here: " + ", ".join(allowed)
            yield Issue("schema.unknown-field", f"unknown field '{name}'",
                        pointer=json_pointer([*tokens, name]) + "#key", hint=hint)
    elif kind == "type":
        expected = details.get("types") or details.get("type") or here and here.get("type")
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        hint = _example_hint(here) or f"write a value of type {expected_text}"
        if expected_text == "object" and here and here.get("properties"):
            hint = _mapping_hint(tokens[-1] if tokens else "the record", here)
        elif expected_text == "string" and not isinstance(value, (dict, list)):
            hint = f"put the value in quotes: \"{value}\"" if value is not None else "write the text after the colon"
        elif expected_text == "string" and isinstance(value, dict) and len(value) == 1 \
                and next(iter(value.values())) is None:
            # `- Signed by:` is YAML for a field named "Signed by" with no value, not for the text.
            text = next(iter(value))
            hint = (f"a text that ends with ':' is read as a field name: put it in quotes, \"{text}:\" (a "
                    "line ending in ':' starts a new field in YAML)")
        yield Issue("schema.type", f"expected {expected_text}, found {json_type(value)}", pointer=pointer, hint=hint)
    elif kind in ("enum", "constant"):
        options = details.get("options") or details.get("expected_value")
        options_text = ", ".join(map(str, options)) if isinstance(options, list) else str(options)
        yield Issue("schema.enum", f"{json.dumps(value, ensure_ascii=False)} is not allowed here; "
                    f"allowed: {options_text}", pointer=pointer,
                    hint="use one of the allowed values" + (f" ({_example_hint(here)})" if here else ""))
    elif kind == "format":
        yield Issue("schema.format", f"{json.dumps(value, ensure_ascii=False)} is not a valid "
                    f"{details.get('format')}", pointer=pointer,
                    hint="write a real calendar date as YYYY-MM-DD, in quotes" if details.get("format") == "date"
                    else _example_hint(here))
    elif kind == "pattern":
        yield Issue("schema.pattern", f"{json.dumps(value, ensure_ascii=False)} is not of the required form",
                    pointer=pointer, hint=_example_hint(here) or f"match the pattern {details.get('pattern')}")
    elif kind in ("anyOf", "oneOfNotValid", "oneOfMultipleValid"):
        yield Issue("schema.no-match", f"{json.dumps(value, ensure_ascii=False)[:80]} matches none of the "
                    "allowed forms", pointer=pointer, hint=_example_hint(here) or "see the schema for this field")
    else:
        code = {"minLength": "schema.too-short", "maxLength": "schema.too-long", "minItems": "schema.too-few",
                "maxItems": "schema.too-many", "minimum": "schema.too-small", "maximum": "schema.too-large",
                "exclusiveMinimum": "schema.too-small", "exclusiveMaximum": "schema.too-large"}.get(
                    kind, "schema.invalid")
        yield Issue(code, error.message.replace('"', "'"), pointer=pointer,
                    hint=_example_hint(here) or "see the schema for this field")
