"""The record writer: a record's data -> its YAML text in the canonical style (style.py), and new record files.

What a program makes (the rows of a petition export, the benchmarks' synthetic sets) is written by this, never
by string templates: the text is the one `fmt` would make (so `fmt --check` passes on it), and it is read back
before it is returned; data that would not read back as itself is refused.

Most records hold short plain text, numbers and nested fields. Those are written line by line here, for speed
(ruamel.yaml takes a millisecond a record: minutes for a set of 100,000), and only where the plain form is
certain: a text that the loader reads back as that same text under YAML 1.2 and 1.1 alike, that no indicator
character could change, on a line within the style's width. Anything else (quoted or multi-line text, floats,
lists of lists, nulls in lists) is written by ruamel.yaml itself, with the style's settings; a test holds both
to the same output.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError as RuamelError

from appeal_archive.errors import fail
from appeal_archive.layout import CONFIG_FILE
from appeal_archive.records import loader
from appeal_archive.records.style import WIDTH, KeyOrder, canonical_yaml, child_order, dumped
from appeal_archive.records.types import BY_NAME


class NotWritable(ValueError):
    """Data that has no YAML text reading back as itself (a key that is not text, a value YAML has no form for)."""


def record_yaml(data: Mapping[str, Any]) -> str:
    """The canonical YAML text of a record's data (or of archive.yaml's), keys in the schema's order."""
    record_type = data.get("type")
    known = record_type if isinstance(record_type, str) and (record_type in BY_NAME or record_type == "archive") \
        else None
    ordered = _ordered(data, KeyOrder(known))
    lines = _mapping_lines(ordered, 0)
    try:
        text = "\n".join(lines) + "\n" if lines is not None else dumped(canonical_yaml(), ordered)
    except RuamelError as error:
        raise NotWritable(f"YAML has no form for a value in the data: {error}") from error
    if _as_json(loader.load(text.encode("utf-8")).data) != _as_json(data):
        raise NotWritable("the data does not read back the same from YAML")
    return text


def _as_json(data: Any) -> str | None:
    try:
        return json.dumps(data, sort_keys=True)  # tells apart what == does not: True and 1, 1 and 1.0
    except (TypeError, ValueError):
        return None


def write_record(records_dir: str | os.PathLike, data: Mapping[str, Any], *, durable: bool = True) -> Path:
    """Write a new record into its type's folder as <id>.yaml, whole or not at all; never over a file.
    `durable=False` skips flushing each file to disk, for sets a program can make again."""
    stated = data.get("type")
    declared = BY_NAME.get(stated) if isinstance(stated, str) else None
    record_id = data.get("id")
    if declared is None or not isinstance(record_id, str) or not record_id or "/" in record_id:
        raise fail("record.not-writable", f"a record needs a known type and an id to be written, not "
                   f"type={data.get('type')!r}, id={record_id!r}", "give the record its type and id",
                   file=str(records_dir))
    path = Path(records_dir) / declared.path_of(record_id)
    return write_new(path, _text_of(data, path), durable)


def free_id(wanted: str, taken: Callable[[str], bool]) -> str:
    """`wanted`, or the first of wanted-2, wanted-3, ... that is not taken."""
    candidate, number = wanted, 1
    while taken(candidate):
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate


def write_config(records_dir: str | os.PathLike, data: Mapping[str, Any], *, durable: bool = True) -> Path:
    """Write a new records folder's archive.yaml, whole or not at all; never over a file."""
    path = Path(records_dir) / CONFIG_FILE
    return write_new(path, _text_of(data, path), durable)


def _text_of(data: Mapping[str, Any], path: Path) -> str:
    try:
        return record_yaml(data)
    except NotWritable as error:
        raise fail("record.not-writable", f"{error}", "give the record only text, numbers, true/false, lists and "
                   "fields", file=str(path)) from error


