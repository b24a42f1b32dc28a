"""fmt: record YAML -> the one canonical style, keeping comments and every value.

Canonical style: keys in the order the schema lists them (unknown keys after, in their order), 2-space
indentation with list dashes indented under their key, lines wrapped at 100 columns, quotes only where a
YAML 1.1 or 1.2 loader would otherwise read something other than the text, a literal block for text
with line breaks, no byte order mark, one newline at the end.

ruamel.yaml's round-trip mode keeps the comments. It is given the same YAML 1.2 core resolution as the
loader (no timestamps), and every formatted file is re-read with the loader and compared with the
original data before it is written: a file whose data would change is refused, never rewritten.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, Issue
from appeal_archive.layout import CONFIG_FILE
from appeal_archive.records import loader, schema
from appeal_archive.records.recordset import display_path
from appeal_archive.records.scan import discover, read_bytes
from appeal_archive.records.schema import FOLDER_TYPES

WIDTH = 100
ordereddict_setitem = ordereddict.__setitem__

_CORE_RULES = [
    ("tag:yaml.org,2002:null", loader._NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", loader._BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", loader._INT, list("-+0123456789")),
    ("tag:yaml.org,2002:int", loader._OCT, ["0"]),
    ("tag:yaml.org,2002:int", loader._HEX, ["0"]),
    ("tag:yaml.org,2002:float", loader._FLOAT, list("-+.0123456789")),
    ("tag:yaml.org,2002:float", loader._INF_NAN, list("-+.")),
]


class _CoreResolver(VersionedResolver):
    """The YAML 1.2 core schema exactly as the loader applies it (ruamel adds timestamps to 1.2)."""

    _rules: dict[str, list] = {}
    for _tag, _regexp, _firsts in _CORE_RULES:
        for _first in _firsts:
            _rules.setdefault(_first, []).append((_tag, _regexp))

    @property
    def versioned_resolver(self) -> Any:
        return {first: list(rules) for first, rules in self._rules.items()}


def _represent_str(representer, value: str):
    style = None
    if "\n" in value:
        style = "|"
    elif value and not value[0].isspace() and loader.yaml11_disagrees(value, loader.resolve_plain(value)):
        style = "'"
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_float(representer, value: float):
    # A form YAML 1.1 and 1.2 both read as this float: a dot in the mantissa, a signed exponent.
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        mantissa, _, exponent = repr(value).partition("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        text = mantissa + (f"e{'' if exponent[0] in '+-' else '+'}{exponent}" if exponent else "")
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Resolver = _CoreResolver
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = False
    yaml.allow_unicode = True
    yaml.representer.add_representer(str, _represent_str)
    yaml.representer.add_representer(float, _represent_float)
    return yaml


def _set_style(node: CommentedMap | CommentedSeq) -> None:
    # Block style everywhere, except empty collections, which only flow style can write ([] and {}).
    if len(node):
        node.fa.set_block_style()
    else:
        node.fa.set_flow_style()


class _Order:
    """Lazily looks up a mapping's key order in the schema of its record type."""

    def __init__(self, record_type: str | None, tokens: tuple[str, ...] = ()):
        self.record_type, self.tokens = record_type, tokens

    def __call__(self) -> list[str]:
        return schema.property_order(self.record_type, list(self.tokens)) if self.record_type else []

    def child(self, token: str) -> _Order:
        return _Order(self.record_type, self.tokens + (token,))


def _child(order: Any, token: str) -> Any:
    return order.child(token) if isinstance(order, _Order) else None


