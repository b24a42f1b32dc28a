"""Editions that prove they only add: `build --extends`, `verify --extends`, `prove --consistency`, through
signed builds of the real records grown by intake, corrected, retracted and forged, full and public."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import EPOCH, NAME, REAL_RECORDS, REPO

from appeal_archive import layout
from appeal_archive.build.archive import build_archive
from appeal_archive.cli.main import main
from appeal_archive.errors import AppealArchiveError
from appeal_archive.ledger.leaves import leaf, tree_leaves
from appeal_archive.ledger.lineage import proof_holds
from appeal_archive.ledger.merkle import audit_path, root_from_inclusion, verify_consistency
from appeal_archive.records.intake import intake
from appeal_archive.records.validate import validate_records
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive
from appeal_archive.verify.lineage import verify_extension

pytestmark = pytest.mark.slow  # many signed builds (run_layout.py hands the module out early)

APPEAL = "appeal-of-belarusians-to-the-eu"
EXPORT = REPO / "examples" / "petition-export.csv"
MAP = REPO / "examples" / "petition-map.yaml"
PDF = f"{NAME}.pdf"
CORRECTION = "Added the archivist's remark on his office (2026-12-06)."


def built(records: Path, out: Path, pki, extends: Path | None = None, edition: str = "full", bag: bool = False):
    return build_archive(records, out, environ={"SOURCE_DATE_EPOCH": EPOCH}, edition=edition, bag=bag,
                         extends=extends, signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert,
                                                                     level="B-B", trust_roots=(pki.root_cert,)))


def checked(report):
    assert report.ok, [issue.message for issue in report.issues if issue.is_error]
    return report


def manifest_of(out: Path) -> dict:
    return json.loads((out / layout.MANIFEST).read_text(encoding="utf-8"))


def copy_of(records: Path, target: Path) -> Path:
    shutil.copytree(records, target)
    return target


def correct(records: Path, person: str, note: str | None = CORRECTION, remark: str = "") -> Path:
    """Give a person record an archivist's note (a change), with a correction_note when `note` is given."""
    path = records / "persons" / f"{person}.yaml"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if not line.startswith(("correction_note:", "archivist_note:"))]
    lines.append(f"archivist_note: {json.dumps('Remark: ' + (note or 'a silent change') + remark)}")
    if note:
        lines.append(f"correction_note: {json.dumps(note)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory, pki) -> dict[str, Path]:
    """The real records with the README's example export taken in (one signer did not consent: restricted),
    signed as the full edition (with its bag) and the public one: the edition every test extends."""
    base = tmp_path_factory.mktemp("march")
    records = copy_of(REAL_RECORDS, base / "records")
    report = intake(EXPORT, APPEAL, records, map_path=MAP, environ={"SOURCE_DATE_EPOCH": EPOCH})
    assert report.ok and report.new_entries == 4
    assert checked_build(built(records, base / "full", pki, bag=True))
    assert checked_build(built(records, base / "public", pki, edition="public"))
    return {"records": records, "full": base / "full", "public": base / "public", "base": base}


def checked_build(result):
    assert result.ok, [issue.message for issue in result.issues if issue.is_error]
    return result


def grown_export(target: Path) -> Path:
    """The example export as it stands a week later: two more signatures (one not to be published)."""
    text = EXPORT.read_text(encoding="utf-8")
    text += ("Paulina Later;p.later@mail.example;Gdańsk;PL;28.05.2023;;tak;192.0.2.20\n"
             "Hanna Private;h.private@mail.example;Brest;BY;29.05.2023;;no;192.0.2.21\n")
    target.write_text(text, encoding="utf-8")
    return target


def test_growth_by_intake_extends_the_earlier_edition_and_every_signed_file_carries_the_proof(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    taken = intake(grown_export(tmp_path / "export.csv"), APPEAL, records, map_path=MAP,
                   environ={"SOURCE_DATE_EPOCH": EPOCH})
    assert taken.ok and taken.new_entries == 2
    result = checked_build(built(records, tmp_path / "june", pki, extends=march["full"] / PDF, bag=True))
    assert any(notice.startswith(f"extends {march['full'] / PDF}") for notice in result.notices)
    old, new = manifest_of(march["full"]), manifest_of(tmp_path / "june")
    assert tree_leaves(new)[:old["tree_size"]] == tree_leaves(old) and new["tree_size"] > old["tree_size"]
    assert new["extends"]["root"] == old["root"] and new["extends"]["tree_size"] == old["tree_size"]
    assert new["extends"]["sha256"] == hashlib.sha256((march["full"] / PDF).read_bytes()).hexdigest()

    proof = json.loads((tmp_path / "june" / layout.CONSISTENCY_PROOF).read_text(encoding="utf-8"))
    assert proof == {"format": "appeal-archive/consistency-proof/1",
                     "from": {"tree_size": old["tree_size"], "root": old["root"]},
                     "to": {"tree_size": new["tree_size"], "root": new["root"]}, "proof": proof["proof"]}
    assert verify_consistency(old["tree_size"], new["tree_size"], bytes.fromhex(old["root"]),
                              bytes.fromhex(new["root"]), [bytes.fromhex(node) for node in proof["proof"]])
    proof_file = (tmp_path / "june" / layout.CONSISTENCY_PROOF).read_bytes()
    with pikepdf.open(tmp_path / "june" / PDF) as pdf:
        assert pdf.attachments[layout.CONSISTENCY_PROOF].get_file().read_bytes() == proof_file
    assert (tmp_path / "june" / f"{NAME}-bag" / "data" / layout.CONSISTENCY_PROOF).read_bytes() == proof_file
    for signed in (PDF, f"{NAME}.jsonld", f"{NAME}-bag"):
        report = checked(verify_archive(tmp_path / "june" / signed, trust_roots=[pki.root_cert]))
        assert any("consistency proof it carries holds" in check for _, check in report.checks)

    extension = checked(verify_extension(tmp_path / "june" / PDF, march["full"] / PDF, [pki.root_cert])).extends
    assert extension["ok"] and (extension["from_size"], extension["to_size"]) == (old["tree_size"], new["tree_size"])
    new_paths = {entry["path"] for entry in [*new["records"], *new["source_documents"]]} - {
        entry["path"] for entry in [*old["records"], *old["source_documents"]]}
    assert set(extension["added"]) == new_paths and len(new_paths) == 6  # 2 entries, 2 persons, the capture's 2
    assert extension["corrected"] == [] and extension["retracted"] == []


def test_a_correction_is_appended_with_its_reason_and_the_superseded_leaf_still_proves_inclusion(march, tmp_path,
                                                                                                 pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    old, new = manifest_of(march["full"]), manifest_of(tmp_path / "april")
    path = "persons/pavel-latushka.yaml"
    before = next(entry for entry in old["records"] if entry["path"] == path)
    now = next(entry for entry in new["records"] if entry["path"] == path)
    assert now["index"] == old["tree_size"] == new["tree_size"] - 1  # appended, never rewritten in place
    assert new["earlier"] == [{"index": before["index"], "leaf": leaf(before), "path": path, "status": "superseded",
                               "reason": CORRECTION, "by": now["index"], "marked_in": 2}]
    leaves = [bytes.fromhex(each) for each in tree_leaves(new)]
    reached = root_from_inclusion(before["index"], new["tree_size"], bytes.fromhex(leaf(before)),
                                  audit_path(before["index"], leaves))
    assert reached is not None and reached.hex() == new["root"]

    run = CliRunner().invoke(main, ["verify", str(tmp_path / "april" / PDF), "--extends", str(march["full"] / PDF),
                                    "--trust-root", str(pki.root_cert), "--format", "json"])
    assert run.exit_code == 0, run.output
    extension = json.loads(run.output)["extends"]
    assert {key: extension[key] for key in ("ok", "from_size", "to_size", "added", "retracted")} == {
        "ok": True, "from_size": old["tree_size"], "to_size": new["tree_size"], "added": [], "retracted": []}
    assert extension["corrected"] == [{"path": path, "reasons": [CORRECTION], "superseded": before["index"],
                                       "by": now["index"]}]
    text = CliRunner().invoke(main, ["verify", str(tmp_path / "april" / PDF), "--extends", str(march["full"] / PDF)])
    assert f"corrected: {path} (leaf {before['index']}, now leaf {now['index']}): {CORRECTION}" in text.output


def test_a_silent_change_fails_the_build_naming_the_file_and_the_edition(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka", note=None)
    result = built(records, tmp_path / "out", pki, extends=march["full"] / PDF)
    assert not result.ok and not (tmp_path / "out").exists()
    [issue] = [issue for issue in result.issues if issue.is_error]
    assert issue.code == "edition.unexplained-correction" and issue.file.endswith("persons/pavel-latushka.yaml")
    assert str(march["full"] / PDF) in issue.message and "correction_note" in issue.hint


def test_a_removed_record_needs_its_reason_in_retractions_yaml(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    removed = f"signatories/{APPEAL}-00012.yaml"
    (records / removed).unlink()
    result = built(records, tmp_path / "out", pki, extends=march["full"] / PDF)
    assert not result.ok and [issue.code for issue in result.issues if issue.is_error] == [
        "edition.unexplained-retraction"]
    reason = "The signatory asked for the signature to be withdrawn (e-mail of 2023-06-02)."
    (records / "retractions.yaml").write_text(f"- path: {removed}\n  reason: {reason}\n", encoding="utf-8")
    assert not any(issue.code == "salt.stale" for issue in validate_records(records).issues)
    checked_build(built(records, tmp_path / "may", pki, extends=march["full"] / PDF))
    extension = checked(verify_extension(tmp_path / "may" / PDF, march["full"] / PDF, [pki.root_cert])).extends
    index = next(entry["index"] for entry in manifest_of(march["full"])["records"] if entry["path"] == removed)
    assert extension["retracted"] == [{"path": removed, "reasons": [reason], "index": index}]
    assert extension["added"] == [] and extension["corrected"] == []

    (records / removed).write_bytes((march["records"] / removed).read_bytes())  # back, and still "retracted"
    report = validate_records(records)
    assert [issue.code for issue in report.errors] == ["retractions.present"]


def test_a_new_edition_made_without_extends_from_silently_changed_records_is_refused(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka", note=None)
    forged = checked_build(built(records, tmp_path / "forged", pki))  # a valid signed file, of another tree
    assert any(notice.startswith("a first edition: a new log") for notice in forged.notices)
    report = verify_extension(tmp_path / "forged" / PDF, march["full"] / PDF, [pki.root_cert])
    assert not report.ok and report.extends["ok"] is False
    assert [issue.code for issue in report.issues if issue.is_error] == ["edition.not-extended"]
    run = CliRunner().invoke(main, ["verify", str(tmp_path / "forged" / PDF), "--extends", str(march["full"] / PDF)])
    assert run.exit_code == 1 and "edition.not-extended" in run.output


def test_an_edition_of_another_archive_is_neither_extended_nor_accepted(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    config = records / "archive.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("AA-2023-05-21-belarusians-to-eu",
                                                                 "AA-2023-05-21-another"), encoding="utf-8")
    with pytest.raises(AppealArchiveError) as refused:
        built(records, tmp_path / "out", pki, extends=march["full"] / PDF)
    assert refused.value.issues[0].code == "edition.other-archive" and refused.value.exit_code == 1
    checked_build(built(records, tmp_path / "other", pki))
    report = verify_extension(tmp_path / "other" / "AA-2023-05-21-another.pdf", march["full"] / PDF,
                              [pki.root_cert])
    assert [issue.code for issue in report.issues if issue.is_error] == ["edition.other-archive"]


def test_public_editions_extend_public_editions_and_withhold_what_changed_of_the_restricted(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "public", pki, edition="public", extends=march["public"] / PDF))
    extension = checked(verify_extension(tmp_path / "public" / PDF, march["public"] / PDF, [pki.root_cert])).extends
    assert [item["path"] for item in extension["corrected"]] == ["persons/pavel-latushka.yaml"]

    hidden = f"signatories/{APPEAL}-00011.yaml"  # Ivan Piatrou, who did not consent
    secret_note = "Corrected the city Piatrou gave (Hrodna, not Grodno)."
    path = records / hidden
    path.write_text(path.read_text(encoding="utf-8") + f"correction_note: {secret_note}\n", encoding="utf-8")
    result = built(records, tmp_path / "refused", pki, edition="public", extends=march["public"] / PDF)
    assert [issue.code for issue in result.issues if issue.is_error] == ["edition.withheld-changed"]

    checked_build(built(records, tmp_path / "later", pki, edition="public", extends=march["full"] / PDF))
    manifest = manifest_of(tmp_path / "later")
    assert [item["status"] for item in manifest["withheld"] if "status" in item] == ["superseded"]
    assert all(item["path"] != hidden for item in manifest["earlier"])
    extension = checked(verify_extension(tmp_path / "later" / PDF, march["public"] / PDF, [pki.root_cert])).extends
    assert extension["withheld_changes"] == 1 and hidden not in json.dumps(extension)
    for name in (PDF, f"{NAME}.jsonld", layout.MANIFEST):
        data = (tmp_path / "later" / name).read_bytes()
        assert hidden.encode() not in data and b"Piatrou" not in data and b"Hrodna, not" not in data


def test_an_edition_three_steps_later_is_proven_to_extend_the_first(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    editions = [march["full"] / PDF]
    correct(records, "pavel-latushka")
    for step in ("april", "may", "june"):
        if step == "may":
            intake(grown_export(tmp_path / "export.csv"), APPEAL, records, map_path=MAP,
                   environ={"SOURCE_DATE_EPOCH": EPOCH})
        if step == "june":
            correct(records, "pavel-latushka", remark=" Again.")  # changed again, with the note given before
            refused = built(records, tmp_path / "refused", pki, extends=editions[-1])
            assert [issue.code for issue in refused.issues if issue.is_error] == ["edition.unexplained-correction"]
            correct(records, "pavel-latushka", note="Second correction of the remark (2026-12-07).")
        checked_build(built(records, tmp_path / step, pki, extends=editions[-1]))
        editions.append(tmp_path / step / PDF)
    extension = checked(verify_extension(editions[-1], editions[0], [pki.root_cert])).extends
    [corrected] = extension["corrected"]
    assert corrected["reasons"] == [CORRECTION, "Second correction of the remark (2026-12-07)."]
    assert corrected["by"] == next(entry["index"] for entry in manifest_of(tmp_path / "june")["records"]
                                   if entry["path"] == corrected["path"])
    assert len(extension["added"]) == 6 and extension["retracted"] == []
    run = CliRunner().invoke(main, ["prove", "--consistency", str(editions[0]), str(editions[-1]), "--out",
                                    str(tmp_path / "march-to-june.json"), "--trust-root", str(pki.root_cert)])
    assert run.exit_code == 0, run.output
    proof = json.loads((tmp_path / "march-to-june.json").read_text(encoding="utf-8"))
    first, last = manifest_of(march["full"]), manifest_of(tmp_path / "june")
    assert (proof["from"], proof["to"]) == ({"tree_size": first["tree_size"], "root": first["root"]},
                                            {"tree_size": last["tree_size"], "root": last["root"]})
    assert proof_holds(proof)
    backwards = CliRunner().invoke(main, ["prove", "--consistency", str(editions[-1]), str(editions[0]), "--out",
                                          str(tmp_path / "backwards.json")])
    assert backwards.exit_code == 1 and "edition.order" in backwards.output
    assert not (tmp_path / "backwards.json").exists()


def test_an_altered_proof_attachment_fails_verify(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    manifest = manifest_of(tmp_path / "april")
    # The same manifest with the proof's first hash flipped: its root recomputes, its proof does not hold.
    manifest["extends"]["proof"][0] = "0" * 64
    from appeal_archive.verify.records import check_carried_proof
    from appeal_archive.verify.report import VerifyReport

    report = VerifyReport("april.pdf")
    check_carried_proof(report, manifest)
    assert [issue.code for issue in report.issues] == ["edition.proof-invalid"]


def test_above_two_thousand_records_the_extension_holds_as_below(large_build_dir, tmp_path, pki):
    records = copy_of(large_build_dir.parent / "records", tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "later", pki, extends=large_build_dir / PDF, bag=True))
    for signed in (PDF, f"{NAME}-bag"):
        checked(verify_archive(tmp_path / "later" / signed, trust_roots=[pki.root_cert]))
    extension = checked(verify_extension(tmp_path / "later" / PDF, large_build_dir / PDF, [pki.root_cert])).extends
    assert [item["path"] for item in extension["corrected"]] == ["persons/pavel-latushka.yaml"]
    assert extension["from_size"] > layout.ZIP_THRESHOLD


def test_the_metadata_and_the_cover_name_the_edition_extended_as_the_manifest_does(march, tmp_path, pki):
    from appeal_archive.verify.pdf import check_stated_root, cover_text
    from appeal_archive.verify.report import VerifyReport

    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    checked(verify_archive(tmp_path / "april" / PDF, rebuild=True, trust_roots=[pki.root_cert]))
    manifest = manifest_of(tmp_path / "april")
    with pikepdf.open(tmp_path / "april" / PDF) as pdf:
        cover = " ".join(cover_text(pdf).split())
        assert f"root {manifest['extends']['root']}" in cover.replace("root\n", "root ")
        assert "persons/pavel-latushka.yaml corrected" in cover and CORRECTION[:40] in cover
        report = VerifyReport("april.pdf")
        page = pdf.attachments[layout.VERIFIER_PAGE].get_file().read_bytes()
        check_stated_root(pdf, None, manifest, report, page)
        assert report.ok
        claimed = json.loads(json.dumps(manifest))
        claimed["extends"]["root"] = "0" * 64  # a manifest naming another edition than the XMP does
        check_stated_root(pdf, None, claimed, report, page)
        assert [issue.code for issue in report.issues] == ["metadata.extends-mismatch"]


SIGNER = f"signatories/{APPEAL}-00011.yaml"  # Ivan Piatrou, who did not consent: restricted


def test_retracting_a_restricted_signer_keeps_withheld_what_named_him(march, tmp_path, pki):
    """The export's capture names Ivan Piatrou; once his records are retracted, nothing in the records says he
    is protected, but the editions before withheld the capture: it stays withheld."""
    records = copy_of(march["records"], tmp_path / "records")
    person = f"persons/{APPEAL}-signer-00011.yaml"
    last = f"signatories/{APPEAL}-00012.yaml"  # the last entry too, so that the list keeps no gap
    for path in (SIGNER, person, last):
        (records / path).unlink()
    (records / "retractions.yaml").write_text("".join(f"- path: {path}\n  reason: Withdrawn at the signer's request.\n"
                                                      for path in (SIGNER, person, last)), encoding="utf-8")
    capture = next(entry["path"] for entry in manifest_of(march["full"])["source_documents"]
                   if "export" in entry["path"])
    assert "Piatrou" in (records / capture).read_text(encoding="utf-8")
    # The public edition cannot tell which of its withheld leaves were his: it asks for the full one.
    refused = built(records, tmp_path / "refused", pki, edition="public", extends=march["public"] / PDF)
    assert [issue.code for issue in refused.issues if issue.is_error] == ["edition.withheld-changed"]
    out = tmp_path / "public"
    checked_build(built(records, out, pki, edition="public", extends=march["full"] / PDF))
    assert capture not in {entry["path"] for entry in manifest_of(out)["source_documents"]}
    for path in out.rglob("*"):
        if path.is_file():
            assert b"Piatrou" not in path.read_bytes(), path
    with pikepdf.open(out / PDF) as pdf:
        assert f"records/{capture}" not in pdf.attachments
    full = checked_build(built(records, tmp_path / "full", pki, extends=march["full"] / PDF))
    assert full.ok and manifest_of(tmp_path / "full")["protected"]


def test_a_retraction_reason_naming_a_protected_person_fails_validation(march, tmp_path):
    records = copy_of(march["records"], tmp_path / "records")
    last = f"signatories/{APPEAL}-00012.yaml"
    (records / last).unlink()
    (records / "retractions.yaml").write_text(f"- path: {last}\n  reason: Withdrawn together with Ivan Piatrou.\n",
                                              encoding="utf-8")
    [issue] = validate_records(records).errors
    assert issue.code == "access.names-restricted" and issue.file.endswith("retractions.yaml")


def test_a_record_restricted_since_is_counted_withheld_never_named(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    person = records / "persons" / f"{APPEAL}-signer-00010.yaml"  # Maria Nowak, published in March
    person.write_text(person.read_text(encoding="utf-8").replace("type: person\n", "type: person\naccess: restricted\n"
                                                                  "correction_note: Restricted at her request.\n"),
                      encoding="utf-8")
    checked_build(built(records, tmp_path / "public", pki, edition="public", extends=march["public"] / PDF))
    extension = checked(verify_extension(tmp_path / "public" / PDF, march["public"] / PDF, [pki.root_cert])).extends
    # Her entry, unchanged, is withheld since; her person record changed: its earlier leaf is withheld with it.
    assert (extension["withheld_since"], extension["withheld_changes"]) == (1, 1)
    assert extension["corrected"] == [] and "Nowak" not in json.dumps(extension)
    for name in (layout.MANIFEST, f"{NAME}.jsonld"):
        assert b"Nowak" not in (tmp_path / "public" / name).read_bytes()


def test_a_copy_beside_the_pdf_that_is_not_the_signed_one_fails_and_the_extension_is_not_reported(march, tmp_path,
                                                                                                   pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    beside = tmp_path / "april" / layout.CONSISTENCY_PROOF
    proof = json.loads(beside.read_text(encoding="utf-8"))
    proof["proof"][0] = "0" * 64
    beside.write_text(json.dumps(proof, indent=1) + "\n", encoding="utf-8")
    report = verify_extension(tmp_path / "april" / PDF, march["full"] / PDF, [pki.root_cert])
    assert [issue.code for issue in report.issues if issue.is_error] == ["pdf.beside-mismatch"]
    assert report.extends["ok"] is False and report.extends["corrected"] == []


def test_a_capture_corrected_after_its_protected_signer_is_retracted_stays_withheld(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    person, last = f"persons/{APPEAL}-signer-00011.yaml", f"signatories/{APPEAL}-00012.yaml"
    for path in (SIGNER, person, last):
        (records / path).unlink()
    (records / "retractions.yaml").write_text("".join(f"- path: {path}\n  reason: Withdrawn at the signer's request.\n"
                                                      for path in (SIGNER, person, last)), encoding="utf-8")
    document = next(path for path in (records / "sources").glob("*export*.txt"))
    document.write_bytes(document.read_bytes() + b"\n")  # the capture made again: its bytes, and its leaf, change
    source = document.with_suffix(".yaml")
    text = source.read_text(encoding="utf-8")
    old_digest = re.search(r"sha256: ([0-9a-f]{64})", text)[1]
    source.write_text(text.replace(old_digest, hashlib.sha256(document.read_bytes()).hexdigest())
                      + "correction_note: Captured again from the export.\n", encoding="utf-8")
    full = checked_build(built(records, tmp_path / "full", pki, extends=march["full"] / PDF))
    assert any("DO NOT PUBLISH" in notice for notice in full.notices)  # nothing restricted now, yet protected
    checked_build(built(records, tmp_path / "public", pki, edition="public", extends=tmp_path / "full" / PDF))
    manifest = manifest_of(tmp_path / "public")
    assert f"sources/{document.name}" not in {entry["path"] for entry in manifest["source_documents"]}
    for path in (tmp_path / "public").rglob("*"):
        if path.is_file():
            assert b"Piatrou" not in path.read_bytes(), path


def test_a_reason_naming_someone_restricted_since_is_withheld_with_its_leaf(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka", note="Office confirmed by Maria Nowak.")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    maria = records / "persons" / f"{APPEAL}-signer-00010.yaml"
    maria.write_text(maria.read_text(encoding="utf-8").replace("type: person\n", "type: person\naccess: restricted\n"
                                                                "correction_note: Restricted at her request.\n"),
                     encoding="utf-8")
    correct(records, "pavel-latushka", note="Office confirmed.")  # a public note may not name her any more
    checked_build(built(records, tmp_path / "may", pki, edition="public", extends=tmp_path / "april" / PDF))
    for name in (layout.MANIFEST, f"{NAME}.jsonld"):
        assert b"Nowak" not in (tmp_path / "may" / name).read_bytes()
    checked(verify_extension(tmp_path / "may" / PDF, tmp_path / "april" / PDF, [pki.root_cert]))
    # Through the full edition of May: the old reason stays hidden by its place, and his record stays published.
    checked_build(built(records, tmp_path / "may-full", pki, extends=tmp_path / "april" / PDF))
    checked_build(built(records, tmp_path / "june", pki, edition="public", extends=tmp_path / "may-full" / PDF))
    june = manifest_of(tmp_path / "june")
    assert "persons/pavel-latushka.yaml" in {entry["path"] for entry in june["records"]}
    assert b"Nowak" not in (tmp_path / "june" / layout.MANIFEST).read_bytes()
    checked(verify_extension(tmp_path / "june" / PDF, tmp_path / "may" / PDF, [pki.root_cert]))


def test_editions_after_a_retraction_only_step_and_through_a_full_one_say_what_happened(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    last = f"signatories/{APPEAL}-00012.yaml"  # Aliaksei Kavaliou, published in March
    kept = (records / last).read_bytes()
    (records / last).unlink()
    (records / "retractions.yaml").write_text(f"- path: {last}\n  reason: Withdrawn.\n", encoding="utf-8")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))  # retraction alone
    assert manifest_of(tmp_path / "april")["root"] == manifest_of(march["full"])["root"]
    checked_build(built(records, tmp_path / "april-public", pki, edition="public", extends=tmp_path / "april" / PDF))
    public = checked(verify_extension(tmp_path / "april-public" / PDF, march["public"] / PDF, [pki.root_cert]))
    assert [item["path"] for item in public.extends["retracted"]] == [last]  # the full edition between: shown
    assert public.extends["withheld_since"] == 0
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "may", pki, extends=tmp_path / "april" / PDF))
    for older in (march["full"], tmp_path / "april"):
        checked(verify_extension(tmp_path / "may" / PDF, older / PDF, [pki.root_cert]))
    (records / last).write_bytes(kept)  # reinstated
    (records / "retractions.yaml").unlink()
    checked_build(built(records, tmp_path / "june", pki, extends=tmp_path / "may" / PDF))
    extension = checked(verify_extension(tmp_path / "june" / PDF, march["full"] / PDF, [pki.root_cert])).extends
    assert extension["retracted"] == [] and last in extension["added"]


def test_a_proof_beside_a_bundle_that_is_not_the_one_it_states_fails(march, tmp_path, pki):
    records = copy_of(march["records"], tmp_path / "records")
    correct(records, "pavel-latushka")
    checked_build(built(records, tmp_path / "april", pki, extends=march["full"] / PDF))
    checked(verify_archive(tmp_path / "april" / f"{NAME}.jsonld", trust_roots=[pki.root_cert]))
    beside = tmp_path / "april" / layout.CONSISTENCY_PROOF
    beside.write_text(beside.read_text(encoding="utf-8").replace('"proof": [', '"proof": [\n  "' + "0" * 64 + '",'),
                      encoding="utf-8")
    report = verify_archive(tmp_path / "april" / f"{NAME}.jsonld", trust_roots=[pki.root_cert])
    assert [issue.code for issue in report.issues if issue.is_error] == ["edition.proof-invalid"]
