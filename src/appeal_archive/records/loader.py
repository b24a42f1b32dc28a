"""Loading: the bytes of one YAML record -> plain JSON-like data, YAML-level issues, and locations.

Records are read with libyaml's event parser (PyYAML's C binding) and built here, under the YAML 1.2 core
schema: the hot path for record sets of 100,000 files. Building from events lets us refuse what a data
record must never contain (duplicate keys, anchors and aliases, explicit tags, non-string keys) before
any of it is expanded, which is also what makes an alias bomb cost nothing.

Every plain scalar must mean the same under YAML 1.1 (PyYAML, many other tools) as under 1.2, so that
anyone can load our records with any loader and get the data we hashed: `country: NO`, `on`, `1:20`,
`010` and unquoted dates are refused with a hint to quote them. Dates are therefore always strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from appeal_archive.errors import Issue, Severity, json_pointer
from appeal_archive.files import too_large
from appeal_archive.records.text import text_problems

_SCALAR_TAGS: dict[str, type] = {
    "tag:yaml.org,2002:str": str, "tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": bool, "tag:yaml.org,2002:null": type(None),
}
# Explicit tags of the YAML core schema mean exactly what they say; any other tag is refused.
_CORE_TAGS = {
    ScalarEvent: tuple(_SCALAR_TAGS),
    SequenceStartEvent: ("tag:yaml.org,2002:seq",),
    MappingStartEvent: ("tag:yaml.org,2002:map",),
}

MAX_RECORD_BYTES = 1_000_000
MAX_DEPTH = 32
_UTF8_BOM = b"\xef\xbb\xbf"

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_NAN = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$")

# Everything PyYAML's YAML 1.1 resolver turns into something other than a string.
_YAML11_RESOLVERS = [
    (tag, regexp)
    for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values()
    for tag, regexp in resolvers
]
_YAML11_NOT_STRING = re.compile("|".join(f"(?:{regexp.pattern})" for _, regexp in _YAML11_RESOLVERS), re.X)


MAX_NUMBER_CHARS = 40  # no record holds a longer number; Python refuses to read ints of over 4,300 digits


class NumberTooLong(ValueError):
    """A plain scalar that reads as a number of more digits than any record holds."""


def resolve_plain(value: str) -> Any:
    """The value of a plain (unquoted) scalar under the YAML 1.2 core schema."""
    if len(value) > MAX_NUMBER_CHARS and value[:1] in _NON_STRING_FIRST and \
            (_INT.match(value) or _OCT.match(value) or _HEX.match(value) or _FLOAT.match(value)):
        raise NumberTooLong(value)
    if _NULL.match(value):
        return None
    if _BOOL.match(value):
        return value.lower() == "true"
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value) or _INF_NAN.match(value):
        return float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return value


def yaml11_value(value: str) -> Any:
    """The value PyYAML (YAML 1.1) gives the same plain scalar."""
    return yaml.load(value, Loader=yaml.SafeLoader) if value.strip() else None


# A plain scalar that starts with a letter is a string under both YAML 1.1 and 1.2 unless it is one of
# these words; one that starts with any other character outside this set is always a string.
_SPECIAL_WORDS = frozenset(["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                            "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"])
_NON_STRING_FIRST = frozenset("~-+.0123456789<=")
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def yaml11_disagrees(value: str, resolved: Any) -> bool:
    if isinstance(resolved, str):
        return bool(_YAML11_NOT_STRING.match(value))
    try:
        other = yaml11_value(value)
    except yaml.YAMLError:
        return True
    return type(other) is not type(resolved) or other != resolved


def read_plain(value: str) -> tuple[Any, bool]:
    """(value under YAML 1.2 core, whether YAML 1.1 reads it differently) for a plain scalar.

    Field names and ids repeat in every record, so the rarer answers are memoized: this is the loader's hot spot.
    """
    if value and value[0] not in _NON_STRING_FIRST and (not value[0].isalpha() or value not in _SPECIAL_WORDS):
        return value, False
    if len(value) <= MAX_NUMBER_CHARS and _DECIMAL.fullmatch(value):
        return int(value), False
    return _resolved_and_compared(value)


@lru_cache(maxsize=50_000)  # a pure function's memo: thread-safe, and the same answers with or without it
def _resolved_and_compared(value: str) -> tuple[Any, bool]:
    resolved = resolve_plain(value)
    return resolved, yaml11_disagrees(value, resolved)


def comment_lines(text: str) -> list[str]:
    """Every comment in a YAML text, one entry per line, in order: what fmt must carry over.

    A '#' starts a comment when it is not inside a scalar and begins a line or follows whitespace;
    libyaml's events tell where every scalar is.
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    parser = CParser(text)
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, ScalarEvent):
                start, end = event.start_mark, event.end_mark
                assert start is not None and end is not None  # libyaml marks every event
                for row in range(start.line, end.line + 1):
                    spans.setdefault(row, []).append((start.column if row == start.line else 0,
                                                      end.column if row == end.line else 1 << 30))
    finally:
        parser.dispose()
    found = []
    for number, line in enumerate(text.split("\n")):
        for column, char in enumerate(line):
            if char == "#" and (column == 0 or line[column - 1] in " \t") and not any(
                    first <= column < last for first, last in spans.get(number, ())):
                found.append(line[column:].rstrip())
                break
    return found


