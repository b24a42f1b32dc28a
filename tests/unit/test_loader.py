"""loader: YAML 1.2 core resolution, YAML 1.1 pitfalls, structural refusals, locations."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.records import loader


@pytest.mark.parametrize(("text", "value"), [
    ("a: 300", 300), ("a: -7", -7), ("a: 0x1F", 31), ("a: true", True), ("a: FALSE", False),
    ("a: null", None), ("a: ~", None), ("a:", None), ("a: '300'", "300"), ('a: "true"', "true"),
    ("a: Warsaw", "Warsaw"), ("a: '2023-05-21'", "2023-05-21"), ("a: 1.5", 1.5),
])
def test_yaml_12_core_values(text: str, value):
    loaded = loader.load(text.encode())
    assert loaded.data == {"a": value}
    assert type(loaded.data["a"]) is type(value)
    assert loaded.issues == []


@pytest.mark.parametrize("plain", ["NO", "no", "on", "Off", "yes", "1:20", "010", "0o17",
                                   "2023-05-21", "1e3", "1_000", "<<"])
def test_values_yaml_11_reads_differently_are_refused(plain: str):
    loaded = loader.load(f"country: {plain}\n".encode())
    assert [(issue.code, issue.line, issue.column, issue.pointer) for issue in loaded.issues] == [
        ("yaml.ambiguous", 1, 10, "/country")]
    # Quoted, the same text is fine and means the same to every loader.
    quoted = loader.load(f"country: '{plain}'\n".encode())
    assert quoted.issues == [] and quoted.data == yaml.safe_load(f"country: '{plain}'")


def test_read_plain_fast_path_agrees_with_full_resolution():
    for value in ["yes", "No", "Natalla", "Norway", "y", "2023", "0", "-0", "+5", "007", "1.0", ".inf", "=", "ÿes"]:
        resolved = loader.resolve_plain(value)
        assert loader.read_plain(value) == (resolved, loader.yaml11_disagrees(value, resolved))


def test_duplicate_key_is_reported_at_the_second_occurrence():
    loaded = loader.load(b"a: 1\nb:\n  c: 2\n  c: 3\n")
    assert [(issue.code, issue.line, issue.column, issue.pointer) for issue in loaded.issues] == [
        ("yaml.duplicate-key", 4, 3, "/b/c")]
    assert loaded.data == {"a": 1, "b": {"c": 2}}


def test_aliases_tags_and_non_string_keys_are_refused():
    codes = [issue.code for issue in loader.load(b"a: &x [1]\nb: *x\nc: !!binary aGk=\n1: one\n").issues]
    assert codes == ["yaml.alias", "yaml.tag", "yaml.key-not-string"]


def test_bom_is_accepted_with_a_warning_and_the_first_key_intact():
    loaded = loader.load(b"\xef\xbb\xbfid: x\n")
    assert loaded.data == {"id": "x"}
    assert [(issue.code, issue.severity) for issue in loaded.issues] == [("encoding.bom", "warning")]


def test_invalid_utf8_is_located():
    loaded = loader.load("id: x\nname: Łódź \xff\n".encode().replace("ÿ".encode(), b"\xff"))
    assert loaded.data is None
    assert [(issue.code, issue.line, issue.column) for issue in loaded.issues] == [("encoding.invalid-utf8", 2, 12)]


def test_control_character_position_counts_characters_not_bytes():
    loaded = loader.load("a: ł ż \x07\n".encode())
    assert [(issue.code, issue.line, issue.column) for issue in loaded.issues] == [("yaml.bad-character", 1, 8)]


def test_locator_finds_values_and_keys():
    loaded = loader.load(b"id: x\nlist:\n  - a\n  - b: 1\n")
    locate = loader.Locator(loaded.text).at
    assert locate("/list/1/b") == (4, 8)
    assert locate("/list/1/b#key") == (4, 5)
    assert locate("/list") == (3, 3)
    assert locate("/list/7") == (3, 3)  # no such item: its list's place
    assert locate("") == (1, 1)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_no_bytes_make_the_loader_raise(raw: bytes):
    loaded = loader.load(raw)
    assert isinstance(loaded.issues, list)
    for issue in loaded.issues:
        assert issue.line is None or issue.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_no_text_makes_the_loader_raise(text: str):
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return
    loaded = loader.load(raw)
    if loaded.data is not None and not any(issue.is_error for issue in loaded.issues):
        assert isinstance(loaded.data, (dict, list, str, int, float, bool))


def test_core_schema_tags_mean_what_they_say_and_others_are_refused():
    loaded = loader.load(b'a: !!int "2"\nb: !!str 300\nc: !!bool "true"\nd: !!float "1"\n')
    assert loaded.data == {"a": 2, "b": "300", "c": True, "d": 1.0} and loaded.issues == []
    wrong = loader.load(b'a: !!int "two"\nb: !!binary aGk=\nc: !!python/object:os.system x\n')
    assert [(issue.code, issue.line) for issue in wrong.issues] == [("yaml.tag", 1), ("yaml.tag", 2), ("yaml.tag", 3)]


def test_an_unclosed_quote_is_reported_where_it_opens():
    loaded = loader.load(b'id: x\nas_printed: "a demonstration\ncity: Warsaw\ncountry: PL\n')
    assert [(issue.code, issue.line, issue.column) for issue in loaded.issues] == [("yaml.syntax", 2, 13)]
    assert "never ends" in loaded.issues[0].message


def test_the_hint_for_a_leading_zero_offers_the_number_and_the_text():
    hint = loader.load(b"value: 010\n").issues[0].hint
    assert "write it as 10" in hint and 'quote it: "010"' in hint
