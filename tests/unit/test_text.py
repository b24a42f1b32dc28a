"""text: invisible characters, NFC, mixed scripts, and the quote index."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.text import QuoteIndex, normalize_for_quote, text_problems


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
    return "\n".join(f"{number}. {line}" for number, line in enumerate(lines * (70_000 // max(1, sum(map(len, lines))) + 1), 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcłżўіėų ,.АБВ", min_size=1, max_size=40), min_size=1, max_size=30),
       st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=120))
def test_large_source_index_agrees_with_plain_search(lines: list[str], start: int, length: int):
    text = big_text(lines)
    index = QuoteIndex(text)
    assert index._index is not None
    normalized = normalize_for_quote(text)
    start = start % len(normalized)
    needle = normalized[start:start + length]
    assert (needle in index) == (normalize_for_quote(needle) in normalized)
    altered = needle + "\u00a7"
    assert (altered in index) == (normalize_for_quote(altered) in normalized)
