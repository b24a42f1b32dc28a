"""What the judgement of an update works with (updates.py, store.py): PDF values compared across revisions,
and one comparison of an older revision with a newer, whose `adopt` is the rule that an update never gives a
signed object another role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyhanko.pdf_utils import generic

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import HistoricalResolver


def plain(value):
    """A PDF value with references as (number, generation), comparable across revisions."""
    if isinstance(value, generic.IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, generic.DictionaryObject):
        return {str(key): plain(value.raw_get(key)) for key in value}
    if isinstance(value, generic.ArrayObject):
        return [plain(value.raw_get(index)) for index in range(len(value))]
    return value


def ref_of(value):
    return value.reference if isinstance(value, generic.IndirectObject) else None


def get(container, key):
    """A dictionary's raw value at `key`, or None (also when the container is not a dictionary)."""
    return container.raw_get(key) if isinstance(container, generic.DictionaryObject) and key in container else None


def items(array) -> list:
    """An array's raw values (references unresolved), or none when it is not an array."""
    return [array.raw_get(index) for index in range(len(array))] if isinstance(array, generic.ArrayObject) else []


MODIFIED = "sig.modified-after-signing"
REMOVED = "sig.validation-data-removed"


@dataclass(frozen=True)
class Change:
    """One thing the updates changed beyond what they may: the code verify reports it under, and a sentence."""

    code: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Judgement:
    """One comparison: the older revision's objects, the newer's, what was written in between."""

    older: HistoricalResolver
    newer: HistoricalResolver
    written: set  # references written after the older revision (rewritten or new)
    introduced: set  # of those, the ones that did not exist in the older revision
    validation_data_only: bool
    accepted: set = field(default_factory=set)
    problems: list[Change] = field(default_factory=list)

    def is_new(self, ref) -> bool:
        return ref in self.introduced

    def changed(self, ref) -> bool:
        return ref in self.written

    def problem(self, text: str, code: str = MODIFIED) -> None:
        self.problems.append(Change(code, text))

    def adopt(self, value, before, role: str):
        """`value`, found in the newer revision in `role`, resolved: when it is a direct value, a new object, or
        one of `before` (the values that held the same role in the older revision), which is then accounted
        for; otherwise None, and the problem is recorded. A signed object never changes its role."""
        ref = ref_of(value)
        if ref is None:
            return value
        if not (self.is_new(ref) or ref in {ref_of(old) for old in before if old is not None}):
            self.problem(f"{role} is object {ref.idnum}, which was signed as "
                         f"{signed_kind(self.older.get_object(ref))}")
            return None
        self.accepted.add(ref)
        return self.newer.get_object(ref)

    def older_object(self, value):
        """What `value` (a value of the older revision) resolves to there."""
        ref = ref_of(value)
        return self.older.get_object(ref) if ref is not None else value


def signed_kind(obj) -> str:
    if isinstance(obj, generic.DictionaryObject) and "/Type" in obj:
        return str(obj["/Type"])[1:]
    return type(obj).__name__.removesuffix("Object").lower()