class FormatRefused(Exception):
    """Formatting this text would lose or change something; the text must be left as it is."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def format_text(text: str, record_type: str | None) -> str:
    """The canonical form of one record's YAML text.

    Raises FormatRefused when the result would not hold exactly the same data and the same comments
    (and ruamel's YAMLError on text that does not parse).
    """
    text = text.lstrip("\ufeff")
    formatted = _reformat(text, record_type)
    # ruamel may move a comment that sits in an odd place on its first pass; settle on a fixed point.
    try:
        for _ in range(3):
            again = _reformat(formatted, record_type)
            if again == formatted:
                break
            formatted = again
        else:
            raise FormatRefused("fmt.unstable", "formatting does not settle on one form")
    except RuamelError as error:  # ruamel wrote YAML it cannot read back (comments beside empty lists)
        raise FormatRefused("fmt.unstable", f"formatting gives YAML that does not read back: {error}") from error
    if not _same_data(text, formatted):
        raise FormatRefused("fmt.would-change-data", "formatting would change the record's data")
    if sorted(loader.comment_lines(formatted)) != sorted(loader.comment_lines(text)):
        raise FormatRefused("fmt.would-lose-comment", "formatting would lose or alter a comment")
    return formatted


def _reformat(text: str, record_type: str | None) -> str:
    yaml = _yaml()
    data = _plain_tree(yaml.load(text), _Order(record_type))
    out = io.StringIO()
    yaml.dump(data, out)
    formatted = out.getvalue()
    stripped = _without_trailing_spaces(formatted)
    return stripped if stripped != formatted and _same_data(formatted, stripped) else formatted


def _without_trailing_spaces(text: str) -> str:
    # ruamel leaves a space at the end of a wrapped plain line; YAML ignores it there, editors strip it.
    return "\n".join(line.rstrip(" ") for line in text.split("\n"))


def _plain_tree(node: Any, order: _Order | None) -> Any:
    if isinstance(node, CommentedMap):
        wanted = order() if order else []
        for key in [key for key in wanted if key in node] + [key for key in list(node) if key not in wanted]:
            node.move_to_end(key)
        for key in list(node):
            # ruamel's own __setitem__ would re-apply the old scalar style to the new value.
            ordereddict_setitem(node, key, _plain_tree(node[key], _child(order, str(key))))
        _set_style(node)
        return node
    if isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            list.__setitem__(node, index, _plain_tree(item, _child(order, "0")))
        _set_style(node)
        return node
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, ScalarInt):
        return int(node)
    if isinstance(node, ScalarFloat):
        return float(node)
    return str(node) if isinstance(node, str) else node


@dataclass
class FmtReport:
    """Files fmt changed (or, with `check`, would change), and files it could not format."""

    check: bool = False
    changed: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    checked: int = 0
    documents: int = 0  # source documents seen in the folders given; fmt never changes them

    @property
    def ok(self) -> bool:
        """No file that cannot be formatted and, with --check, none that would change."""
        return not self.issues and not (self.check and self.changed)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict:
        return {"ok": self.ok, "check": self.check, "checked": self.checked, "source_documents": self.documents,
                "changed": self.changed, "issues": [issue.to_dict() for issue in self.issues]}


def record_type_of(relative: str) -> str | None:
    if relative == CONFIG_FILE:
        return schema.CONFIG_TYPE
    return FOLDER_TYPES.get(relative.split("/", 1)[0])


def format_file(path: Path, display: str, record_type: str | None, check: bool) -> tuple[bool, list[Issue]]:
    """Format one file in place (or only compare, with check). Returns (changed, issues)."""
    raw = read_bytes(path)
    if isinstance(raw, Issue):
        return False, [raw.in_file(display)]
    before = loader.load(raw)
    # Structural YAML problems (duplicate keys, aliases, tags) make "the data" ambiguous: fix those by hand.
    errors = [issue for issue in before.issues if issue.is_error and issue.code != "yaml.ambiguous"
              and issue.code.startswith(("yaml.", "encoding.", "file."))]
    if before.text is None or errors:
        return False, [Issue("fmt.unreadable", "cannot be formatted until it loads without errors", file=display,
                             hint="run `appeal-archive validate` and fix the YAML errors first")]
    try:
        formatted = format_text(before.text, record_type)
    except RuamelError as error:  # pragma: no cover - the loader refuses the same input first
        return False, [Issue("fmt.unreadable", f"cannot be formatted: {error}", file=display)]
    except FormatRefused as refused:
        return False, [Issue(refused.code, f"{refused}; the file is left as it is", file=display,
                             hint="format this file by hand (block style, comments on their own lines), "
                             "and please report it to the appeal-archive developers")]
    if formatted.encode("utf-8") == raw:
        return False, []
    if not check:
        _replace(path, formatted.encode("utf-8"))
    return True, []


def _replace(path: Path, data: bytes) -> None:
    """Write a new version of a file in one step: a fresh temporary file beside it (never one that
    exists already, which could be a planted link), with the file's own permissions, renamed over it."""
    mode = stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt-tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _same_data(original: str, text: str) -> bool:
    before, after = loader.load(original.encode("utf-8")), loader.load(text.encode("utf-8"))
    # JSON text tells apart what == does not: True and 1, 1 and 1.0.
    return json.dumps(after.data, sort_keys=True) == json.dumps(before.data, sort_keys=True)


def format_records(paths: list[str | Path], check: bool = False) -> FmtReport:
    """Format record files: each path is a records folder or a single .yaml file inside one."""
    report = FmtReport(check=check)
    for target in map(Path, paths):
        for file, display, record_type in _targets(target, report):
            changed, issues = format_file(file, display, record_type, check)
            report.checked += 1
            report.issues += issues
            if changed:
                report.changed.append(display)
    return report


def _targets(target: Path, report: FmtReport):
    if target.is_dir():
        listing = discover(target, str(target))
        report.documents += len(listing.documents)
        relatives = ([listing.config] if listing.config else []) + [
            path for paths in listing.records.values() for path in paths]
        for relative in sorted(relatives):
            yield target / relative, display_path(str(target), relative), record_type_of(relative)
    else:
        yield target, str(target), record_type_of(f"{target.absolute().parent.name}/{target.name}"
                                                  if target.name != CONFIG_FILE else CONFIG_FILE)
