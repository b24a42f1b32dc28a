"""The record writer writes what fmt would: the same text for the real records, the same text as ruamel.yaml
in the canonical style for any data (hypothesis), text that reads back as the data, new files only."""

from __future__ import annotations

import os
import string

import pytest
from conftest import REAL_RECORDS
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.errors import AppealArchiveError
from appeal_archive.records import loader
from appeal_archive.records.fmt import format_text
from appeal_archive.records.style import KeyOrder, canonical_yaml, dumped
from appeal_archive.records.writer import (
    NotWritable,
    _mapping_lines,
    _ordered,
    record_yaml,
    write_config,
    write_record,
)

REAL = sorted(REAL_RECORDS.glob("*/*.yaml")) + [REAL_RECORDS / "archive.yaml"]


@pytest.mark.parametrize("path", REAL, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_real_record_is_written_as_it_is_committed(path):
    text = path.read_text(encoding="utf-8")
    data = loader.load(text.encode("utf-8")).data
    written = record_yaml(data)
    assert written == format_text(written, data["type"])
    if not loader.comment_lines(text):  # the writer has no comments to keep
        assert written == text


# Text of every kind the fast path must judge: letters of the records' languages, YAML's indicators, words
# that YAML 1.1 or 1.2 reads as something else, spaces at either end, line breaks, invisible characters.
TRICKY = ["yes", "No", "on", "null", "~", "true", "1_000", "0o17", "0x1F", "1e3", ".5", "12:30", "2023-05-21",
          "- x", "a: b", "a #b", "#x", "x:", "'q'", '"q"', "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "?x",
          "a, b [c] {d}", "Łukasz Ščarbak", "Аляксандр", "x\u00a0y", "x\u200by", "\ufeffx", "x\ny", " x", "x ",
          "x" * 120, "word " * 30, "", "-", "--- x", "... x", "=", "<<", "2023-06-02", "1.5", "+1", ".inf", ".NaN",
          "0001", "12:30:00", "2023-05-21 10:00:00", "Y", "n", "OFF", "1_0", "x" * 98 + "1"]
texts = st.one_of(st.sampled_from(TRICKY), st.text(alphabet=string.printable + "ŁłŠšЎўАа\u00a0\u2028", max_size=130))
scalars = st.one_of(texts, st.integers(min_value=-10**12, max_value=10**12), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False))
keys = st.one_of(st.sampled_from(["id", "type", "names", "as_printed", "ref", "name"]), texts)
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


@settings(max_examples=int(os.environ.get("APPEAL_ARCHIVE_EXAMPLES", 400)), deadline=None,
          derandomize="APPEAL_ARCHIVE_EXAMPLES" not in os.environ)  # a longer search is a random one
@given(st.dictionaries(keys, trees, min_size=1, max_size=6))
def test_the_fast_path_writes_what_ruamel_writes_and_the_text_reads_back(data):
    ordered = _ordered(data, KeyOrder(None))
    fast = _mapping_lines(ordered, 0)
    if fast is not None:
        assert "\n".join(fast) + "\n" == dumped(canonical_yaml(), ordered)
    try:
        written = record_yaml(data)
    except NotWritable:
        return  # only for data ruamel cannot write back as itself; never for the fast path
    assert fast is None or written == "\n".join(fast) + "\n"
    assert loader.load(written.encode("utf-8")).data == data


def test_a_record_is_written_in_its_folder_whole_and_never_over_another(tmp_path):
    data = {"names": ["Jan Kowalski"], "sources": ["rally-capture"], "type": "person", "id": "jan-kowalski"}
    path = write_record(tmp_path, data)
    assert path == tmp_path / "persons" / "jan-kowalski.yaml"
    assert path.read_text(encoding="utf-8") == ("id: jan-kowalski\ntype: person\nnames:\n  - Jan Kowalski\n"
                                                "sources:\n  - rally-capture\n")
    with pytest.raises(AppealArchiveError) as refused:
        write_record(tmp_path, {**data, "names": ["Someone else"]})
    assert refused.value.issues[0].code == "record.exists" and "Jan Kowalski" in path.read_text(encoding="utf-8")
    for bad in ({**data, "type": "people"}, {**data, "id": "../x"}, {**data, "names": [object()]}):
        with pytest.raises(AppealArchiveError) as refused:
            write_record(tmp_path, bad)
        assert refused.value.issues[0].code == "record.not-writable"
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["jan-kowalski.yaml", "persons"]


@pytest.mark.parametrize("durable", [True, False])
def test_a_link_or_a_file_in_the_way_is_never_written_through(tmp_path, durable):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours\n")
    (tmp_path / "persons").mkdir()
    (tmp_path / "persons" / "x.yaml").symlink_to(target)
    (tmp_path / "archive.yaml").symlink_to(tmp_path / "absent.yaml")
    with pytest.raises(AppealArchiveError) as refused:
        write_record(tmp_path, {"id": "x", "type": "person", "names": ["X"], "sources": ["s"]}, durable=durable)
    assert refused.value.issues[0].code == "record.exists" and target.read_text() == "not yours\n"
    with pytest.raises(AppealArchiveError) as refused:
        write_config(tmp_path, {"type": "archive", "title": "T"}, durable=durable)
    assert refused.value.issues[0].code == "record.exists" and not (tmp_path / "absent.yaml").exists()
    assert sorted(path.name for path in (tmp_path / "persons").iterdir()) == ["x.yaml"]  # no temporary left


@pytest.mark.parametrize("in_the_way", ["file", "link"])
def test_a_folder_it_cannot_write_into_is_a_clear_error_and_leaves_nothing(tmp_path, in_the_way):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if in_the_way == "file":
        (tmp_path / "persons").write_text("a file where a folder should be\n")
    else:
        (tmp_path / "persons").symlink_to(elsewhere)
    with pytest.raises(AppealArchiveError) as refused:
        write_record(tmp_path, {"id": "x", "type": "person", "names": ["X"], "sources": ["s"]})
    assert refused.value.issues[0].code == "record.write-failed" and not any(elsewhere.iterdir())
