"""schema: the committed files are what the models export, are valid 2020-12 schemas, and agree with
an independent validator on the real records."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import referencing
import yaml
from conftest import REAL_RECORDS, REPO

from appeal_archive.records import schema
from appeal_archive.records.schema_export import export_schemas, render, stale_files
from appeal_archive.records.types import RECORD_TYPES

SCHEMA_DIR = REPO / "schema"
FILES = sorted(SCHEMA_DIR.glob("*.schema.json"))


def test_committed_schema_files_are_not_stale():
    assert stale_files(SCHEMA_DIR) == [], "run `appeal-archive schema --write` and commit schema/"
    assert {path.name for path in FILES} == set(export_schemas())


def test_stale_file_is_detected(tmp_path: Path):
    for path in FILES:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    rally = json.loads((tmp_path / "rally.schema.json").read_text(encoding="utf-8"))
    rally["properties"]["country"]["pattern"] = "^.*$"
    (tmp_path / "rally.schema.json").write_text(render(rally), encoding="utf-8")
    assert stale_files(tmp_path) == ["rally.schema.json"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_schema_file_is_a_documented_2020_12_schema(path: Path):
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == schema.SCHEMA_BASE + path.name
    assert document.get("title") and document.get("description")

    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    for node in objects(document):
        assert node.get("additionalProperties") is False
        assert node.get("description"), node.get("title")


def test_models_and_schema_agree_on_fields():
    for declared in RECORD_TYPES:
        model = declared.model
        committed = json.loads((SCHEMA_DIR / f"{declared.name}.schema.json").read_text(encoding="utf-8"))
        assert list(committed["properties"]) == list(model.model_fields)
        assert set(committed["required"]) == {name for name, field in model.model_fields.items() if field.is_required()}


def independent_validator(record_type: str) -> jsonschema.Draft202012Validator:
    resources = [(json.loads(path.read_text())["$id"], referencing.Resource.from_contents(json.loads(path.read_text())))
                 for path in FILES]
    registry = referencing.Registry().with_resources(resources)
    document = json.loads((SCHEMA_DIR / f"{record_type}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(document, registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_python_jsonschema_accepts_the_real_records_and_pydantic_loads_them():
    for declared in RECORD_TYPES:
        check = independent_validator(declared.name)
        for path in sorted((REAL_RECORDS / declared.folder).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert list(check.iter_errors(data)) == [], path
            declared.model.model_validate(data)


def test_quote_and_reference_fields_are_found_from_the_schema():
    paths = {(("/".join(path)), kind, target) for path, kind, target in schema.marker_paths("signatory")}
    assert ("as_printed", "quote", None) in paths
    assert ("person/ref", "ref", "person") in paths
    assert ("capacities/*/organization/ref", "ref", "organization") in paths
    assert ("notes/*/relation/person/name", "quote", None) in paths
    assert ("participants/as_printed", "quote", None) in {
        ("/".join(path), kind, target) for path, kind, target in schema.marker_paths("rally")}


def test_schema_issue_codes_for_common_mistakes():
    data = yaml.safe_load((REAL_RECORDS / "rallies/vilnius-2023-05-21.yaml").read_text())
    data["participants"].pop("qualifier")
    data["date"] = "2023-02-30"
    data["extra"] = 1
    data["country"] = False
    codes = sorted((issue.code, issue.pointer) for issue in schema.iter_issues("rally", data))
    assert codes == [("schema.format", "/date"), ("schema.required", "/participants"),
                     ("schema.type", "/country"), ("schema.unknown-field", "/extra#key")]


def test_check_jsonschema_takes_each_schema_file_as_it_is_offline(tmp_path):
    """A fresh machine with no network: no --base-uri, no registry; a broken record is caught too. The tool's
    own command runs in this process (a new interpreter for each of its seven runs cost 2.5 s), with an empty
    HOME for its cache and every proxy pointed at a closed port."""
    from click.testing import CliRunner
    from conftest import REAL_RECORDS, REPO

    check_jsonschema = pytest.importorskip("check_jsonschema.cli").main
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": None, "NO_PROXY": None, "no_proxy": None,
           **{proxy: "http://127.0.0.1:9" for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}}

    def run(schema: str, *files: str):
        return CliRunner().invoke(check_jsonschema, ["--schemafile", str(REPO / "schema" / schema), *files], env=env)

    for record_type, folder in (("rally", "rallies"), ("signatory", "signatories"), ("person", "persons"),
                                ("appeal", "appeals"), ("organization", "organizations"), ("source", "sources")):
        files = sorted(str(path) for path in (REAL_RECORDS / folder).glob("*.yaml"))
        result = run(f"{record_type}.schema.json", *files)
        assert result.exit_code == 0, (record_type, result.output, result.exception)
    broken = tmp_path / "rally.yaml"
    broken.write_text((REAL_RECORDS / "rallies" / "london-2023-05-21.yaml").read_text().replace(
        "qualifier: exact", "qualifier: roughly"))
    result = run("rally.schema.json", str(broken))
    assert result.exit_code == 1 and "roughly" in result.output
