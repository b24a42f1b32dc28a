"""The RO-Crate 1.2 metadata of a build and of its bag, judged by roc-validator (the RO-Crate community's
validator) at the `must` and `should` levels, offline."""

from __future__ import annotations

import importlib.resources
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EPOCH, NAME, REAL_RECORDS
from prepared_sparql import prepared_once

from appeal_archive.cli.main import main

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


CONTEXT_URL = "https://w3id.org/ro/crate/1.2/context"
ROR_EXCEPTION = "ro-crate-1.2_89.0"  # "an Organization SHOULD have a ROR identifier": allowed when none is known


def roc_validate(crate: Path, cache: Path) -> list[tuple[str, str]]:
    """roc-validator's issues at the `should` level (which includes `must`), as (check, message).

    CI has no network: roc-validator's own offline mode is used, its HTTP cache holding the RO-Crate JSON-LD
    context as published. The 1.2 context document is not on PyPI; ro-crate-py ships the 1.3 one, whose
    term definitions are those of 1.2 and more, and `test_the_crate_uses_only_terms_1_1_and_1_3_agree_on`
    checks that the crate uses only schema.org terms, which both define alike. Each SPARQL query is prepared
    once (prepared_sparql): the same verdicts in a quarter of the time."""
    pytest.importorskip("rocrate_validator")
    from requests.adapters import BaseAdapter, HTTPAdapter
    from requests_cache import CachedSession
    from rocrate_validator import services
    from rocrate_validator.models import Severity, ValidationSettings
    from urllib3 import HTTPResponse

    document = (importlib.resources.files("rocrate") / "data" / "ro-crate.jsonld").read_bytes()

    class PublishedContext(BaseAdapter):
        def send(self, request, **kwargs):
            raw = HTTPResponse(body=io.BytesIO(document), status=200, preload_content=False,
                               headers={"Content-Type": "application/ld+json"}, request_url=request.url)
            return HTTPAdapter().build_response(request, raw)

        def close(self):
            pass

    session = CachedSession(cache_name=str(cache), backend="sqlite", expire_after=-1)
    session.mount(CONTEXT_URL, PublishedContext())
    assert session.get(CONTEXT_URL).status_code == 200
    settings = ValidationSettings(rocrate_uri=str(crate), profile_identifier="ro-crate-1.2",
                                  requirement_severity=Severity.RECOMMENDED, cache_path=cache, offline=True)
    with prepared_once():
        result = services.validate(settings)
    return sorted({(issue.check.identifier, issue.message) for issue in result.get_issues()})


def test_the_bags_crate_is_one_that_roc_validator_accepts(signed_build_dir: Path, tmp_path: Path):
    """The bag's crate, as an institution receives it (the build folder's crate is validated in the next
    test)."""
    issues = roc_validate(signed_build_dir / f"{NAME}-bag" / "data", tmp_path / "cache")
    assert [check for check, _ in issues] == [ROR_EXCEPTION], issues


def test_roc_validator_refuses_a_crate_without_its_license_and_date(signed_build_dir: Path, tmp_path: Path):
    """The judge, run as above, is not blind: the bag's crate without the root's license and datePublished."""
    crate = tmp_path / "data"
    shutil.copytree(signed_build_dir / f"{NAME}-bag" / "data", crate)
    metadata = json.loads((crate / "ro-crate-metadata.json").read_text())
    root = next(node for node in metadata["@graph"] if node["@id"] == "./")
    del root["license"], root["datePublished"]
    (crate / "ro-crate-metadata.json").write_text(json.dumps(metadata))
    checks = {check for check, _ in roc_validate(crate, tmp_path / "cache")}
    assert {"ro-crate-1.2_13.3", "ro-crate-1.2_13.4"} <= checks, checks


