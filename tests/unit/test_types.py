"""The table of record types is the one place a type is declared: its model states the same `type:`, the
schema has its file, the JSON-LD writer its method, and every folder of the real records is in it."""

from __future__ import annotations

import typing

from conftest import REAL_RECORDS, REPO

from appeal_archive.records.types import BY_FOLDER, BY_NAME, RECORD_TYPES, folder_of, type_of_folder
from appeal_archive.views.jsonld import Bundle


def test_each_type_has_a_model_stating_its_name_a_schema_file_and_a_linked_data_writer():
    for declared in RECORD_TYPES:
        assert typing.get_args(declared.model.model_fields["type"].annotation) == (declared.name,)
        assert (REPO / "schema" / f"{declared.name}.schema.json").is_file()
        assert callable(getattr(Bundle, declared.linked_data_writer))
        assert all(":" in name for name in declared.linked_data_classes)


def test_names_and_folders_are_one_to_one_and_every_records_folder_is_declared():
    assert len(BY_NAME) == len(BY_FOLDER) == len(RECORD_TYPES)
    for declared in RECORD_TYPES:
        assert type_of_folder(declared.folder) == declared.name and folder_of(declared.name) == declared.folder
    folders = {path.name for path in REAL_RECORDS.iterdir() if path.is_dir()}
    assert folders == set(BY_FOLDER), "a folder of the real records that no record type declares (or the reverse)"
    assert type_of_folder("build") is None