def write_new(path: Path, text: str, durable: bool) -> Path:
    """Create a file that does not exist yet, whole or not at all. Durable: written and flushed to disk under a
    temporary name, then linked in place (a link, unlike a rename, never replaces a file). Not durable (a set a
    program makes by the thousand and can make again): created exclusively and written, or removed."""
    data = text.encode("utf-8")
    try:
        if not path.parent.is_dir() or path.parent.is_symlink():
            path.parent.mkdir(parents=True)  # a file or a link in the folder's place: FileExistsError, not ours
    except OSError as error:
        raise fail("record.write-failed", f"cannot make the folder {path.parent}: {error.strerror or error}",
                   "a record type's folder must be a folder (not a file or a link)", file=str(path)) from error
    try:
        if durable:
            descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.link(temporary, path)
            finally:
                os.unlink(temporary)
        else:
            with open(path, "xb") as handle:
                try:
                    handle.write(data)
                except BaseException:
                    path.unlink()
                    raise
    except FileExistsError:
        raise fail("record.exists", f"{path} exists already", "give the new record another id, or edit the "
                   "record there by hand", file=str(path)) from None
    except OSError as error:
        raise fail("record.write-failed", f"cannot write {path}: {error.strerror or error}",
                   "check the folder's permissions and the disk; nothing was written there", file=str(path)) from error
    return path


def _ordered(node: Any, order: KeyOrder | None) -> Any:
    if isinstance(node, Mapping):
        wanted = order() if order else []
        keys = [key for key in wanted if key in node] + [key for key in node if key not in wanted]
        return {key: _ordered(node[key], child_order(order, str(key))) for key in keys}
    if isinstance(node, list | tuple):
        return [_ordered(item, child_order(order, "0")) for item in node]
    return node


def _mapping_lines(mapping: dict[str, Any], indent: int) -> list[str] | None:
    """A mapping's lines in block style at an indent, or None where only ruamel.yaml knows the form."""
    lines: list[str] = []
    for key, value in mapping.items():
        plain_key = _plain(key, indent) if isinstance(key, str) else None
        if plain_key is None:
            return None
        head = f"{' ' * indent}{plain_key}:"
        if isinstance(value, dict) and value:
            inner = _mapping_lines(value, indent + 2)
        elif isinstance(value, list) and value:
            inner = _sequence_lines(value, indent + 2)
        else:
            scalar = _scalar(value, len(head) + 1)
            if scalar is None:
                return None
            lines.append(f"{head} {scalar}" if scalar else head)
            continue
        if inner is None:
            return None
        lines += [head, *inner]
    return lines


def _sequence_lines(items: list[Any], indent: int) -> list[str] | None:
    lines: list[str] = []
    for item in items:
        if isinstance(item, dict) and item:
            inner = _mapping_lines(item, indent + 2)
            if inner is None:
                return None
            lines += [f"{' ' * indent}- {inner[0][indent + 2:]}", *inner[1:]]
        elif isinstance(item, list) and item or item is None:
            return None  # ruamel writes these its own way
        else:
            scalar = _scalar(item, indent + 2)
            if scalar is None:
                return None
            lines.append(f"{' ' * indent}- {scalar}")
    return lines


def _scalar(value: Any, column: int) -> str | None:
    """A scalar's text after a key or a dash (it starts at `column`), or None where ruamel.yaml decides."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if column + len(str(value)) <= WIDTH else None
    if value == [] or value == {}:
        return "[]" if isinstance(value, list) else "{}"
    return _plain(value, column) if isinstance(value, str) else None


# A plain scalar may not start with an indicator, nor hold ": " or " #" (which begin a value or a comment).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _plain(text: str, column: int) -> str | None:
    """The text as a plain scalar, when that is certainly how the canonical style writes it."""
    if not text or text[0] in _INDICATORS or text[0] == " " or text[-1] in " :" or ": " in text or " #" in text \
            or text.startswith(("---", "...")) \
            or column + len(text) > WIDTH or not text.isprintable() or "\ufeff" in text:
        return None
    resolved, yaml11_differs = loader.read_plain(text)
    if resolved == text and isinstance(resolved, str) and not yaml11_differs:
        return text
    # Text that a loader would read as something else (a date, a number, yes): the style quotes it in single
    # quotes, as here when nothing in it needs escaping (2023-05-21 is most dates a petition export holds).
    return f"'{text}'" if "'" not in text and column + len(text) + 2 <= WIDTH else None
