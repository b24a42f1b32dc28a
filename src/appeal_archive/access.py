"""Who is protected: which records are restricted and why, and the public records that would give them away.

A record says `access: restricted` (the default is public). Restriction spreads by what a record shows:
a signatory entry that refers to a restricted person or organization is restricted with it; a source record
whose document's text names a restricted person or organization is withheld from the public edition with its
document. A public record that quotes a restricted name, or refers to a restricted person or organization
by id (ids carry names), is an error: publishing it would undo the restriction.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from .errors import Issue
from .files import FileRefused, read_regular
from .loader import MAX_RECORD_BYTES
from .recordset import ScannedRecord, display_path
from .text import QuoteIndex

AGENT_TYPES = ("person", "organization")
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "Alexander_Azarov" is two words


def restrictions(records: list[ScannedRecord], quote_indexes: dict[str, QuoteIndex | None]) -> dict[str, str]:
    """Each restricted record's path, with the reason, in words an archivist reads."""
    restricted = {record.path: "it says access: restricted" for record in records if record.access == "restricted"}
    if not restricted:
        return restricted
    agents = {(record.record_type, record.id): record for record in records if record.record_type in AGENT_TYPES}
    for record in records:  # an entry restricted on its own protects the person it names
        if record.record_type == "signatory" and record.path in restricted:
            for reference in record.references:
                named = agents.get((reference.target_type, reference.target_id))
                if reference.pointer == "/person/ref" and named is not None:
                    restricted.setdefault(named.path, f"the restricted signatory entry {record.id} names it")
    protected = {key: agent for key, agent in agents.items() if agent.path in restricted}
    for record in records:
        if record.record_type == "signatory" and record.path not in restricted:
            named = next((reference for reference in record.references
                          if (reference.target_type, reference.target_id) in protected), None)
            if named:
                restricted[record.path] = f"it refers to the restricted {named.target_type} {named.target_id}"
    finder = _NameFinder(protected_words(records, restricted))
    for record in records:
        index = quote_indexes.get(record.id) if record.record_type == "source" else None
        if index is not None and record.path not in restricted:
            found = finder.first_in(index.text)  # one pass over the document, whatever the number of names
            if found:
                restricted[record.path] = f"its document's text names {found[2]}"
    return restricted


def protected_words(records: list[ScannedRecord], restricted: dict[str, str]) -> dict[str, str]:
    """What must not be published, to whom it belongs: every spelling of each restricted person and
    organization, and the words of each entry restricted on its own (it may name no one)."""
    return {name: f"{record.record_type} {record.id}" for record in records if record.path in restricted
            for name in record.names}  # only persons, organizations and restricted entries carry names


def withheld_documents(records: list[ScannedRecord], restricted: dict[str, str]) -> set[str]:
    """The source documents the public edition withholds: those of withheld source records."""
    return {f"sources/{record.document.file}" for record in records
            if record.record_type == "source" and record.path in restricted and record.document}


def exposure_issues(records: list[ScannedRecord], restricted: dict[str, str], root: Path, locations,
                    config: ScannedRecord | None = None) -> list[Issue]:
    """Public records (and archive.yaml) that would give a restricted person or organization away: by quoting
    one of its names, in a value or anywhere in the file's text (comments are attached too), case, line
    breaks and compatibility forms aside; or by referring to its id."""
    words = protected_words(records, restricted)
    if not words:
        return []
    agents = {(record.record_type, record.id) for record in records
              if record.record_type in AGENT_TYPES and record.path in restricted}
    finder = _NameFinder(words)
    issues = []
    for record in [*records, *([config] if config is not None else [])]:
        if record.path in restricted:
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
        text = raw.decode("utf-8", errors="replace")
        # Values differ from the text in words only through YAML's backslash escapes: parse only those files.
        found = finder.first_in(text) or ("\\" in text and _in_values(finder, text)) or None
        if found:  # placed in the compared form of the text, which keeps its lines
            issues.append(_names_issue(locations.display_root, record.path,
                                       unicodedata.normalize("NFKC", text).casefold(), *found))
    return issues


def _in_values(finder: _NameFinder, text: str) -> tuple[int, str, str] | None:
    """A name written with YAML escapes ("\\u0041lexander") is found in the values the file holds."""
    from .loader import load

    values = list(_strings(load(text.encode("utf-8"), text_checks=False).data))
    found = finder.first_in("\n".join(values))
    return (0, *found[1:]) if found else None


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _names_issue(display_root: str, path: str, text: str, offset: int, name: str, whose: str) -> Issue:
    before = text[:offset]
    return Issue("access.names-restricted", f"this public record quotes {name!r}, a name of the restricted "
                 f"{whose}", file=display_path(display_root, path), line=before.count("\n") + 1,
                 column=offset - before.rfind("\n"), hint="restrict this record too (access: restricted), or "
                 "leave the name out")


def _words(text: str) -> tuple[list, list[str]]:
    """The words of a text, compared in compatibility form and case-folded ("ſ" is "s", "ﬁ" is "fi")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    matches = list(_WORD.finditer(folded))
    return matches, [match.group() for match in matches]


class _NameFinder:
    """Finds any of many names in a text in one pass over its words: names are indexed by their first word,
    then by their length in words, and compared as tuples of case-folded words, so a name folded over two YAML
    lines is still found and 10,000 names cost no more than ten."""

    def __init__(self, names: dict[str, str]):
        self.by_first: dict[str, dict[int, dict[tuple[str, ...], tuple[str, str]]]] = defaultdict(dict)
        for name, whose in names.items():
            words = tuple(_words(name)[1])
            if words:
                self.by_first[words[0]].setdefault(len(words), {})[words] = (name, whose)

    def first_in(self, text: str) -> tuple[int, str, str] | None:
        """(offset, name, whose) of the first restricted name in `text`, or None."""
        matches, words = _words(text)
        for start, word in enumerate(words):
            for length, names in self.by_first.get(word, {}).items():
                found = names.get(tuple(words[start:start + length]))
                if found:
                    return (matches[start].start(), *found)
        return None
