"""Names in disguise: where a protected name occurs in a text, compared as a reader sees it (access.py).

A protected person's name must reach no public edition in any form a reader would recognise, so text is
compared after undoing what hides a name from a plain search but not from a reader:
- HTML character references and percent-encoding (`Alexander&#32;Azarov`, `Alexander%20Azarov`), decoded;
- hyphenation across a line end (`Aza-` at the end of a line, `rov` on the next), joined;
- default-ignorable and format characters (soft hyphen, ZWSP, ZWJ, U+2060, U+034F, variation selectors,
  tag characters), removed, by the `regex` module's Unicode properties;
- compatibility forms, case and accents (NFKC, case folding, combining marks dropped: `Ázárov` is read as
  `Azarov`), and letters that look alike across scripts (Cyrillic `А` for Latin `A`): Unicode's confusable
  skeleton (UTS #39), from ICU. The skeleton keeps case, and letters of one case look alike where the other
  case's do not, so a text is compared as written, in capitals and in small letters (`comparable`).
Then a name is found where its words follow one another, or where its letters run together from the start
of a word to the end of one (`AlexanderAzarov`, `A.l.e.x.a.n.d.e.r`); a restricted person's surname alone
is found the same way (`statement-a-z-a-r-o-v.txt`, `azarov2`), and with an ending (`Azarovs`). Letters in
disguise are read as letters: backslash escapes (`\u0041zarov`), markup (`<b>Aza</b>rov`), and symbols named
after a Latin letter (small capitals `ᴀᴢᴀʀᴏᴠ`, circled and squared letters, regional indicators).

Lines are kept (a hyphenated word is joined on the line it starts on), so a finding names its line.
"""

from __future__ import annotations

import html
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, islice

import regex

_IGNORABLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}]+")
_WORD = regex.compile(r"\p{L}+|\p{N}+")  # letters, and digits apart: `azarov2` holds the word `azarov`
_MARKS = regex.compile(r"\p{M}+")
_HYPHENS = "-\u00ad\u2010\u2011"
_CONTINUED = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\s#>*]*([\p{L}\p{M}]+)")
_ESCAPE = regex.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2}))")  # JSON, Python, C
_TAG = regex.compile(r"<[^<>\n]{0,200}>")  # markup a reader never sees: <b>Aza</b>rov
_NAMED_LETTER = regex.compile(r"(?:LETTER|CAPITAL) ([A-Z])$")  # small capitals, circled, squared, indicators
_PREFIX = 3  # names are indexed by their first letters, compared only where a word starts
_STEM = 5  # a surname this long is found at the start of a word a little longer too (`Azarovs`, `Azarova`)
_ENDING = 3  # how much longer: an ending (`Azarovykh`), not another word (`Greenland` is not a form of Green)
_LONG = 12  # a word this long is searched within for whole names
_CAMEL = regex.compile(r"(?<=\p{Ll})(?=\p{Lu})")  # where a reader sees a word begin: #FreeAlexanderAzarov


@dataclass(frozen=True)
class Found:
    """Where a protected name was found: 1-based line and column of the text given, the name, whose it is."""

    line: int
    column: int
    name: str
    whose: str


def _decoded(line: str) -> str:
    """A line with HTML character references, percent-encoding and backslash escapes undone (twice-encoded too)
    and markup tags dropped, on one line."""
    for _ in range(3):
        decoded = _TAG.sub("", _ESCAPE.sub(_unescaped, urllib.parse.unquote(html.unescape(line), errors="replace")))
        if decoded == line:
            break
        line = decoded
    return line.replace("\r", " ").replace("\n", " ")


def _unescaped(match) -> str:
    code = int(next(group for group in match.groups() if group), 16)
    return chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else match.group()


def _hyphenated_end(line: str) -> int | None:
    """Where a line that ends in a word hyphenated across the line end stops being that word (before its
    hyphen, soft hyphen, invisible marks and spaces), or None. Read backwards once: linear in the line."""
    end, hyphenated = len(line), False
    while end and (line[end - 1] in _HYPHENS or line[end - 1].isspace() or _IGNORABLE.fullmatch(line[end - 1])):
        hyphenated = hyphenated or line[end - 1] in _HYPHENS
        end -= 1
    return end if hyphenated and end and line[end - 1].isalpha() else None


def _joined(lines: list[str]) -> list[str]:
    """Lines with a word hyphenated at a line end joined on the line it starts on (the line count is kept)."""
    lines = list(lines)
    for number in range(len(lines) - 1):
        end = _hyphenated_end(lines[number])
        following = _CONTINUED.match(lines[number + 1]) if end is not None else None
        if following:
            lines[number] = lines[number][:end] + following.group(1)
            lines[number + 1] = lines[number + 1][following.end():]
    return lines


@cache
def _skeleton_of(character: str) -> str:
    """ICU's skeleton of one character; for a symbol that Unicode names after a Latin letter and no mapping reads
    as one (small capitals `ᴀ`, negative circled `🅐`, squared `🅰`, regional indicators `🇦`), that letter."""
    found = _checker().getSkeleton(0, character)
    named = _NAMED_LETTER.search(unicodedata.name(character, "")) if found == character else None
    return named.group(1) if named and not character.isascii() else found


@lru_cache(maxsize=1)
def _checker():
    import icu

    return icu.SpoofChecker()


