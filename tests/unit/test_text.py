"""text: invisible characters, NFC, mixed scripts, and the quote index."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.records.text import QuoteIndex, normalize_for_quote, text_problems


def codes(value: str) -> list[str]:
    return [problem.code for problem in text_problems(value)]


def test_clean_names_in_latin_cyrillic_polish_lithuanian_pass():
    for name in ["Pavel Latushka", "Павел Латушка", "Małgorzata Żukowska", "Rūta Petrauskienė", "Ўладзімір"]:
        assert codes(name) == []


def test_bidirectional_and_zero_width_characters_are_errors():
    assert codes("Pav\u202eel") == ["text.invisible-char"]
    assert codes("Vol\u200bha") == ["text.invisible-char"]
    assert codes("Vol\u2066ha") == ["text.invisible-char"]


def test_decomposed_letters_are_not_nfc():
    assert codes("Pawe\u0142 Z\u0307ak") == ["text.not-nfc"]


def test_mixed_latin_and_cyrillic_in_one_word_is_a_warning():
    problems = list(text_problems("Volha P\u0430ulava"))
    assert [(problem.code, problem.severity) for problem in problems] == [("text.mixed-script", "warning")]
    assert codes("Belarus Беларусь") == []


def test_quotes_match_across_whitespace_differences():
    index = QuoteIndex("more than 1,000\n   participants in the demonstration )")
    assert "more than 1,000 participants" in index
    assert "more than 1000 participants" not in index


def big_text(lines: list[str]) -> str:
    return "\n".join(f"{number}. {line}"
                     for number, line in enumerate(lines * (70_000 // max(1, sum(map(len, lines))) + 1), 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcłżўіėų ,.АБВ", min_size=1, max_size=40), min_size=1, max_size=30),
       st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=120),
       st.sampled_from([1 << 23, 20_000, 4_000]))
def test_large_source_index_agrees_with_plain_search(lines: list[str], start: int, length: int, most_entries: int):
    """At every stride (1: the index fits; 4 and 18: the text is large for it), quotes short and long, at a
    word or inside one."""
    text = big_text(lines)
    index = type("Index", (QuoteIndex,), {"_MAX_ENTRIES": most_entries, "_MIN_STRIDE": 1})(text)
    index.prepare()
    assert index._entries is not None
    normalized = normalize_for_quote(text)
    start = start % len(normalized)
    needle = normalized[start:start + length]
    assert (needle in index) == (normalize_for_quote(needle) in normalized)
    altered = needle + "\u00a7"
    assert (altered in index) == (normalize_for_quote(altered) in normalized)


def test_departure_names_the_word_where_a_quote_leaves_its_source():
    index = QuoteIndex("hello world foo bar")
    assert index.departure("hello world fox").describe() == (
        "it follows the source for 14 characters, up to 'hello world'; then the quote has 'fox' where the source "
        "has 'foo bar'")
    assert index.departure("hello world foo bar baz").describe() == (
        "the source ends after 'hello world foo bar', the quote goes on ' baz'")
    assert index.departure("xyz").describe() == "no part of it occurs in the source (it begins 'xyz')"


def test_departure_in_a_large_indexed_source_agrees_with_the_plain_one():
    text = " ".join(f"line {number} of the petition export" for number in range(20_000))
    large, quote = QuoteIndex(text), "line 15001 of the petition export line 15002 of the petition exports"
    large.prepare()
    assert large._entries is not None
    small = QuoteIndex(" ".join(f"line {number} of the petition export" for number in range(15_000, 15_100)))
    assert large.departure(quote).describe().split("; ", 1)[1] == small.departure(quote).describe().split("; ", 1)[1]


def test_a_source_asked_often_builds_its_index_and_finds_short_names_deep_in_it():
    """Unique short names near the end of a large export: the index answers them (stride 1), not a scan."""
    names = [f"Name{number:05d} Fam" for number in range(20_000)]
    index = QuoteIndex("\n".join(f"{number}. {name}, Minsk" for number, name in enumerate(names, 1)))
    assert index._entries is None  # a few questions are answered by a plain search
    assert all(name in index for name in names[-100:])
    assert index._word_entries is not None
    assert "Name20000 Fam" not in index and "Name19999 Fam, Minsk" in index


def test_where_a_quote_leaves_its_source_does_not_depend_on_what_was_asked_before():
    """The first place the quote's longest prefix occurs, index built or not."""
    text = "\n".join(f"{number}. Member of the Association of Belarusians in Poland Name{number:05d}"
                     for number in range(3_000))
    quote = "Member of the Association of Belarusians in Poland Zzzzzz Qqqqqq"
    fresh, asked = QuoteIndex(text), QuoteIndex(text)
    asked.prepare()
    assert fresh.departure(quote).describe() == asked.departure(quote).describe()
    assert "'Name00000 1." in fresh.departure(quote).describe()
