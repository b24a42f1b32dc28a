"""Text rules shared by every stage: what makes a string safe to archive, and how quotes are found in a source."""

from __future__ import annotations

import heapq
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from appeal_archive.errors import Severity

# Characters that render as nothing or reorder text: Unicode's default-ignorable code points, format characters
# (category Cf) and bidirectional controls, by the `regex` module's properties. Inside a name they hide
# homographs or reverse what a reader sees ("Trojan Source"), so they are refused, in values and comments alike.
INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Bidi_Control}]")
# Control characters (tab and line feed aside), line and paragraph separators, and noncharacters: a YAML
# escape ("\0", "\e", "\N", "\L") writes them where no printable text needs them, and they break readers.
_PLANE_NONCHARACTERS = "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF)
                               for plane in range(1, 17))
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufdd0-\ufdef\ufffe\uffff" + _PLANE_NONCHARACTERS + "]")

_SCRIPTS = {
    "Latin": re.compile(r"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF]"),
    "Cyrillic": re.compile(r"[\u0400-\u052F\u1C80-\u1C8F\u2DE0-\u2DFF\uA640-\uA69F]"),
    "Greek": re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]"),
}
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class TextProblem:
    code: str
    message: str
    hint: str
    severity: Severity = "error"


def describe_char(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


def text_problems(value: str) -> Iterator[TextProblem]:
    """Problems of one string value: control, invisible or bidirectional characters, non-NFC form, mixed scripts."""
    control = CONTROL.search(value)
    if control:
        yield TextProblem(
            "text.control-char",
            f"contains the control character {describe_char(control.group())} at offset {control.start()}",
            "delete it (it is usually written as an escape such as \\0, \\e or \\N in double quotes); "
            "line breaks in text are written as a literal block (|)",
        )
    if value.isascii():
        return
    invisible = INVISIBLE.search(value)
    if invisible:
        yield TextProblem(
            "text.invisible-char",
            f"contains the invisible character {describe_char(invisible.group())} at offset {invisible.start()}",
            "delete the character; if the source really prints it, describe it in an archivist note instead",
        )
    if not unicodedata.is_normalized("NFC", value):
        yield TextProblem(
            "text.not-nfc",
            "is not in Unicode normalization form NFC",
            "retype the letters as single precomposed characters (NFC), e.g. 'ł' as U+0142, not 'l' plus a mark",
        )
    for word in _WORD.findall(value):
        scripts = [name for name, pattern in _SCRIPTS.items() if pattern.search(word)]
        if len(scripts) > 1:
            yield TextProblem(
                "text.mixed-script",
                f"the word '{word}' mixes {' and '.join(scripts)} letters",
                "retype the word in one script; look-alike letters (Latin 'a', Cyrillic 'а') are a common slip",
                "warning",
            )
            break


_WHITESPACE = re.compile(r"\s+")
_HASH_MASK = (1 << 40) - 1
_CHUNK = 1 << 20


def normalize_for_quote(text: str) -> str:
    """The form in which quotes are compared with their source: NFC, whitespace runs collapsed to one space."""
    text = unicodedata.normalize("NFC", text)
    if len(text) <= _CHUNK:
        return _WHITESPACE.sub(" ", text).strip(" ")
    # A regular expression over 30 MB at once keeps every piece of the result in a list first (ten times
    # the text); a megabyte at a time keeps it near the text's own size. \s and str.split() agree on
    # what whitespace is.
    pieces, after_space = [], False
    for start in range(0, len(text), _CHUNK):
        piece = _WHITESPACE.sub(" ", text[start:start + _CHUNK])
        if after_space and piece.startswith(" "):
            piece = piece[1:]
        if piece:
            pieces.append(piece)
            after_space = piece.endswith(" ")
    return "".join(pieces).strip(" ")


def _sorted_array(values: array, run: int = 1 << 17) -> array:
    """The array sorted, a run at a time then merged: sorting it whole would make a list of Python
    integers five times its size."""
    runs = [array(values.typecode, sorted(values[start:start + run])) for start in range(0, len(values), run)]
    return array(values.typecode, heapq.merge(*runs))


class QuoteIndex:
    """Answers `quote in source` for one source document, fast even for sources of many megabytes.

    Small documents, and any document asked only a few times, use a plain substring search. Asked often, a large
    one (a petition export with 100,000 lines) would make that quadratic over all quotes, so it is indexed
    twice, by the hash of an 8-character key:
    - at every `stride`-th position (16, more for texts past 128 million characters): a quote of at least
      stride + 8 characters contains one such key at a known offset, which pins down where to compare;
    - at every word's start: a shorter quote (a short unique name deep in the export) that starts a word is
      found there; one that does not (it starts inside a word, or is not in the text) is searched plainly.
    Each index is a flat array of 8 bytes an entry (the key's 40-bit hash above its slot), sorted: a
    dictionary of strings would cost a hundred.
    """

    _SMALL = 1 << 16
    _KEY = 8
    _MIN_STRIDE = 16
    _MAX_ENTRIES = 1 << 23
    _SLOT_BITS = 24  # slots of up to 16 million keys: more than _MAX_ENTRIES
    _PLAIN_FINDS = 32  # searches answered without an index before one is built

    def __init__(self, text: str):
        self.text = normalize_for_quote(text)
        self._stride = max(self._MIN_STRIDE, -(-len(self.text) // self._MAX_ENTRIES))
        self._entries: array | None = None
        self._word_entries: array | None = None
        self._word_starts: array | None = None
        self._plain_finds = 0

    def prepare(self) -> None:
        """Build the indexes now (before worker processes are forked, so that they share them) when the text is
        large enough to need them."""
        if self._entries is not None or len(self.text) <= self._SMALL:
            return
        text, step, key, bits = self.text, self._stride, self._KEY, self._SLOT_BITS
        self._entries = _sorted_array(array("Q", (((hash(text[slot * step:slot * step + key]) & _HASH_MASK) << bits)
                                                  | slot for slot in range((len(text) - key) // step + 1))))
        starts = array("Q", [0])
        starts.extend(match.end() for match in re.finditer(" ", text))
        if len(starts) < 1 << bits:
            self._word_starts = starts
            self._word_entries = _sorted_array(array("Q", (((hash(text[start:start + key]) & _HASH_MASK) << bits)
                                                           | slot for slot, start in enumerate(starts))))

    @classmethod
    def of_bytes(cls, raw: bytes) -> QuoteIndex:
        """The index of a UTF-8 text (or UTF-16, with its byte order mark); the decoded copy is dropped as soon as
        it is normalised."""
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return cls(raw.decode("utf-16", errors="replace"))
        return cls(raw.decode("utf-8", errors="replace"))

    @classmethod
    def _holding(cls, entries: array | None, key: str) -> range:
        """Which entries hold this key's hash (a few more, rarely, on a hash collision): one binary search."""
        if entries is None:
            return range(0)
        bits, digest = cls._SLOT_BITS, hash(key) & _HASH_MASK
        first = bisect_left(entries, digest << bits)
        return range(first, bisect_left(entries, (digest + 1) << bits, first))

    def __contains__(self, quote: str) -> bool:
        return self.find(normalize_for_quote(quote)) >= 0

    def find(self, needle: str) -> int:
        """Where the (already normalised) needle starts in the normalised source, or -1."""
        if len(needle) < self._KEY or len(self.text) <= self._SMALL:
            return self.text.find(needle)
        if self._entries is None:
            self._plain_finds += 1
            if self._plain_finds <= self._PLAIN_FINDS:
                return self.text.find(needle)
            self.prepare()
        if len(needle) < self._stride + self._KEY:
            return self._find_at_a_word(needle)
        return self._find_by_stride(needle)

    def _find_at_a_word(self, needle: str) -> int:
        """A word inside the needle (after one of its spaces) starts a word of the text wherever the needle
        occurs, so the needle is among the places its rarest such word's key is, or nowhere. A needle with no
        such word is looked for where its own start begins a word, then anywhere."""
        text, key, mask, starts, entries = self.text, self._KEY, (1 << self._SLOT_BITS) - 1, self._word_starts, \
            self._word_entries
        if starts is None or entries is None:
            return text.find(needle)
        inner = [offset + 1 for offset, character in enumerate(needle) if character == " "
                 and offset + 1 + key <= len(needle)]
        if inner:
            found, offset = min(((self._holding(entries, needle[offset:offset + key]), offset) for offset in inner),
                                key=lambda pair: len(pair[0]))
        else:
            found, offset = self._holding(entries, needle[:key]), 0
        for index in found:
            start = starts[entries[index] & mask] - offset
            if start >= 0 and text.startswith(needle, start):
                return start
        return -1 if inner else text.find(needle)

    def _find_by_stride(self, needle: str) -> int:
        # For each of the `stride` alignments the quote could have, every indexed key inside it must be
        # present; the rarest one gives the fewest places to compare.
        text, key, stride, entries = self.text, self._KEY, self._stride, self._entries
        slot_mask = (1 << self._SLOT_BITS) - 1
        for alignment in range(stride):
            rarest: tuple[range, int] | None = None
            for offset in range(alignment, len(needle) - key + 1, stride):
                found = self._holding(entries, needle[offset:offset + key])
                if not found:
                    rarest = None
                    break
                if rarest is None or len(found) < len(rarest[0]):
                    rarest = (found, offset)
            if rarest is None:
                continue
            found, offset = rarest
            for index in found:
                start = (entries[index] & slot_mask) * stride - offset  # type: ignore[index]
                if start >= 0 and text.startswith(needle, start):
                    return start
        return -1

    def departure(self, quote: str) -> Departure:
        """Where a quote stops following the source: its longest prefix that occurs, and what comes next.

        A binary search over the prefix length: when a prefix occurs, every shorter one does too.
        """
        needle = normalize_for_quote(quote)
        low, high = 0, len(needle)
        while low < high:
            middle = (low + high + 1) // 2
            if self.find(needle[:middle]) >= 0:
                low = middle
            else:
                high = middle - 1
        # The first place it occurs, whatever answered the search (an index may find a later one): the
        # message must not depend on what was asked before.
        start = self.text.find(needle[:low]) if low else -1
        # Shown from the start of the word where they part: 'Anatol' against 'Anatoly', not 'l' against 'ly'.
        parted = 0 < low < len(needle) and start + low < len(self.text) and needle[low - 1] != " "
        cut = (needle.rfind(" ", 0, low) + 1 or low) if parted else low
        source_next = self.text[start + cut:start + cut + _CONTEXT] if start >= 0 else ""
        return Departure(low, needle[max(0, cut - _CONTEXT):cut].rstrip(), needle[cut:cut + _CONTEXT], source_next)


_CONTEXT = 40


@dataclass(frozen=True, slots=True)
class Departure:
    """A quote measured against a source: how many characters follow it, the last of those, and then what
    the quote says where the source says something else."""

    matched: int
    before: str
    quote_next: str
    source_next: str

    def describe(self) -> str:
        def cut(text: str, keep_end: bool = False) -> str:
            return repr(text if len(text) < _CONTEXT else ("…" + text if keep_end else text + "…"))

        if not self.matched:
            return f"no part of it occurs in the source (it begins {cut(self.quote_next)})"
        if not self.source_next:
            return f"the source ends after {cut(self.before, keep_end=True)}, the quote goes on {cut(self.quote_next)}"
        return (f"it follows the source for {self.matched} characters, up to {cut(self.before, keep_end=True)}; "
                f"then the quote has {cut(self.quote_next)} where the source has {cut(self.source_next)}")