class _Skeletons(dict):
    """Each character's skeleton by code point, asked of ICU the first time str.translate meets it."""

    def __missing__(self, code: int) -> str:
        self[code] = _skeleton_of(chr(code))
        return self[code]


_SKELETONS = _Skeletons()


def skeleton(text: str) -> str:
    """UTS #39's skeleton of `text`: ICU's mapping of each character of its NFD, in NFD. ICU maps one code point
    at a time, so its answers are kept per character (a text is mostly a few dozen distinct ones)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(_SKELETONS))


def comparable(text: str) -> tuple[str, str, str]:
    """The three forms in which texts are compared, each folded after the skeleton: the text as written (each
    look-alike in the case it resembles), in capitals and in small letters. The skeleton keeps case, and a
    letter may look like another only in one of its cases (Cyrillic `Л` and `л` look like different letters,
    Greek `ν` looks like `v` and `Ν` like `N`), so case is also first made the same on both sides."""
    plain = _CAMEL.sub(" ", unicodedata.normalize("NFKC", _IGNORABLE.sub("", text)))
    as_written, capitals, small = (_MARKS.sub("", unicodedata.normalize("NFKD", skeleton(form).casefold()))
                                   for form in (plain, plain.upper(), plain.casefold()))
    return as_written, capitals, small


def _compact(text: str) -> str:
    return "".join(_WORD.findall(text))


def word_forms(text: str) -> set[str]:
    """The words of `text` in each compared form."""
    return {word for form in comparable(text) for word in _WORD.findall(form)}


def words_of(text: str) -> list[str]:
    """The words of `text` as written."""
    return _WORD.findall(unicodedata.normalize("NFKC", text))


class NameFinder:
    """Finds any of many protected names in texts, each text read once whatever the number of names: a name is
    indexed by the first letters of its compared form and checked only where a word of the text starts.
    `names` are found whole, from the start of a word to the end of one; `words` (a restricted person's
    surnames) alone, and, when they are long enough not to start common words, with an ending of up to three
    letters (`Azarovs`, `Azarova`, `Azarovykh`). A word that starts with a capital inside another starts a word
    (`#FreeAlexanderAzarov`), and a long word is searched within for whole names (`#freealexanderazarov`)."""

    def __init__(self, names: dict[str, str], words: dict[str, str] | None = None):
        # For each compared form: the names by their first letters, then by their whole letters, with the
        # lengths that occur under those first letters (10,000 names sharing a given name are looked up, not
        # compared one by one).
        # Each entry: (whether it ends only at a word's end, whether it is a whole name, the name, whose it is).
        self.index: list[dict[str, tuple[list[int], dict[str, list[tuple[bool, bool, str, str]]]]]] = [{}, {}, {}]
        for entries, whole in ((names, True), ((words or {}), False)):
            for name, whose in entries.items():
                ends_a_word = whole or len(_compact(unicodedata.normalize("NFKC", name))) < _STEM
                for form, index in zip(comparable(name), self.index, strict=True):
                    letters = _compact(form)
                    if letters:
                        lengths, by_letters = index.setdefault(letters[:_PREFIX], ([], {}))
                        by_letters.setdefault(letters, []).append((ends_a_word, whole, name, whose))
                        if len(letters) not in lengths:
                            lengths.append(len(letters))
        for index in self.index:
            for lengths, by_letters in index.values():
                lengths.sort(reverse=True)  # a whole name before one of its words
                for candidates in by_letters.values():
                    candidates.sort(key=lambda entry: not entry[0])

    def __bool__(self) -> bool:
        return any(self.index)

    def first_in(self, text: str) -> Found | None:
        """The first protected name in `text`, or None."""
        original = text.split("\n")
        lines = _joined([_decoded(line) for line in original])
        found = None
        for form, index in zip(comparable("\n".join(lines)), self.index, strict=True):
            hit = _first(form, index)
            if hit is not None and (found is None or hit[:2] < found[:2]):
                found = hit
        if found is None:
            return None
        line, word_in_line, name, whose = found
        matches = list(_WORD.finditer(original[line])) if line < len(original) else []
        column = matches[word_in_line].start() + 1 if word_in_line < len(matches) else 1
        return Found(line + 1, column, name, whose)


def _first(form: str, index: dict) -> tuple[int, int, str, str] | None:
    """(line, word of the line, name, whose) of the first name of `index` in one compared form of a text. The
    words are found and run together at C speed; only each word's start is looked up."""
    words = _WORD.findall(form)
    run = "".join(words)
    ends = set(accumulate(map(len, words)))
    offset = 0
    for number, word in enumerate(words):
        # A long word is searched within for whole names too: a hashtag runs one on (#freealexanderazarov).
        for inner in range(len(word) - _PREFIX + 1) if len(word) >= _LONG else (0,):
            here = offset + inner
            bucket = index.get(run[here:here + _PREFIX])
            if bucket is None:
                continue
            lengths, by_letters = bucket
            for length in lengths:
                for ends_a_word, whole, name, whose in by_letters.get(run[here:here + length], ()):
                    if (whole or not inner) and (here + length in ends or (
                            not ends_a_word and length <= len(word) <= length + _ENDING)):
                        start = next(islice(_WORD.finditer(form), number, None)).start()
                        line = form.count("\n", 0, start)
                        return line, len(_WORD.findall(form, form.rfind("\n", 0, start) + 1, start)), name, whose
        offset += len(word)
    return None