def test_with_a_ror_identifier_for_the_custodian_nothing_is_left_in_the_build_folders_crate(tmp_path: Path):
    records = tmp_path / "records"
    shutil.copytree(REAL_RECORDS, records)
    settings = records / "archive.yaml"
    settings.write_text(settings.read_text().replace("custodian_url:", "custodian_id: https://ror.org/05qj6w324\n"
                                                     "custodian_url:", 1))
    result = CliRunner().invoke(main, ["build", str(records), "--out", str(tmp_path / "build"), "--unsigned"],
                                env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    assert roc_validate(tmp_path / "build", tmp_path / "cache") == []


def test_the_crate_describes_every_file_with_its_hash(signed_build_dir: Path):
    import hashlib

    crate = json.loads((signed_build_dir / "ro-crate-metadata.json").read_text())
    files = {node["@id"]: node for node in crate["@graph"] if node["@type"] == "File"}
    views = {path.relative_to(signed_build_dir).as_posix()
             for path in (signed_build_dir / "linked-art").rglob("*.json")}
    assert set(files) == {f"{NAME}.pdf", f"{NAME}.jsonld", f"{NAME}.jsonld.p7s", "manifest.json"} | views
    assert len(views) > 20
    for name, node in files.items():
        data = (signed_build_dir / name).read_bytes()
        assert node["sha256"] == hashlib.sha256(data).hexdigest() and node["contentSize"] == str(len(data))
    root = next(node for node in crate["@graph"] if node["@id"] == "./")
    assert root["license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert root["datePublished"] == "2023-05-21T00:00:00Z"
    bagged = json.loads((signed_build_dir / f"{NAME}-bag" / "data" / "ro-crate-metadata.json").read_text())
    described = {node["@id"] for node in bagged["@graph"] if node["@type"] == "File"}
    assert "records/persons/pavel-latushka.yaml" in described and "ro-crate-metadata.json" not in described


def test_the_crate_uses_only_schema_org_terms_of_the_published_context(signed_build_dir: Path):
    """Every term the crate uses is a schema.org term in the RO-Crate context (1.3 as shipped by ro-crate-py):
    schema.org terms are what RO-Crate 1.2 defines alike, which is why its validator may read the crate
    with the 1.3 document offline."""
    pytest.importorskip("rocrate")
    context = json.loads((importlib.resources.files("rocrate") / "data" / "ro-crate.jsonld").read_text())["@context"]
    crate = json.loads((signed_build_dir / "ro-crate-metadata.json").read_text())
    used = {key for node in crate["@graph"] for key in node if not key.startswith("@")}
    used |= {node["@type"] for node in crate["@graph"]}
    # conformsTo is Dublin Core's, as RO-Crate 1.2 specifies for the metadata descriptor.
    expected = {"conformsTo": "http://purl.org/dc/terms/conformsTo"}
    assert {term for term in used if not (str(context.get(term, "")).startswith("http://schema.org/")
                                          or context.get(term) == expected.get(term))} == set()


def test_the_linked_art_view_beside_a_pdf_is_reported_unsigned_never_checked(build_copy: Path, pki):
    """Finding of issue 17: an edited Linked Art document beside the PDF was counted among the files checked
    against what was signed. Nothing signs the view: whoever edits it can describe the edit in the crate too."""
    from datetime import UTC, datetime

    import yaml

    from appeal_archive.verify import verify_archive
    from appeal_archive.views.crate import crate_bytes, crate_file

    views = sorted((build_copy / "linked-art").rglob("*.json"))
    pdf = build_copy / f"{NAME}.pdf"
    before = verify_archive(pdf, trust_roots=[pki.root_cert]).to_dict()["completeness"]
    assert before["files_unsigned"] == len(views) > 20
    edited = views[0]
    edited.write_text(edited.read_text().replace("Appeal", "Withdrawn appeal"))
    described = [f"{NAME}.pdf", f"{NAME}.jsonld", f"{NAME}.jsonld.p7s", "manifest.json",
                 *(view.relative_to(build_copy).as_posix() for view in views)]
    (build_copy / "ro-crate-metadata.json").write_bytes(crate_bytes(  # described anew, as whoever edits the view would
        yaml.safe_load((REAL_RECORDS / "archive.yaml").read_text()),
        json.loads((build_copy / "manifest.json").read_text()), datetime.fromtimestamp(int(EPOCH), UTC),
        [crate_file(name, (build_copy / name).read_bytes()) for name in described]))
    report = verify_archive(pdf, trust_roots=[pki.root_cert])
    after = report.to_dict()["completeness"]
    assert report.ok and after["files_unsigned"] == len(views)
    assert after["files_checked"] == before["files_checked"]
    assert not any(name.startswith("linked-art/") for name in report.covered)
