"""Who is protected: which records are restricted and why, and the public records that would give them away.

A record says `access: restricted` (the default is public). Restriction spreads by what a record shows:
a signatory entry that refers to a restricted person or organization is restricted with it; a source record
whose document's text names a restricted person or organization is withheld from the public edition with its
document. A public record that quotes a restricted name, or refers to a restricted person or organization
by id (ids carry names), is an error: publishing it would undo the restriction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from .errors import Issue
from .files import FileRefused, read_regular
from .loader import MAX_RECORD_BYTES
from .recordset import ScannedRecord, display_path
from .text import QuoteIndex

AGENT_TYPES = ("person", "organization")
_WORD = re.compile(r"\w+")


def restrictions(records: list[ScannedRecord], quote_indexes: dict[str, QuoteIndex | None]) -> dict[str, str]:
    """Each restricted record's path, with the reason, in words an archivist reads."""
    restricted = {record.path: "it says access: restricted" for record in records if record.access == "restricted"}
    agents = {(record.record_type, record.id): record for record in records
              if record.record_type in AGENT_TYPES and record.path in restricted}
    if not agents:
        return restricted
    for record in records:
        if record.record_type == "signatory" and record.path not in restricted:
            named = next((reference for reference in record.references
                          if (reference.target_type, reference.target_id) in agents), None)
            if named:
                restricted[record.path] = f"it refers to the restricted {named.target_type} {named.target_id}"
    finder = _NameFinder(restricted_names(agents.values()))
    for record in records:
        index = quote_indexes.get(record.id) if record.record_type == "source" else None
        if index is not None and record.path not in restricted:
            found = finder.first_in(index.text)  # one pass over the document, whatever the number of names
            if found:
                restricted[record.path] = f"its document's text names {found[2]}"
    return restricted


def restricted_names(agents: Iterable[ScannedRecord]) -> dict[str, str]:
    """Every spelling of the restricted persons and organizations, to the id that bears it."""
    return {name: f"{agent.record_type} {agent.id}" for agent in agents for name in agent.names}


def withheld_documents(records: list[ScannedRecord], restricted: dict[str, str]) -> set[str]:
    """The source documents the public edition withholds: those of withheld source records."""
    return {f"sources/{record.document.file}" for record in records
            if record.record_type == "source" and record.path in restricted and record.document}


def exposure_issues(records: list[ScannedRecord], restricted: dict[str, str], root: Path,
                    locations) -> list[Issue]:
    """Public records that would give a restricted person or organization away: by quoting one of its names
    (whitespace and case aside) or by referring to its id. Source records are left out: one whose document
    names a restricted agent is withheld, not wrong."""
    agents = {(record.record_type, record.id): record for record in records
              if record.record_type in AGENT_TYPES and record.path in restricted}
    if not agents:
        return []
    finder = _NameFinder(restricted_names(agents.values()))
    issues = []
    for record in records:
        if record.path in restricted or record.record_type == "source":
            continue
        for reference in record.references:
            if (reference.target_type, reference.target_id) in agents:
                issues.append(locations.issue(
                    record.path, reference.pointer, "access.refers-to-restricted", f"this public record refers to "
                    f"the restricted {reference.target_type} {reference.target_id}, and the id would be published",
                    "restrict this record too (access: restricted), or remove the reference"))
        try:
            raw = record.raw if record.raw is not None else read_regular(root / record.path, MAX_RECORD_BYTES)
        except FileRefused:
            continue  # validation has reported the file already
        found = finder.first_in(raw.decode("utf-8", errors="replace"))
        if found:
            issues.append(_names_issue(locations.display_root, record.path, raw, *found))
    return issues


def _names_issue(display_root: str, path: str, raw: bytes, offset: int, name: str, whose: str) -> Issue:
    before = raw.decode("utf-8", errors="replace")[:offset]
    return Issue("access.names-restricted", f"this public record quotes {name!r}, a name of the restricted "
                 f"{whose}", file=display_path(display_root, path), line=before.count("\n") + 1,
                 column=offset - before.rfind("\n"), hint="restrict this record too (access: restricted), or "
                 "leave the name out")


class _NameFinder:
    """Finds any of many names in a text in one pass over its words: names are indexed by their first word,
    then by their length in words, and compared as tuples of case-folded words, so a name folded over two YAML
    lines is still found and 10,000 names cost no more than ten."""

    def __init__(self, names: dict[str, str]):
        self.by_first: dict[str, dict[int, dict[tuple[str, ...], tuple[str, str]]]] = defaultdict(dict)
        for name, whose in names.items():
            words = tuple(word.casefold() for word in _WORD.findall(name))
            if words:
                self.by_first[words[0]].setdefault(len(words), {})[words] = (name, whose)

    def first_in(self, text: str) -> tuple[int, str, str] | None:
        """(offset, name, whose) of the first restricted name in `text`, or None."""
        matches = list(_WORD.finditer(text))
        words = [match.group().casefold() for match in matches]
        for start, word in enumerate(words):
            for length, names in self.by_first.get(word, {}).items():
                found = names.get(tuple(words[start:start + length]))
                if found:
                    return (matches[start].start(), *found)
        return None
