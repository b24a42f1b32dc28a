"""The Linked Art view: each document of build/linked-art/ validates against Linked Art 1.0's published JSON
Schemas (read in place from ../shared/vectors/linked-art-schema/), and says what a museum needs to know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import need_vectors

KINDS = {"text": "text.json", "event": "event.json", "person": "person.json", "group": "group.json",
         "place": "place.json"}
ID = "https://w3id.org/appeal-archive/id/linked-art/"


@pytest.fixture(scope="module")
def validators():
    import jsonschema_rs

    folder = need_vectors("linked-art-schema")
    schemas = {path.name: json.loads(path.read_text()) for path in folder.glob("*.json")}
    # core.json refers once to "/definitions/referred_to_byProp", which resolves outside the schema folder;
    # pointing that address at the definition it means lets the published files be used as they are.
    misplaced = ("https://linked.art/definitions/referred_to_byProp",
                 {"$ref": schemas["core.json"]["$id"] + "#/definitions/referred_to_byProp"})
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()] + [misplaced])
    return {kind: jsonschema_rs.validator_for(schemas[name], registry=registry, validate_formats=True)
            for kind, name in KINDS.items()}


@pytest.fixture(scope="module")
def view(unsigned_build_dir: Path) -> dict[str, dict]:
    out = unsigned_build_dir
    return {path.relative_to(out / "linked-art").as_posix(): json.loads(path.read_text())
            for path in sorted((out / "linked-art").rglob("*.json"))}


def test_every_document_passes_its_linked_art_schema(view, validators):
    assert {path.split("/")[0] for path in view} == set(KINDS)
    for path, document in view.items():
        errors = [f"{error.instance_path}: {error.message[:200]}" for error in validators[path.split("/")[0]]
                  .iter_errors(document)]
        assert errors == [], path


def test_a_document_that_breaks_the_model_is_refused(view, validators):
    person = dict(view["person/pavel-latushka.json"], type="Actor")
    assert not validators["person"].is_valid(person)
    text = dict(view["text/appeal-of-belarusians-to-the-eu.json"])
    text["created_by"] = dict(text["created_by"], part_of=[text["created_by"]["part_of"]])
    assert not validators["text"].is_valid(text)


def test_the_appeal_was_created_by_its_adoption_at_the_warsaw_demonstration(view):
    appeal = view["text/appeal-of-belarusians-to-the-eu.json"]
    assert appeal["type"] == "LinguisticObject" and appeal["_label"] == "Appeal of Belarusians to the EU"
    creation = appeal["created_by"]
    assert creation["timespan"]["begin_of_the_begin"] == "2023-05-21T00:00:00Z"
    assert creation["took_place_at"] == [{"id": ID + "place/warsaw-pl", "type": "Place", "_label": "Warsaw (PL)"}]
    assert creation["part_of"]["id"] == ID + "event/warsaw-2023-05-21"
    rally = view["event/warsaw-2023-05-21.json"]
    assert rally["type"] == "Activity" and rally["timespan"]["end_of_the_end"] == "2023-05-21T23:59:59Z"
    assert rally["referred_to_by"][0]["content"] == "Participants: more than 1,000 participants in the demonstration"
    pavel = view["person/pavel-latushka.json"]
    assert [name["content"] for name in pavel["identified_by"]] == ["Pavel Latushka", "Павел Латушка"]
    assert {group["id"] for group in pavel["member_of"]} == {ID + "group/national-anti-crisis-management",
                                                             ID + "group/united-transitional-cabinet-of-belarus"}


@pytest.mark.parametrize("form", ["zip", "folder"])
def test_either_form_on_request_holds_the_same_documents(unsigned_build_dir: Path, tmp_path: Path, form: str):
    """`--linked-art zip` packs the very files of the folder form (a museum extracts it to the same paths);
    `--linked-art folder` keeps the folder whatever the size. Read as the museum's unzip reads them."""
    import shutil
    import zipfile

    from conftest import EPOCH, REAL_RECORDS

    from appeal_archive.build.archive import build_archive

    result = build_archive(REAL_RECORDS, tmp_path / "build", unsigned=True, linked_art=form,
                           environ={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.ok
    folder = unsigned_build_dir / "linked-art"
    expected = {path.relative_to(unsigned_build_dir).as_posix(): path.read_bytes() for path in folder.rglob("*.json")}
    if form == "zip":
        assert not (tmp_path / "build/linked-art").exists()
        assert str(tmp_path / "build/linked-art.zip") in result.files
        shutil.unpack_archive(tmp_path / "build/linked-art.zip", tmp_path / "unpacked")
        with zipfile.ZipFile(tmp_path / "build/linked-art.zip") as packed:
            assert all(member.compress_type == zipfile.ZIP_STORED for member in packed.infolist())
        found = tmp_path / "unpacked"
    else:
        assert not (tmp_path / "build/linked-art.zip").exists()
        found = tmp_path / "build"
    assert {path.relative_to(found).as_posix(): path.read_bytes()
            for path in (found / "linked-art").rglob("*.json")} == expected
