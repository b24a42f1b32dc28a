"""Protected signatories: the public edition withholds them and shows nothing of them, carries the full
edition's root, resists a dictionary attack, and any record can be proven alone against either edition."""

from __future__ import annotations

import copy
import html
import io
import json
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import EPOCH, NAME, REAL_RECORDS, REPO, need_tool

from appeal_archive.build.archive import build_archive
from appeal_archive.canonical import digest
from appeal_archive.cli.main import main
from appeal_archive.ledger.leaves import leaf, leaf_v1
from appeal_archive.ledger.proof import make_proof
from appeal_archive.records.unmask import NameFinder
from appeal_archive.records.validate import load_record_set, validate_records
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive
from appeal_archive.verify.proof import check_proof

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


PROTECTED = ("alexander-azarov", "volha-paulava")
CAPTURE = "appeal-of-belarusians-to-the-eu-capture"
STATEMENT = "rally-statement"


def restrict(records: Path, folder: str, record_id: str) -> None:
    path = records / folder / f"{record_id}.yaml"
    kind = folder.rstrip("s") if folder != "signatories" else "signatory"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"type: {kind}\n", f"type: {kind}\naccess: restricted\n", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory, pki) -> dict[str, Path]:
    """The real records with two persons restricted, built as the full and the public edition (with bags),
    signed by the test PKI's signer."""
    base = tmp_path_factory.mktemp("editions")
    records = base / "records"
    shutil.copytree(REAL_RECORDS, records)
    for person in PROTECTED:
        restrict(records, "persons", person)
    # A statement withheld because it names a protected person (hyphenated across a line end), which a public
    # person's record cites by an id that names no one.
    _add_source(records, STATEMENT, "Read at the rally by Pavel Latushka and Volha Pau-\nlava.\n")
    person = records / "persons" / "pavel-latushka.yaml"
    person.write_text(person.read_text().replace("sources:\n", f"sources:\n  - {STATEMENT}\n", 1))
    signer = SignerConfig(key=pki.signer_key, cert=pki.signer_cert)
    built = {"records": records}
    for edition in ("full", "public"):
        result = build_archive(records, base / edition, bag=True, environ={"SOURCE_DATE_EPOCH": EPOCH},
                               signer_config=signer, edition=edition)
        assert result.ok, result.issues
        built[edition], built[f"{edition}-notices"] = base / edition, result.notices
    return built


def test_validate_says_what_is_restricted_and_why(editions):
    report = validate_records(editions["records"])
    assert report.ok
    assert report.restricted == {
        "persons/alexander-azarov.yaml": "it says access: restricted",
        "persons/volha-paulava.yaml": "it says access: restricted",
        "signatories/appeal-of-belarusians-to-the-eu-03.yaml": "it refers to the restricted person alexander-azarov",
        "signatories/appeal-of-belarusians-to-the-eu-07.yaml": "it refers to the restricted person volha-paulava",
        f"sources/{CAPTURE}.yaml": "its document's text names person alexander-azarov",
        f"sources/{STATEMENT}.yaml": "its document's text names person volha-paulava",
    }
    result = CliRunner().invoke(main, ["validate", str(editions["records"])])
    assert result.exit_code == 0 and "restricted: signatories/appeal-of-belarusians-to-the-eu-07.yaml" in result.output


def test_a_public_record_that_would_give_a_restricted_person_away_is_a_located_error(records: Path):
    restrict(records, "persons", "lukashenka")  # the appeal names him and refers to his record
    report = validate_records("records")
    referring = [issue for issue in report.errors if issue.code == "access.refers-to-restricted"]
    assert referring and referring[0].file == "records/appeals/appeal-of-belarusians-to-the-eu.yaml"
    assert referring[0].line and referring[0].pointer.startswith("/mentions/")
    quoted = [issue for issue in report.errors if issue.code == "access.names-restricted"]
    assert quoted and quoted[0].file == "records/appeals/appeal-of-belarusians-to-the-eu.yaml"
    line = (records / "appeals" / "appeal-of-belarusians-to-the-eu.yaml").read_text().splitlines()[quoted[0].line - 1]
    assert "Lukashenk" in line[quoted[0].column - 1:]
    assert all(issue.hint for issue in report.errors)


def test_the_full_edition_says_it_must_not_be_published(editions):
    assert any("DO NOT PUBLISH" in notice for notice in editions["full-notices"])
    text = _pdf_text(editions["full"] / f"{NAME}.pdf")
    assert "NOT FOR PUBLICATION" in text


