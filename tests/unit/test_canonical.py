"""canonical_json is RFC 8785: its fast path (Python's JSON writer) is held to rfc8785 on any data."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.canonical import canonical_json

# Every character, surrogates and the planes past the first included, and the boundaries that matter.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["", "\ud800", "\udfff", "\ue000", "\uffff", "\U00010000", "\x00\x1f\x7f", "\"\\/", "\u2028\u2029"])
SCALARS = (st.none() | st.booleans() | TEXT | st.floats(allow_nan=False) | st.integers()
           | st.sampled_from([2**53 - 1, 2**53, -(2**53 - 1), -(2**53), 0, 1.0, -0.0]))
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=20)


def _outcome(function, data):
    try:
        return function(data)
    except Exception as error:  # noqa: BLE001 - the same refusal is the expected outcome
        return type(error)


@settings(max_examples=1500, deadline=None)
@given(DATA)
def test_the_fast_path_writes_what_rfc8785_writes_or_leaves_it_to_rfc8785(data):
    assert _outcome(canonical_json, data) == _outcome(rfc8785.dumps, data)


def test_a_record_takes_the_fast_path_and_sorts_its_keys_by_code_point():
    record = {"type": "person", "names": ["Павел Латушка", "Pavel\tLatushka"], "position": 3, "z": None,
              "a": True, "é": "\x01"}
    assert canonical_json(record) == rfc8785.dumps(record) == (
        '{"a":true,"names":["Павел Латушка","Pavel\\tLatushka"],"position":3,"type":"person","z":null,'
        '"é":"\\u0001"}').encode()