def ambiguity_hint(value: str, resolved: Any) -> str:
    if isinstance(resolved, int) and not isinstance(resolved, bool):
        return (f"if a number is meant, write it as {resolved} (YAML 1.1 reads {value!r} otherwise); "
                f"if text is meant, quote it: \"{value}\"")
    if isinstance(resolved, float):
        return f"if a number is meant, write it with a decimal point, e.g. {resolved!r}; if text, quote it: \"{value}\""
    return f"put it in quotes: \"{value}\" (`appeal-archive fmt` does it for you)"


@dataclass
class Loaded:
    """One YAML file read: its data (None if unreadable), YAML-level issues, and its text for locating."""

    data: Any
    issues: list[Issue]
    text: str | None = None


def decode(raw: bytes) -> tuple[str | None, list[Issue]]:
    """Bytes -> text. Only UTF-8 is accepted; a UTF-8 byte order mark is accepted with a warning."""
    issues: list[Issue] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Issue("encoding.not-utf8", "the file is UTF-16 or UTF-32, not UTF-8", line=1, column=1,
                            hint="save the file as UTF-8 without a byte order mark")]
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM):]
        issues.append(Issue("encoding.bom", "the file starts with a UTF-8 byte order mark", line=1, column=1,
                            hint="run `appeal-archive fmt` to drop it; it is not part of the record",
                            severity="warning"))
    try:
        return raw.decode("utf-8"), issues
    except UnicodeDecodeError as error:
        before = raw[:error.start]
        line = before.count(b"\n") + 1
        column = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        return None, issues + [Issue(
            "encoding.invalid-utf8", f"byte 0x{raw[error.start]:02x} is not valid UTF-8", line=line,
            column=column, hint="save the file as UTF-8; retype the character at this place")]


def load(raw: bytes, text_checks: bool = True) -> Loaded:
    """Read one record's bytes. Never raises for bad input: every problem becomes an Issue.

    `text_checks=False` skips the checks on each string's characters (invisible, control, non-NFC) for
    readers that only need the data, such as verify comparing a signed record with its hash.
    """
    if len(raw) > MAX_RECORD_BYTES:
        return Loaded(None, [too_large(len(raw), MAX_RECORD_BYTES)])
    text, issues = decode(raw)
    if text is None:
        return Loaded(None, issues)
    builder = _Builder(text, track_positions=False, text_checks=text_checks)
    data = builder.run()
    return Loaded(data, issues + builder.issues, text)


class Locator:
    """The one way from a JSON pointer to a line and column in a YAML text: positions are found on first use.

    A pointer ending in "#key" names a mapping key's own place (where an unknown field is reported); a
    pointer with no position of its own is placed at its nearest parent.
    """

    def __init__(self, text: str | None):
        self.text = text or ""
        self._positions: dict[str, tuple[int, int]] | None = None

    def at(self, pointer: str) -> tuple[int | None, int | None]:
        if self._positions is None:
            self._positions = _Builder(self.text, track_positions=True).positions_only()
        while pointer not in self._positions and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self._positions.get(pointer, (None, None))

    def place(self, issue: Issue, file: str) -> Issue:
        """The issue in `file`, at the line and column of its pointer when it has none of its own."""
        issue = issue.in_file(file)
        if issue.line is not None or issue.pointer is None:
            return issue
        line, column = self.at(issue.pointer)
        return replace(issue, line=line, column=column, pointer=issue.pointer.removesuffix("#key"))


