"""fmt: canonical style, idempotent, lossless (data and comments), and refuses what it cannot keep."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from conftest import REAL_RECORDS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from appeal_archive.records import loader
from appeal_archive.records.fmt import FormatRefused, format_records, format_text


def data_of(text: str):
    loaded = loader.load(text.encode("utf-8"))
    return json.dumps(loaded.data, sort_keys=True)


def test_real_records_are_already_canonical(tmp_path: Path):
    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    report = format_records([tmp_path / "records"], check=True)
    assert report.ok and report.changed == [] and report.checked == 30


def test_schema_order_quotes_and_comments():
    source = ("# about the rally\nparticipants: {as_printed: about 300 participants, qualifier: about, value: 300}\n"
              "country: NO  # Norway\ncity: \"Vilnius\"\ndate: 2023-05-21\nid: x\ntype: rally\n")
    formatted = format_text(source, "rally")
    assert formatted == ("# about the rally\nid: x\ntype: rally\ndate: '2023-05-21'\ncity: Vilnius\n"
                         "country: 'NO' # Norway\nparticipants:\n  value: 300\n  qualifier: about\n"
                         "  as_printed: about 300 participants\n")
    assert format_text(formatted, "rally") == formatted


def test_check_lists_files_and_writes_nothing(tmp_path: Path):
    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    target = tmp_path / "records/rallies/vilnius-2023-05-21.yaml"
    messy = "country: LT\n" + target.read_text().replace("country: LT\n", "")
    target.write_text(messy)
    report = format_records([tmp_path / "records"], check=True)
    assert report.changed == [str(target)]
    assert target.read_text() == messy
    format_records([tmp_path / "records"])
    assert format_records([tmp_path / "records"], check=True).changed == []


def test_files_with_structural_yaml_errors_are_left_alone(tmp_path: Path):
    target = tmp_path / "persons" / "x.yaml"
    target.parent.mkdir()
    target.write_text("id: x\nid: y\n")
    report = format_records([target])
    assert [issue.code for issue in report.issues] == ["fmt.unreadable"]
    assert target.read_text() == "id: x\nid: y\n"


scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"),
                                   blacklist_characters="\ufeff"), max_size=60),
    st.sampled_from(["NO", "on", "2023-05-21", "1:20", "010", "true", "null", "", " lead", "trail ", "a: b",
                     "# x", "- y", "multi\nline", "tab\there", "Łódź", "Ўладзімір", "'q'", '"d"', "a  b"]),
    st.integers(min_value=-10**6, max_value=10**6), st.booleans(), st.none())
keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)), max_leaves=12)
records = st.dictionaries(keys, values, min_size=1, max_size=6)


def emit(data: dict, flow: bool, comments: bool) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False, width=60)
    if comments:
        text = "# leading comment\n" + text.replace("\n", "  # end\n", 1)
    return text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, st.booleans(), st.booleans(), st.sampled_from([None, "rally", "signatory"]))
def test_fmt_is_lossless_and_idempotent_or_refuses(data: dict, flow: bool, comments: bool, record_type):
    text = emit(data, flow, comments)
    loaded = loader.load(text.encode("utf-8"))
    assume(loaded.data is not None and not any(issue.code.startswith("yaml.") and issue.code != "yaml.ambiguous"
                                               for issue in loaded.issues))
    try:
        formatted = format_text(text, record_type)
    except FormatRefused:
        assert comments  # only comments in awkward places (flow or empty collections) are beyond ruamel
        return
    assert data_of(formatted) == data_of(text)
    assert sorted(loader.comment_lines(formatted)) == sorted(loader.comment_lines(text))
    assert format_text(formatted, record_type) == formatted
    assert not [issue for issue in loader.load(formatted.encode()).issues if issue.code == "yaml.ambiguous"]


def test_comment_lines_ignores_hashes_inside_text():
    text = "a: 'x # not a comment'  # real\nb: \"#no\" # also real\n# own line\nc: d#e\n"
    assert loader.comment_lines(text) == ["# real", "# also real", "# own line"]
