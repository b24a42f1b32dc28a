"""Names that may be one person's: the same name in Cyrillic and in Latin letters (`Аляксей Кавалёў` and
`Aliaksei Kavaliou`), or two spellings a letter apart. Found for the archivist to decide, never merged.

Transliteration is ICU's (Any-Latin; Latin-ASCII), which spells Belarusian and Russian one way; the many
romanizations people use (`Aliaksei`, `Alaksiej`, `Alexei`) differ in vowels, soft signs and `h`/`g`, so
names are compared by their consonants: each transliterated word with its vowels and semivowels dropped,
`h` read as `g`, `w` as `v`, doubled letters once. Names a letter apart are found through their one-letter
deletions (each pair that shares one is at most one edit apart), never by comparing every pair.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_VOWELS = re.compile(r"[aeiouyj]+")
_FOLD = str.maketrans({"h": "g", "w": "v", "q": "k", "x": "ks"})
_REPEATED = re.compile(r"(.)\1+")
_NOT_LETTER = re.compile(r"[^a-z0-9 ]+")
_CYRILLIC = re.compile(r"[\u0400-\u052F]")
MAX_GROUP = 20  # names sharing one form past this many are a pattern, not one person written several ways
MIN_ONE_LETTER = 8  # shorter names a letter apart are too often different people to be worth a look


@lru_cache(maxsize=1)
def _latin():
    import icu

    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")


def name_key(name: str) -> str:
    """The form in which two names are the same name: NFC, case folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def transliterated(name: str) -> str:
    """A name in lower-case ASCII Latin letters, as ICU transliterates it."""
    return _latin().transliterate(name)


def skeleton(name: str) -> str:
    """The consonants of a name's transliteration, word by word."""
    latin = _NOT_LETTER.sub(" ", transliterated(name))
    words = (_REPEATED.sub(r"\1", _VOWELS.sub("", word.translate(_FOLD))) for word in latin.split())
    return " ".join(word for word in words if word)


def name_shape(name: str) -> frozenset[str]:
    """A name's words by their consonants, in no order: what stays of it across order, script and spelling."""
    return frozenset(skeleton(name).split())


def script_of(name: str) -> str:
    return "Cyrillic" if _CYRILLIC.search(name) else "Latin"


@dataclass(frozen=True)
class Likeness:
    """Two or more names that may be one person's, and why."""

    names: tuple[str, ...]  # name keys
    reason: str


def one_edit_apart(first: str, second: str) -> bool:
    """Whether two different strings differ by one letter added, removed or changed."""
    if abs(len(first) - len(second)) > 1 or first == second:
        return False
    if len(first) > len(second):
        first, second = second, first
    start = next((index for index, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), len(first))
    if len(first) == len(second):
        return first[start + 1:] == second[start + 1:]
    return first[start:] == second[start + 1:]


def likenesses(names: Iterable[str]) -> list[Likeness]:
    """Groups of distinct names (by name_key) that may be one person's: across scripts by skeleton, and pairs a
    letter apart in the same script."""
    keys = sorted({name_key(name) for name in names if name.strip()})
    found: list[Likeness] = []
    by_skeleton: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if (shape := skeleton(key)) and " " in shape:  # a given and a family name, at the least
            by_skeleton[shape].append(key)
    for group in by_skeleton.values():
        if len(group) <= MAX_GROUP and len({script_of(key) for key in group}) > 1:
            found.append(Likeness(tuple(group), "the names read the same across scripts (Cyrillic and Latin)"))
    found += [Likeness((keys[first], keys[second]), "the names differ by one letter")
              for first, second in _one_letter_pairs(keys)]
    return found


def _one_letter_pairs(keys: list[str]) -> list[tuple[int, int]]:
    """Pairs of keys one edit apart: each key and its one-letter deletions, hashed and packed with the key's
    index into one 64-bit number and sorted, so that keys sharing a variant lie side by side (2,000,000 variants
    of 100,000 names take 16 MB, not the 200 MB of a dictionary)."""
    if len(keys) >= 1 << _INDEX_BITS:
        raise ValueError("too many names to compare")
    packed = array("Q")
    for index, key in enumerate(keys):
        if len(key) >= MIN_ONE_LETTER:
            for variant in {key[:cut] + key[cut + 1:] for cut in range(len(key))} | {key}:
                packed.append((hash(variant) & _HASH_MASK) << _INDEX_BITS | index)
    ordered = sorted(packed)
    del packed
    pairs: set[tuple[int, int]] = set()
    start = 0
    for end in range(1, len(ordered) + 1):
        if end == len(ordered) or ordered[end] >> _INDEX_BITS != ordered[start] >> _INDEX_BITS:
            group = sorted({value & _INDEX_MASK for value in ordered[start:end]})
            if len(group) > MAX_GROUP:  # a numbering ("Signer 1", "Signer 2"), not a person's spellings
                start = end
                continue
            for place, first in enumerate(group):
                for second in group[place + 1:]:
                    if one_edit_apart(keys[first], keys[second]):
                        pairs.add((first, second))
            start = end
    return sorted(pairs)


_INDEX_BITS = 22  # up to 4,194,304 names
_INDEX_MASK = (1 << _INDEX_BITS) - 1
_HASH_MASK = (1 << (64 - _INDEX_BITS)) - 1