class _Builder:
    """Builds data from libyaml events, collecting issues instead of raising."""

    def __init__(self, text: str, track_positions: bool, text_checks: bool = True):
        self.text = text
        self.track = track_positions
        self.text_checks = text_checks
        self.issues: list[Issue] = []
        self.positions: dict[str, tuple[int, int]] = {}
        self.path: list = []
        self.parser: Any = None  # libyaml's parser while it runs; its events are typed loosely
        self.anchors_reported = False

    def positions_only(self) -> dict[str, tuple[int, int]]:
        self.run()
        return self.positions

    def issue(self, code: str, message: str, mark, hint: str, severity: Severity = "error") -> None:
        self.issues.append(Issue(code, message, line=mark.line + 1, column=mark.column + 1,
                                 pointer=json_pointer(self.path), hint=hint, severity=severity))

    def run(self) -> Any:
        self.parser = CParser(self.text)
        try:
            return self._document()
        except yaml.MarkedYAMLError as error:
            self._syntax_issue(error)
        except yaml.reader.ReaderError as error:
            # libyaml counts this position in bytes of the UTF-8 encoding, not in characters.
            offset = len(self.text.encode("utf-8")[:error.position].decode("utf-8", "ignore"))
            line, column = self._line_column(offset)
            self.issues.append(Issue("yaml.bad-character",
                                     f"control character U+{error.character:04X} is not allowed in YAML",
                                     line=line, column=column, hint="delete the character or retype it"))
        except yaml.YAMLError as error:  # pragma: no cover - libyaml reports everything above
            self.issues.append(Issue("yaml.syntax", str(error).splitlines()[0], line=1, column=1,
                                     hint="fix the YAML syntax"))
        finally:
            self.parser.dispose()
        return None

    def _line_column(self, offset: int) -> tuple[int, int]:
        before = self.text[:offset]
        return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1

    def _char_at(self, line: int, column: int) -> str:
        lines = self.text.split("\n")
        return lines[line][column:column + 1] if line < len(lines) else ""

    def _syntax_issue(self, error: yaml.MarkedYAMLError) -> None:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or "invalid YAML").strip()
        if error.context_mark and "end of stream" in problem:
            # "unexpected end of the file" is noticed at the end; the cause is where the open construct began.
            mark, problem = error.context_mark, f"{(error.context or '').strip()} that starts here never ends"
        if mark and self._char_at(mark.line, mark.column) == "\t":
            code, hint = "yaml.tab", "indent with spaces; YAML does not allow tabs for indentation"
        else:
            code, hint = "yaml.syntax", "fix the YAML syntax at this place (quote text that contains ': ' or '#')"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.issues.append(Issue(code, problem[0].upper() + problem[1:] if problem else problem,
                                 line=line, column=column, hint=hint))

    def _document(self) -> Any:
        parser = self.parser
        parser.get_event()  # StreamStartEvent
        if parser.check_event(StreamEndEvent):
            self.issues.append(Issue("yaml.empty", "the file holds no YAML document", line=1, column=1,
                                     hint="write the record's fields, starting with 'id:'"))
            return None
        start = parser.get_event()  # DocumentStartEvent
        if start.version is not None and tuple(start.version) != (1, 2):
            self.issue("yaml.version", f"the file declares YAML {'.'.join(map(str, start.version))}; records are "
                       "YAML 1.2", start.start_mark, "delete the %YAML line; records are always read as YAML 1.2")
        data = self._node(parser.get_event(), 0)
        if data is None and not self.issues:
            self.issue("yaml.empty", "the file's only document is empty or null: it holds no fields",
                       start.start_mark, "write the record's fields, starting with 'id:'")
        parser.get_event()  # DocumentEndEvent
        if parser.check_event(DocumentStartEvent):
            mark = parser.peek_event().start_mark
            self.issue("yaml.multiple-documents", "the file holds more than one YAML document", mark,
                       "keep one record per file; move the rest into files of their own")
        return data

    def _node(self, event, depth: int) -> Any:
        if self.track:
            self.positions[json_pointer(self.path)] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            self._refuse_anchor(event)
            if isinstance(event, AliasEvent):
                return None
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _CORE_TAGS.get(type(event), ()):
            self.issue("yaml.tag", f"explicit tag {tag} is not allowed in a record", event.start_mark,
                       "remove the tag; write text in quotes instead")
            tag = None
        if isinstance(event, ScalarEvent):
            try:
                return self._tagged_scalar(event, tag) if tag in _SCALAR_TAGS else self._scalar(event)
            except NumberTooLong:
                self._number_too_long(event)
                return None
        if depth >= MAX_DEPTH:
            self.issue("yaml.too-deep", f"the data is nested more than {MAX_DEPTH} levels deep", event.start_mark,
                       "flatten the record; no record type nests this deep")
            self._skip(event)
            return None
        if isinstance(event, SequenceStartEvent):
            return self._sequence(depth)
        if isinstance(event, MappingStartEvent):
            return self._mapping(depth)
        raise yaml.YAMLError(f"unexpected {type(event).__name__}")  # pragma: no cover

    def _refuse_anchor(self, event) -> None:
        if not self.anchors_reported:
            self.anchors_reported = True
            self.issue("yaml.alias", "anchors and aliases (&name, *name) are not allowed in records",
                       event.start_mark, "write the value out in full at each place it is needed")

    def _number_too_long(self, event) -> None:
        self.issue("yaml.number-too-long", f"a number of {len(event.value):,} characters; no record holds one "
                   f"longer than {MAX_NUMBER_CHARS}", event.start_mark,
                   "correct the number; if it is text (an identifier, say), put it in quotes")

    def _skip(self, event) -> None:
        level = 1
        while level:
            event = self.parser.get_event()
            if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                level += 1
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                level -= 1

    def _scalar(self, event: ScalarEvent) -> Any:
        value = event.value
        if event.style or not event.implicit[0]:
            resolved: Any = value
        else:
            resolved, ambiguous = read_plain(value)
            if ambiguous:
                self.issue("yaml.ambiguous", f"plain value {value!r} means something else in YAML 1.1 "
                           f"(read by many tools) than in YAML 1.2", event.start_mark, ambiguity_hint(value, resolved))
        if isinstance(resolved, str) and self.text_checks:
            for problem in text_problems(resolved):
                self.issue(problem.code, f"text {problem.message}", event.start_mark, problem.hint,
                           problem.severity)
        return resolved

    def _tagged_scalar(self, event: ScalarEvent, tag: str) -> Any:
        """A scalar with a core-schema tag (`!!int "2"`): the tag decides how its text is read."""
        wanted = _SCALAR_TAGS[tag]
        value = event.value if wanted is str else resolve_plain(event.value)
        if wanted is float and type(value) is int:
            value = float(value)
        if type(value) is not wanted:
            self.issue("yaml.tag", f"{event.value!r} is not a valid {tag.rsplit(':', 1)[-1]}", event.start_mark,
                       "remove the tag, or correct the value")
            return event.value
        if isinstance(value, str):
            for problem in text_problems(value):
                self.issue(problem.code, f"text {problem.message}", event.start_mark, problem.hint,
                           problem.severity)
        return value

    def _sequence(self, depth: int) -> list:
        items: list = []
        parser = self.parser
        while not parser.check_event(SequenceEndEvent):
            self.path.append(len(items))
            items.append(self._node(parser.get_event(), depth + 1))
            self.path.pop()
        parser.get_event()
        return items

    def _mapping(self, depth: int) -> dict:
        mapping: dict = {}
        first_seen: dict[str, int] = {}
        parser = self.parser
        while not parser.check_event(MappingEndEvent):
            key_event = parser.get_event()
            key = self._key(key_event)
            if key is not None and key in mapping:
                self.path.append(key)
                self.issue("yaml.duplicate-key", f"key '{key}' appears twice in this mapping (first on line "
                           f"{first_seen[key]})", key_event.start_mark,
                           "keep one of the two entries; YAML tools silently keep only the last one")
                self.path.pop()
                self._node(parser.get_event(), depth + 1)
                continue
            self.path.append(key)
            if self.track and key is not None:
                # A key's own place is where an unknown or misspelt field is reported.
                self.positions[json_pointer(self.path) + "#key"] = (key_event.start_mark.line + 1,
                                                                   key_event.start_mark.column + 1)
            value = self._node(parser.get_event(), depth + 1)
            self.path.pop()
            if key is not None:
                mapping[key] = value
                first_seen[key] = key_event.start_mark.line + 1
        parser.get_event()
        return mapping

    def _key(self, event) -> str | None:
        if isinstance(event, ScalarEvent):
            if event.style or not event.implicit[0]:
                return event.value
            try:
                resolved, ambiguous = read_plain(event.value)
            except NumberTooLong:
                self._number_too_long(event)
                return None
            if isinstance(resolved, str):
                if ambiguous:
                    self.issue("yaml.ambiguous", f"key {event.value!r} means something else in YAML 1.1",
                               event.start_mark, "rename the key; record fields are plain words")
                return resolved
        self.issue("yaml.key-not-string", "a mapping key must be a plain word", event.start_mark,
                   "use the field names the schema lists for this record type")
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            self._skip(event)
        return None