def _pdf_text(pdf: Path) -> str:
    return subprocess.run([need_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _secrets(editions) -> dict[str, str]:
    """Everything of the withheld records that must appear nowhere in the public edition."""
    records = editions["records"]
    found: dict[str, str] = {}
    _, record_set = load_record_set(records, keep_data=True, salt=False)
    withheld = {path for path in record_set.restricted} | {"sources/appeal-of-belarusians-to-the-eu.txt",
                                                          f"sources/{STATEMENT}.txt"}
    for record in record_set.records:
        if record.path in withheld:
            found[record.path] = "path"
            found[record.id] = "id" if record.id not in (CAPTURE, STATEMENT) else None
            found[record.digest] = "record SHA-256"
            found[record_set.salts[record.path]] = "salt"
            data = record.data
            for name in [*data.get("names", []), *(added["text"] for added in data.get("archivist_names", []))]:
                found[name] = "name"
                found.update((part, "name") for part in name.split() if len(part) > 3)
    for document in (each for each in record_set.documents if each.path in withheld):
        found[document.sha256] = "document SHA-256"
        found[record_set.salts[document.path]] = "salt"
    found["appeal-of-belarusians-to-the-eu.txt"] = "document file name"
    found[f"{STATEMENT}.txt"] = "document file name"
    # The ids of the capture and the statement name no one: public records cite them, and publish the ids as
    # their own data; the edition adds nothing to them (no IRI, title or file name).
    return {secret: kind for secret, kind in found.items() if kind}


def _every_byte(public: Path, scratch: Path) -> list[tuple[str, bytes]]:
    """Every place a reader of the public edition can look: each file and file name (the bag included), the
    PDF with every stream decompressed, its text as rendered, and each attachment (ZIP members too)."""
    places = [(str(path.relative_to(public)), path.read_bytes()) for path in public.rglob("*") if path.is_file()]
    places.append(("file names", "\n".join(str(path) for path in public.rglob("*")).encode()))
    pdf = public / f"{NAME}.pdf"
    expanded = scratch / "expanded.pdf"
    subprocess.run([need_tool("qpdf"), "--qdf", "--object-streams=disable", "--decode-level=all", str(pdf),
                    str(expanded)], check=True)
    places += [("PDF streams decompressed", expanded.read_bytes()), ("PDF text", _pdf_text(pdf).encode())]
    with pikepdf.open(pdf) as document:
        for name, attached in document.attachments.items():
            data = attached.get_file().read_bytes()
            places.append((f"attachment {name}", name.encode() + b"\n" + data))
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    places += [(f"{name}/{member}", member.encode() + archive.read(member))
                               for member in archive.namelist()]
        places.append(("XMP", bytes(document.Root.Metadata.read_bytes())))
    return places


def test_the_public_edition_shows_nothing_of_the_protected(editions, tmp_path: Path):
    secrets = _secrets(editions)
    assert {"Alexander Azarov", "Azarov", "volha-paulava", "persons/volha-paulava.yaml"} <= set(secrets)
    names = NameFinder({secret: kind for secret, kind in secrets.items() if kind == "name"})
    leaks = []
    for place, data in _every_byte(editions["public"], tmp_path):
        text = data.decode("utf-8", errors="replace")
        text = html.unescape(text) if place.endswith(".html") else text  # the site's pages, as a browser shows them
        folded = unicodedata.normalize("NFC", text).casefold()
        leaks += [(secret, kind, place) for secret, kind in secrets.items()
                  if secret.casefold() in folded or secret.encode("utf-16-be") in data]
        found = names.first_in(text)  # and every name with its disguises undone (hyphenation, invisible marks, ...)
        leaks += [(found.name, "name, disguised", place)] if found else []
    assert leaks == []
    # The same search finds them in the full edition: the search works.
    full_text = (editions["full"] / "manifest.json").read_text() + _pdf_text(editions["full"] / f"{NAME}.pdf")
    assert "Alexander Azarov" in full_text and "persons/volha-paulava.yaml" in full_text


def test_both_editions_carry_one_root_and_the_public_one_verifies(editions, pki):
    roots = {edition: json.loads((editions[edition] / "manifest.json").read_text())["root"]
             for edition in ("full", "public")}
    assert roots["full"] == roots["public"]
    public = editions["public"]
    for target in (public / f"{NAME}.pdf", public / f"{NAME}.jsonld", public / f"{NAME}-bag"):
        report = verify_archive(target, trust_roots=[pki.root_cert], rebuild=target.suffix == ".pdf")
        assert report.ok and report.issues == [], (target, report.issues)
        assert report.root == roots["full"]
        assert any("a public edition: 8 of its 32 entries are withheld" in check for _, check in report.checks)
    text = _pdf_text(public / f"{NAME}.pdf")
    assert "3.     Entry withheld to protect the signatory" in text
    assert "7.     Entry withheld to protect the signatory" in text
    assert "8.     Member of the Coordination Council of Belarus Artsiom Brukhan" in text  # the numbering is kept


def test_the_public_linked_art_view_holds_only_public_records(editions):
    public = {path.name for path in (editions["public"] / "linked-art").rglob("*.json")}
    full = {path.name for path in (editions["full"] / "linked-art").rglob("*.json")}
    assert full - public == {"alexander-azarov.json", "volha-paulava.json"}


def test_the_public_bundle_is_linked_data_with_withheld_entries(editions):
    import rdflib

    graph = rdflib.Graph().parse(editions["public"] / f"{NAME}.jsonld", format="json-ld")
    vocab = rdflib.Namespace("https://w3id.org/appeal-archive/vocab#")
    withheld_entries = set(graph.subjects(rdflib.RDF.type, vocab.WithheldEntry))
    positions = sorted(int(graph.value(entry, vocab.order))
                       for entry in withheld_entries)
    assert positions == [3, 7]
    leaves = set(graph.subjects(rdflib.RDF.type, vocab.WithheldRecord))
    assert len(leaves) == 8
    # A public record citing a withheld one refers to its leaf: no IRI is made from the withheld record's id.
    person = rdflib.URIRef("https://w3id.org/appeal-archive/id/persons/pavel-latushka#record")
    derived = set(graph.objects(person, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert len(derived) == 2 and derived <= leaves  # the capture and the statement, both withheld
    assert not any(STATEMENT in str(term) for triple in graph for term in triple if isinstance(term, rdflib.URIRef))


def _candidate_names(count: int) -> list[str]:
    """Plausible names, Latin and Cyrillic, from bench/'s generator: given, second given and family names."""
    sys.path.insert(0, str(REPO / "bench"))
    import generate

    given, family = generate.GIVEN + generate.GIVEN_CYR, generate.FAMILY + generate.FAMILY_CYR
    names = [f"{first} {last}" for first in given for last in family]
    names += [f"{first} {second} {last}" for first in given for second in given for last in family]
    names += [f"{last} {first}" for first in given for last in family]
    forms = [names, [name.upper() for name in names], [f"{name}-{number}" for name in names for number in range(9)]]
    unique = list(dict.fromkeys(name for form in forms for name in form))
    return unique[:count]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(char if char.isalnum() else " " for char in ascii_name).split()) or "person"


def _guessed_leaves(name: str, salts: list[str | None]) -> set[str]:
    """Each leaf a person record of `name` would have, as the archive writes person records, with each salt
    tried (None: without one, and the construction from before salts)."""
    record_id = _slug(name)
    record = {"id": record_id, "type": "person", "access": "restricted", "names": [name], "sources": [CAPTURE]}
    entry = {"kind": "record", "path": f"persons/{record_id}.yaml", "id": record_id, "type": "person",
             "sha256": digest(record)}
    leaves = {leaf_v1(entry), leaf(entry)}
    return leaves | {leaf({**entry, "salt": salt}) for salt in salts if salt}


def test_a_dictionary_attack_on_the_public_edition_recovers_no_one(editions):
    """The adversary holds the public edition only: its withheld leaves and every salt it publishes."""
    public = json.loads((editions["public"] / "manifest.json").read_text())
    withheld = {item["leaf"] for item in public["withheld"]}
    published_salts = [entry["salt"] for kind in ("records", "source_documents") for entry in public[kind]]
    candidates = _candidate_names(20_000) + ["Alexander Azarov"]
    assert len(set(candidates)) == 20_001
    recovered = {name for name in candidates if _guessed_leaves(name, [None]) & withheld}
    recovered |= {name for name in ("Alexander Azarov", "Volha Paulava")
                  if _guessed_leaves(name, published_salts) & withheld}
    assert recovered == set()
    # With the secret salt the very same guess confirms the name: the attack is sound, the salt is what stops it.
    _, record_set = load_record_set(editions["records"], keep_data=False, salt=False)
    secret = record_set.salts["persons/alexander-azarov.yaml"]
    assert _guessed_leaves("Alexander Azarov", [secret]) & withheld


@pytest.fixture(scope="module")
def verified(editions, pki) -> dict[str, object]:
    """Each edition's PDF and bundle, verified once; proofs are checked against copies of these reports."""
    return {f"{edition} {kind}": verify_archive(editions[edition] / f"{NAME}{suffix}", trust_roots=[pki.root_cert])
            for edition in ("full", "public") for kind, suffix in (("pdf", ".pdf"), ("bundle", ".jsonld"))}


def _checked(report, proof: dict, tmp_path: Path):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    return check_proof(copy.deepcopy(report), path)


def test_every_record_can_be_proven_against_either_edition(editions, verified, tmp_path: Path):
    from appeal_archive.ledger.manifest import make_manifest

    _, record_set = load_record_set(editions["records"], keep_data=True, salt=False)
    manifest = make_manifest(record_set)
    for record in record_set.records:
        proof = make_proof(manifest, record.data, record.path)
        assert len(proof["audit_path"]) <= 5  # 30 leaves: at most ceil(log2(30)) hashes
        for name, report in verified.items():
            checked = _checked(report, proof, tmp_path)
            assert checked.ok and checked.issues == [], (record.path, name, checked.issues)


def test_a_changed_proof_is_rejected(editions, verified, tmp_path: Path):
    from appeal_archive.ledger.manifest import make_manifest

    _, record_set = load_record_set(editions["records"], keep_data=True, salt=False)
    record = next(each for each in record_set.records if each.path == "persons/alexander-azarov.yaml")
    proof = make_proof(make_manifest(record_set), record.data, record.path)
    report = verified["public pdf"]

    def refused(changed: dict) -> set[str]:
        checked = _checked(report, changed, tmp_path)
        assert not checked.ok
        return {issue.code for issue in checked.issues}

    changes = {
        "record": lambda p: p["record"]["names"].append("Someone Else"),
        "salt": lambda p: p["entry"].update(salt="0" * 32),
        "index": lambda p: p.update(leaf_index=p["leaf_index"] ^ 1),
        "size": lambda p: p.update(tree_size=p["tree_size"] + 1),
        "entry path": lambda p: p["entry"].update(path="persons/someone-else.yaml"),
        "format": lambda p: p.update(format="something/else"),
        "root claimed": lambda p: p.update(audit_path=p["audit_path"][:-1]),
    }
    for what, change in changes.items():
        changed = copy.deepcopy(proof)
        change(changed)
        assert refused(changed) & {"proof.record-mismatch", "proof.not-in-root", "proof.invalid"}, what
    for node in range(len(proof["audit_path"])):
        for bit in range(256):
            changed = copy.deepcopy(proof)
            value = int(changed["audit_path"][node], 16) ^ (1 << bit)
            changed["audit_path"][node] = f"{value:064x}"
            assert refused(changed) == {"proof.not-in-root"}


def test_a_proof_against_another_build_is_rejected_and_the_cli_says_so(editions, signed_build_dir, pki,
                                                                       tmp_path: Path):
    proof = tmp_path / "azarov.json"
    made = CliRunner().invoke(main, ["prove", "alexander-azarov", str(editions["records"]), "--out", str(proof)])
    assert made.exit_code == 0, made.output
    assert "leaf" in made.output and proof.stat().st_size < 2_000
    accepted = CliRunner().invoke(main, ["verify", str(proof), "--against", str(editions["public"] / f"{NAME}.pdf"),
                                         "--trust-root", str(pki.root_cert)])
    assert accepted.exit_code == 0, accepted.output
    other = CliRunner().invoke(main, ["verify", str(proof), "--against", str(signed_build_dir / f"{NAME}.pdf"),
                                      "--trust-root", str(pki.root_cert), "--format", "json"])
    assert other.exit_code == 1
    assert [issue["code"] for issue in json.loads(other.output)["issues"]] == ["proof.not-in-root"]


def test_an_archive_made_before_salts_still_verifies(tmp_path: Path, pki):
    """A PDF whose attached manifest is manifest_version 1 (unsalted, sorted leaves), signed: verify accepts
    it and names the construction."""
    from appeal_archive.identity import identity_of
    from appeal_archive.ledger.leaves import root_hash_v1
    from appeal_archive.ledger.manifest import make_manifest
    from appeal_archive.signing.keys import load_key_material, utc_now
    from appeal_archive.signing.sign import sign_pdf
    from appeal_archive.views.dossier import Dossier
    from appeal_archive.views.pdf import render_archival_pdf

    _, record_set = load_record_set(REAL_RECORDS, keep_data=True, salt=False)
    current = make_manifest(record_set)
    entries = {kind: [{key: value for key, value in entry.items() if key not in ("salt", "index")}
                      for entry in current[kind]] for kind in ("records", "source_documents")}
    old = {"manifest_version": 1, "archival_id": current["archival_id"], "hash_algorithm": "sha-256",
           "canonicalization": "RFC 8785 (JCS)", **entries}
    old["root"] = root_hash_v1([leaf_v1(entry) for kind in entries for entry in entries[kind]])
    material, _ = load_key_material(SignerConfig(key=pki.signer_key, cert=pki.signer_cert), utc_now())
    unsigned, _ = render_archival_pdf(Dossier.from_record_set(record_set, old), utc_now(),
                                      identity_of(material.certificate), "appeal-archive test", scratch=tmp_path)
    pdf = tmp_path / "old.pdf"
    pdf.write_bytes(sign_pdf(unsigned, material, reason="test", level="B-B"))
    report = verify_archive(pdf, trust_roots=[pki.root_cert])
    assert report.ok, report.issues
    assert any("manifest_version 1: SHA-256 over the sorted list of unsalted leaves" in check
               for _, check in report.checks)


def test_an_edition_that_only_adds_records_extends_the_earlier_tree(records: Path):
    """Salts are appended, never reordered: the earlier tree is a prefix of the later one, and an RFC 9162
    consistency proof shows it."""
    from conftest import CASES

    from appeal_archive.ledger.manifest import make_manifest, tree_leaves
    from appeal_archive.ledger.merkle import consistency_proof, verify_consistency

    before = make_manifest(load_record_set("records", keep_data=False, salt=False)[1])
    added = CASES / "valid" / "added-signatory" / "records"
    for relative in ("sources/later-capture.txt", "sources/later-capture.yaml", "persons/jan-przykladowy.yaml"):
        shutil.copy(added / relative, records / relative)
    report, record_set = load_record_set("records", keep_data=False)
    assert report.ok and report.salted == 3
    after = make_manifest(record_set)
    old, new = tree_leaves(before), tree_leaves(after)
    assert new[:len(old)] == old and len(new) == len(old) + 3
    proof = consistency_proof(len(old), [bytes.fromhex(each) for each in new])
    assert verify_consistency(len(old), len(new), bytes.fromhex(before["root"]), bytes.fromhex(after["root"]), proof)


def _write(records: Path, relative: str, text: str) -> None:
    (records / relative).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("place, text", [
    ("sources/rally-statement.yaml", None),  # a public source record (found by an attacker)
    ("archive.yaml", None),
    ("persons/anatoly-latushka.yaml", 'archivist_note: "Not \\u0041lexander Azarov."\n'),  # a YAML escape
    ("persons/anatoly-latushka.yaml", "# Alexander Azarov asked to be left out\n"),  # a comment, attached as is
    ("persons/anatoly-latushka.yaml", "archivist_note: Not Alexander_Azarov, nor ALEXANDER\n  AZAROV.\n"),
    # issue 17: names in a comment split by invisible characters or written with look-alikes, percent-encoded,
    # as HTML references, run together, hyphenated across a line end, or the surname alone
    ("persons/anatoly-latushka.yaml", "# Alex\u00adander Aza\u200brov\n"),
    ("persons/anatoly-latushka.yaml", "# Alexander\u200d\u2060\u034f\ufe0f\U000e0041 Azarov\n"),
    ("persons/anatoly-latushka.yaml", "# \u0410lex\u0430nder \u0391z\u0430rov\n"),
    ("persons/anatoly-latushka.yaml", "archivist_note: Not Alexander%20Azarov\n"),
    ("persons/anatoly-latushka.yaml", "archivist_note: Not Alexander&#32;Azarov nor Alexander&nbsp;Azarov\n"),
    ("persons/anatoly-latushka.yaml", "archivist_note: Not AlexanderAzarov\n"),
    ("persons/anatoly-latushka.yaml", "# a statement by Alexander Aza-\n# rov\n"),
    ("persons/anatoly-latushka.yaml", "# see azarov-statement.txt\n"),
], ids=["public-source-record", "archive-yaml", "yaml-escape", "comment", "underscore-and-line-break",
        "soft-hyphen-and-zwsp-in-comment", "joiners-variation-selector-tag-in-comment", "look-alikes-in-comment",
        "percent-encoded", "html-references", "run-together", "hyphenated-across-comment-lines", "surname-alone"])
def test_a_restricted_name_anywhere_in_a_public_file_is_an_error(records: Path, place: str, text: str | None):
    restrict(records, "persons", "alexander-azarov")
    if place == "archive.yaml":
        settings = records / place
        settings.write_text(settings.read_text().replace("title: Appeal", "title: Alexander Azarov's Appeal", 1))
    elif place.startswith("sources/"):
        import hashlib

        document = b"A statement read at the rally.\n"
        _write(records, "sources/statement.txt", document.decode())
        _write(records, place, f"id: rally-statement\ntype: source\ntitle: Statement, as Alexander Azarov read it\n"
               f"file: statement.txt\nsha256: {hashlib.sha256(document).hexdigest()}\nmedia_type: text/plain\n"
               "language: en\ncapture:\n  kind: other\n  description: A test document.\n  publisher_url: unknown\n"
               "  captured_on: unknown\n")
    else:
        _write(records, place, (records / place).read_text() + text)
    report = validate_records("records")
    found = [issue for issue in report.errors if issue.code == "access.names-restricted"]
    assert [issue.file for issue in found] == [f"records/{place}"], report.errors


def test_an_entry_restricted_on_its_own_protects_the_person_it_names_and_the_page_that_prints_it(records: Path):
    restrict(records, "signatories", "appeal-of-belarusians-to-the-eu-04")
    report = validate_records("records")
    assert report.ok, report.errors
    assert report.restricted["persons/alina-kouszyk.yaml"].startswith("the restricted signatory entry")
    assert f"sources/{CAPTURE}.yaml" in report.restricted


def test_a_salted_document_no_record_describes_yet_takes_no_place_in_the_tree(records: Path):
    _write(records, "sources/draft.txt", "A draft capture; its record is to follow.\n")
    assert CliRunner().invoke(main, ["salt", "records"]).exit_code == 0
    _write(records, "organizations/european-commission.yaml", "id: european-commission\ntype: organization\n"
           f"names:\n  - European Commission\nsources:\n  - {CAPTURE}\n")
    assert CliRunner().invoke(main, ["salt", "records"]).exit_code == 0
    result = CliRunner().invoke(main, ["manifest", "records", "--format", "json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)["manifest"]
    assert sorted(entry["index"] for kind in ("records", "source_documents") for entry in manifest[kind]) == \
        list(range(manifest["tree_size"]))


def test_manifest_only_reads_and_names_the_files_that_have_no_salt_yet(records: Path):
    ledger = (records / "salts.txt").read_bytes()
    _write(records, "organizations/european-commission.yaml", "id: european-commission\ntype: organization\n"
           f"names:\n  - European Commission\nsources:\n  - {CAPTURE}\n")
    result = CliRunner().invoke(main, ["manifest", "records", "--format", "json"])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["manifest"] is None and report["unsalted"] == 1
    assert [(issue["code"], issue["severity"]) for issue in report["issues"]] == \
        [("salt.missing", "warning"), ("manifest.unsalted", "error")]
    assert "organizations/european-commission.yaml" in report["issues"][1]["message"]
    assert (records / "salts.txt").read_bytes() == ledger
    salted = json.loads(CliRunner().invoke(main, ["salt", "records", "--format", "json"]).output)
    assert salted["added"] == 1 and (records / "salts.txt").read_bytes() != ledger
    assert CliRunner().invoke(main, ["manifest", "records"]).exit_code == 0


def test_a_ledger_that_is_a_link_is_neither_read_nor_replaced(records: Path, tmp_path: Path):
    ledger = records / "salts.txt"
    elsewhere = tmp_path / "elsewhere.txt"
    shutil.move(ledger, elsewhere)
    ledger.symlink_to(elsewhere)
    result = CliRunner().invoke(main, ["build", "records", "--out", str(tmp_path / "out"), "--unsigned"])
    assert result.exit_code == 1 and "salt.unreadable" in result.output
    assert ledger.is_symlink() and not (tmp_path / "out").exists()


def test_two_runs_at_once_give_each_new_file_one_salt(records: Path):
    import multiprocessing

    from appeal_archive.records.salts import salt_records

    for number in range(20):
        _write(records, f"organizations/body-{number}.yaml", f"id: body-{number}\ntype: organization\n"
               f"names:\n  - Body {number}\nsources:\n  - {CAPTURE}\n")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(salt_records, ["records"] * 8)
    lines = [line for line in (records / "salts.txt").read_text().splitlines() if not line.startswith("#")]
    paths = [line.split(" ", 1)[1] for line in lines]
    assert len(paths) == len(set(paths)) == 30 + 20


@pytest.mark.parametrize("change", ["repeated key", "huge integer", "lone surrogate", "extra key"])
def test_a_strange_proof_is_refused_never_crashes(editions, verified, tmp_path: Path, change: str):
    from appeal_archive.ledger.manifest import make_manifest

    _, record_set = load_record_set(editions["records"], keep_data=True, salt=False)
    record = next(each for each in record_set.records if each.path == "persons/volha-paulava.yaml")
    proof = make_proof(make_manifest(record_set), record.data, record.path)
    text = json.dumps(proof)
    if change == "repeated key":
        text = text.replace('"names": [', '"names": ["Someone Else"], "names": [', 1)
    elif change == "huge integer":
        text = text.replace('"type": "person"', '"type": "person", "n": ' + "9" * 30, 1)
    elif change == "lone surrogate":
        text = text.replace('"type": "person"', '"type": "person", "s": "\\ud800"', 1)
    else:
        text = text[:-1] + ', "note": "trust me"}'
    path = tmp_path / "proof.json"
    path.write_text(text)
    checked = check_proof(copy.deepcopy(verified["public pdf"]), path)
    assert not checked.ok
    assert {issue.code for issue in checked.issues} <= {"proof.invalid", "proof.record-mismatch"}


def _add_source(records: Path, source_id: str, text: str) -> None:
    import hashlib

    document = text.encode()
    _write(records, f"sources/{source_id}.txt", text)
    _write(records, f"sources/{source_id}.yaml", f"id: {source_id}\ntype: source\ntitle: A statement read at the "
           f"rally\nfile: {source_id}.txt\nsha256: {hashlib.sha256(document).hexdigest()}\nmedia_type: text/plain\n"
           "language: en\ncapture:\n  kind: other\n  description: A test document.\n  publisher_url: unknown\n"
           "  captured_on: unknown\n")


def test_a_public_record_citing_a_withheld_source_whose_id_names_the_protected_is_an_error(records: Path):
    """Issue 17: ids carry names. A public person cites a statement withheld because it names a protected
    person, and the statement's id names her: the id would be published in the person's record."""
    restrict(records, "persons", "volha-paulava")
    _add_source(records, "paulava-statement", "Read at the rally by Volha Paulava and Pavel Latushka.\n")
    person = records / "persons" / "pavel-latushka.yaml"
    person.write_text(person.read_text().replace("sources:\n", "sources:\n  - paulava-statement\n", 1))
    report = validate_records("records")
    assert report.restricted["sources/paulava-statement.yaml"] == "its document's text names person volha-paulava"
    found = [issue for issue in report.errors if issue.code == "access.id-names-restricted"]
    assert [(issue.file, issue.pointer) for issue in found] == [("records/persons/pavel-latushka.yaml", "/sources/0")]
    assert found[0].line and found[0].hint
    # Named so that it names no one, the statement may be cited: it is withheld, and only its leaf is published.
    for suffix in ("txt", "yaml"):
        (records / "sources" / f"paulava-statement.{suffix}").rename(records / "sources" / f"rally-statement.{suffix}")
    statement = records / "sources" / "rally-statement.yaml"
    statement.write_text(statement.read_text().replace("paulava-statement", "rally-statement"))
    person.write_text(person.read_text().replace("paulava-statement", "rally-statement"))
    assert validate_records("records").ok


@pytest.mark.parametrize("text", ["Read at the rally by Volha Pau-\nlava and Pavel Latushka.\n",
                                  "Read at the rally by Volha Pau\u00adlava and Pavel Latushka.\n",
                                  "Read at the rally by Volha\u200bPaulava and Pavel Latushka.\n",
                                  "Read at the rally by Volha&nbsp;Paulava and Pavel Latushka.\n"],
                         ids=["hyphenated-across-a-line-end", "soft-hyphen", "zwsp", "nbsp-reference"])
def test_a_source_text_naming_the_protected_in_disguise_is_withheld(records: Path, text: str):
    restrict(records, "persons", "volha-paulava")
    _add_source(records, "rally-statement", text)
    report = validate_records("records")
    assert report.restricted.get("sources/rally-statement.yaml", "").startswith("its document's text names person"), \
        report.restricted


def test_an_invisible_or_reordering_character_in_a_comment_is_an_error(records: Path):
    """Found by an attacker of issue 17: a right-to-left override in a comment shows "vorazA rednaxelA" as the
    name; values refused such characters, comments (published with the file) did not."""
    restrict(records, "persons", "alexander-azarov")
    person = records / "persons" / "anatoly-latushka.yaml"
    lines = person.read_text().count("\n")
    person.write_text(person.read_text() + "# \u202evorazA rednaxelA\n")
    found = [issue for issue in validate_records("records").errors if issue.code == "text.invisible-char"]
    assert [(issue.file, issue.line, issue.column) for issue in found] == [
        ("records/persons/anatoly-latushka.yaml", lines + 1, 3)]


def test_a_given_name_alone_is_no_ones_and_a_source_document_that_is_not_text_only_warns(records: Path):
    """No false alarms (found by an attacker of issue 17): a public text naming Tsar Alexander II, or the river
    Volha, does not give away Alexander Azarov or Volha Paulava; a capture that is not text makes its quotes
    unverifiable, which is a warning."""
    restrict(records, "persons", "alexander-azarov")
    restrict(records, "persons", "volha-paulava")
    person = records / "persons" / "anatoly-latushka.yaml"
    person.write_text(person.read_text() + "archivist_note: Named after Tsar Alexander II; born on the Volha.\n")
    data = b"%PDF-1.7 a capture"
    (records / "sources" / "scan.pdf").write_bytes(data)
    _write(records, "sources/scan.yaml", "id: scan\ntype: source\ntitle: A scan\nfile: scan.pdf\nsha256: "
           f"{__import__('hashlib').sha256(data).hexdigest()}\nmedia_type: Application/PDF\nlanguage: en\ncapture:\n"
           "  kind: scan\n  description: A test document.\n  publisher_url: unknown\n  captured_on: unknown\n")
    report = validate_records("records")
    assert report.ok, report.errors


@pytest.mark.parametrize("media_type, data", [
    ("application/json", b'{"speaker": "Volha Paulava", "words": "..."}'),
    ("application/xhtml+xml", b"<p>Read by <b>Volha Pau</b>lava.</p>"),
    ("text/plain; charset=utf-16", "Read by Volha Paulava.".encode("utf-16")),
    ("message/rfc822", b"From: a@example.org\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                       b"Content-Transfer-Encoding: quoted-printable\n\nRead by =56olha =50aulava.\n"),
    ("message/rfc822", b"From: a@example.org\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                       b"Content-Transfer-Encoding: base64\n\nUmVhZCBieSBWb2xoYSBQYXVsYXZhLgo=\n"),
], ids=["json", "xhtml", "utf-16-text", "quoted-printable-mail", "base64-mail"])
def test_a_document_naming_the_protected_is_withheld_whatever_its_media_type(records: Path, media_type: str,
                                                                             data: bytes):
    """Found by an attacker of issue 17: only text/* documents were searched for names."""
    import hashlib

    restrict(records, "persons", "volha-paulava")
    (records / "sources" / "statement.dat").write_bytes(data)
    _write(records, "sources/statement.yaml", f"id: statement\ntype: source\ntitle: A statement\nfile: statement.dat\n"
           f"sha256: {hashlib.sha256(data).hexdigest()}\nmedia_type: {media_type}\nlanguage: en\ncapture:\n"
           "  kind: other\n  description: A test document.\n  publisher_url: unknown\n  captured_on: unknown\n")
    report = validate_records("records")
    assert report.restricted.get("sources/statement.yaml", "").startswith("its document's text names"), \
        report.restricted


def test_a_public_edition_with_every_appeal_restricted_is_refused(records: Path, tmp_path: Path):
    """Found by an attacker of issue 17: it crashed the public build with a traceback."""
    appeal = records / "appeals" / "appeal-of-belarusians-to-the-eu.yaml"
    appeal.write_text(appeal.read_text().replace("type: appeal\n", "type: appeal\naccess: restricted\n", 1))
    result = CliRunner().invoke(main, ["build", "records", "--edition", "public", "--unsigned", "--out",
                                       str(tmp_path / "public")])
    assert result.exit_code == 1 and "error[build.nothing-public]" in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "public").exists()


def test_a_comment_of_many_soft_hyphens_is_read_in_linear_time(records: Path):
    """Found by an attacker of issue 17: 100,000 soft hyphens in one comment took 47 s (the hyphenation search
    was quadratic); it is refused (an invisible character in a comment) at once."""
    import time

    restrict(records, "persons", "volha-paulava")
    person = records / "persons" / "anatoly-latushka.yaml"
    person.write_text(person.read_text() + "# a" + "\u00ad" * 100_000 + "x\n")
    started = time.perf_counter()
    report = validate_records("records")
    assert "text.invisible-char" in {issue.code for issue in report.errors}
    assert time.perf_counter() - started < 10  # 47 s before; a second or so now
