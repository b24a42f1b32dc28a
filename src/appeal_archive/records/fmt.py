"""fmt: record YAML -> the one canonical style (style.py), keeping comments and every value.

ruamel.yaml's round-trip mode keeps the comments, and every formatted file is re-read with the loader and
compared with the original data before it is written: a file whose data would change is refused, never
rewritten.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, Issue
from appeal_archive.layout import CONFIG_FILE
from appeal_archive.progress import Progress
from appeal_archive.records import loader, schema
from appeal_archive.records.recordset import display_path
from appeal_archive.records.scan import discover, read_bytes
from appeal_archive.records.style import KeyOrder, canonical_yaml, child_order, dumped, same_data
from appeal_archive.records.types import type_of_folder

ordereddict_setitem = ordereddict.__setitem__


def _set_style(node: CommentedMap | CommentedSeq) -> None:
    # Block style everywhere, except empty collections, which only flow style can write ([] and {}).
    if len(node):
        node.fa.set_block_style()
    else:
        node.fa.set_flow_style()


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
    if not same_data(text, formatted):
        raise FormatRefused("fmt.would-change-data", "formatting would change the record's data")
    if sorted(loader.comment_lines(formatted)) != sorted(loader.comment_lines(text)):
        raise FormatRefused("fmt.would-lose-comment", "formatting would lose or alter a comment")
    return formatted


def _reformat(text: str, record_type: str | None) -> str:
    yaml = canonical_yaml()
    return dumped(yaml, _plain_tree(yaml.load(text), KeyOrder(record_type)))


def _plain_tree(node: Any, order: KeyOrder | None) -> Any:
    if isinstance(node, CommentedMap):
        wanted = order() if order else []
        for key in [key for key in wanted if key in node] + [key for key in list(node) if key not in wanted]:
            node.move_to_end(key)
        for key in list(node):
            # ruamel's own __setitem__ would re-apply the old scalar style to the new value.
            ordereddict_setitem(node, key, _plain_tree(node[key], child_order(order, str(key))))
        _set_style(node)
        return node
    if isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            list.__setitem__(node, index, _plain_tree(item, child_order(order, "0")))
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
    return type_of_folder(relative.split("/", 1)[0])


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


def format_records(paths: list[str | Path], check: bool = False, progress: Progress | None = None) -> FmtReport:
    """Format record files: each path is a records folder or a single .yaml file inside one."""
    report = FmtReport(check=check)
    targets = [target for path in map(Path, paths) for target in _targets(path, report)]
    done = (progress or Progress()).counter("files formatted" if not check else "files checked", len(targets))
    for file, display, record_type in targets:
        changed, issues = format_file(file, display, record_type, check)
        done.advance()
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
