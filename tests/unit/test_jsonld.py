"""The JSON-LD bundle as researchers' tools see it: offline, lossless on expansion, IRIs only, stable,
answering docs/linked-data.md's questions, and conforming to the SHACL shapes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pyshacl
import pytest
import rdflib
from conftest import REAL_RECORDS, REPO, dossier_of
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.records.validate import load_record_set
from appeal_archive.views.jsonld import VOCAB, bundle_bytes

SHAPES = REPO / "schema" / "shapes.ttl"
VOCABULARY = REPO / "schema" / "vocab.ttl"


def no_network(url, options=None):
    raise jsonld.JsonLdError(f"the tests refuse to fetch {url}", "jsonld.LoadDocumentError",
                             code="loading document failed")


OFFLINE = {"documentLoader": no_network}


def bundle_of(records: Path = REAL_RECORDS) -> bytes:
    return bundle_bytes(dossier_of(records))


@pytest.fixture(scope="module")
def bundle() -> dict:
    return json.loads(bundle_of())


@pytest.fixture(scope="module")
def graph(bundle) -> rdflib.Graph:
    return rdflib.Graph().parse(data=json.dumps(bundle), format="json-ld")


def test_pyld_expands_compacts_and_canonicalizes_offline_and_agrees_with_rdflib(bundle, graph):
    expanded = jsonld.expand(bundle, OFFLINE)
    compacted = jsonld.compact(expanded, bundle["@context"], OFFLINE)
    assert jsonld.expand(compacted, OFFLINE) == expanded
    nquads = jsonld.normalize(bundle, {**OFFLINE, "algorithm": "URDNA2015", "format": "application/n-quads"})
    from_pyld = rdflib.Graph().parse(data=nquads, format="nquads")
    assert len(from_pyld) == len(graph) > 400
    # Language tags are case-insensitive in RDF; pyld writes them in lower case (be-cyrl), rdflib as given.
    assert isomorphic(lower_language_tags(from_pyld), lower_language_tags(graph))


def lower_language_tags(graph: rdflib.Graph) -> rdflib.Graph:
    result = rdflib.Graph()
    for subject, predicate, obj in graph:
        if isinstance(obj, rdflib.Literal) and obj.language:
            obj = rdflib.Literal(str(obj), lang=obj.language.lower())
        result.add((subject, predicate, obj))
    return result


def test_expansion_drops_nothing(bundle):
    """pyld silently drops keys the context does not map: count every value before and after."""
    def values(node: dict) -> int:
        return sum(len(value) if isinstance(value, list) else 1 for key, value in node.items() if key != "@id")

    expanded = {node["@id"]: node for node in jsonld.expand(bundle, OFFLINE)}
    assert len(expanded) == len(bundle["@graph"])
    for node in bundle["@graph"]:
        iri = urljoin(bundle["@context"]["@base"], node["@id"])
        assert values(expanded[iri]) == values(node), node["@id"]
    used = {key for node in bundle["@graph"] for key in node}
    assert used - {"@id", "@type"} <= set(bundle["@context"])


def test_every_subject_and_object_node_is_an_absolute_iri(graph):
    for subject, _, obj in graph:
        assert isinstance(subject, rdflib.URIRef) and str(subject).startswith("https://")
        assert not isinstance(obj, rdflib.BNode)


def test_strings_carry_language_tags(graph):
    names = {str(name): name.language for name in graph.objects(predicate=rdflib.URIRef("https://schema.org/alternateName"))}
    assert names["Павел Латушка"] == "be-Cyrl" and names["Александр Лукашенко"] == "ru-Cyrl"
    assert all(text.language == "en" for text in graph.objects(predicate=rdflib.URIRef(VOCAB + "asPrinted")))


def test_every_project_term_is_defined_in_the_vocabulary(graph):
    vocabulary = rdflib.Graph().parse(VOCABULARY)
    label, comment = rdflib.RDFS.label, rdflib.RDFS.comment
    used = {term for triple in graph for term in triple
            if isinstance(term, rdflib.URIRef) and str(term).startswith(VOCAB)}
    assert len(used) > 20
    for term in used:
        assert (term, label, None) in vocabulary and (term, comment, None) in vocabulary, term


def test_bundle_is_stable_and_the_base_iri_changes_only_iris(tmp_path: Path):
    import shutil

    first = bundle_of()
    assert bundle_of() == first
    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    archive = tmp_path / "records/archive.yaml"
    archive.write_text(archive.read_text().replace("https://w3id.org/appeal-archive/id/", "https://example.org/museum/"))
    moved = bundle_of(tmp_path / "records")
    assert moved != first
    assert moved.decode().replace("https://example.org/museum/",
                                  "https://w3id.org/appeal-archive/id/") == first.decode()


@pytest.mark.parametrize("base", ["https://example.org/museum/", "https://example.org/q?set=1/",
                                  "https://example.org/a/../museum/", "https://example.org/./museum/"])
def test_record_iris_resolve_to_the_base_and_the_record_whatever_the_base(tmp_path: Path, base: str):
    """IRIs are written relative to @base only where RFC 3986 resolves them to <base><folder>/<id>; rdflib,
    resolving them as a researcher's tool does, finds every record under the base as it is written."""
    import shutil

    shutil.copytree(REAL_RECORDS, tmp_path / "records")
    archive = tmp_path / "records/archive.yaml"
    archive.write_text(archive.read_text().replace("https://w3id.org/appeal-archive/id/", base))
    data = bundle_of(tmp_path / "records")
    graph = rdflib.Graph().parse(data=data, format="json-ld")
    person = rdflib.URIRef(base + "persons/anatoly-latushka")
    assert (person, RDF.type, rdflib.URIRef("https://schema.org/Person")) in graph
    subjects = {str(subject) for subject in graph.subjects() if "/persons/" in str(subject)}
    assert subjects and all(subject.startswith(base + "persons/") for subject in subjects)
    assert ('"@base"' in data.decode()) == (base == "https://example.org/museum/")


LINKED_DATA_PAGE = REPO / "docs" / "linked-data.md"


def page_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", LINKED_DATA_PAGE.read_text(encoding="utf-8"), re.S)


def rows(graph: rdflib.Graph, query: str) -> list[tuple]:
    return [tuple(None if value is None else value.toPython() for value in row) for row in graph.query(query)]


def test_page_queries_answer_the_researchers_questions(graph):
    who, rallies, demands, addressees, provenance = page_queries()[:5]
    signed = rows(graph, who)
    assert [row[0] for row in signed][:3] == [1, 2, 2]
    assert signed[0][1:] == ("Initiative group of former political prisoners in Belarus, Head Aliaksandr Kabanau, "
                             "former political prisoner", "Aliaksandr Kabanau", "Head")
    assert (5, "Representative of the People's Embassy of Belarus to Poland", "People's Embassy of Belarus to Poland",
            "Representative of the People's Embassy of Belarus to Poland") in signed
    assert {row[0] for row in signed} == set(range(1, 9))
    assert [(row[1], row[2], str(row[3]), row[4], row[5], row[6]) for row in rows(graph, rallies)] == [
        ("Warsaw", "PL", "2023-05-21", 1000, "more-than", "more than 1,000 participants in the demonstration"),
        ("Vilnius", "LT", "2023-05-21", 300, "about", "about 300 participants"),
        ("London", "GB", "2023-05-21", 60, "exact", "60 people")]
    listed = rows(graph, demands)
    assert [row[0] for row in listed] == [1, 2, 3, 4, 5]
    assert listed[3][1].startswith("Create a special international tribunal") and "Lukashenka regime" in listed[3][1]
    assert [row[1] for row in rows(graph, addressees)] == [
        "European Commission", "European External Action Service", "EU Governments",
        "Governments of Poland, Lithuania, Latvia", "U.S. Department of State"]
    derived = rows(graph, provenance)
    manifest = {entry["path"]: entry["sha256"] for entry in make_manifest(load_record_set(REAL_RECORDS)[1])["records"]}
    assert len(derived) == len(manifest)  # every record derives from the source (its own record included)
    for path, sha256, _source, source_sha256 in derived:
        assert manifest[path] == sha256
        assert source_sha256 == "c33cacb0477b1b5288045d92395bbfcc228573f9a3d23d40efcacf5468ec4671"


def test_page_queries_answer_a_lawyers_questions_without_text_search(graph):
    former, sentenced, relatives, cabinet = page_queries()[5:9]
    # Entry 2 says "brother of political prisoner Anatoly Latushka": a text search for "political prisoner"
    # finds it too; the facts do not confuse the brother with the prisoner.
    assert rows(graph, former) == [("Aliaksandr Kabanau", "former political prisoner")]
    assert rows(graph, sentenced) == [("Pavel Latushka", "imprisonment", 18, "years", True,
                                       "sentenced to 18 years of imprisonment (in absentia)")]
    assert rows(graph, relatives) == [("Pavel Latushka", "sibling", "Anatoly Latushka")]
    assert rows(graph, cabinet) == [
        ("Alexander Azarov", "Representative of the United Transitional Cabinet of Belarus for the restoration of "
                             "law and order"),
        ("Alina Kouszyk", "Representative of the United Transitional Cabinet for National Revival"),
        ("Pavel Latushka", "Representative of the United Transitional Cabinet of Belarus on the transit of power")]
    anatoly = rdflib.URIRef("https://w3id.org/appeal-archive/id/persons/anatoly-latushka")
    assert (None, rdflib.URIRef(VOCAB + "status"), rdflib.URIRef(VOCAB + "PoliticalPrisoner")) in graph
    assert any(graph.triples((None, rdflib.URIRef("https://schema.org/about"), anatoly)))


def test_the_pages_mapping_lists_every_term_of_the_context():
    from appeal_archive.views.jsonld import CONTEXT

    table = LINKED_DATA_PAGE.read_text(encoding="utf-8").split("| records | JSON-LD |", 1)[1].split("\n\n", 1)[0]
    terms = {value if isinstance(value, str) else value.get("@id") or value.get("@reverse")
             for key, value in CONTEXT.items() if key not in ("schema", "prov", "xsd", "aa")}
    assert sorted(term for term in terms if f"`{term}`" not in table) == []


def test_a_json_ld_1_0_processor_reads_the_bundle_as_a_1_1_processor_does(bundle):
    """No @version: the context uses nothing JSON-LD 1.1 added, so 1.0 processors are not shut out."""
    assert "@version" not in bundle["@context"]
    old = jsonld.expand(bundle, {**OFFLINE, "processingMode": "json-ld-1.0"})
    new = jsonld.expand(bundle, {**OFFLINE, "processingMode": "json-ld-1.1"})
    assert old == new and len(old) == len(bundle["@graph"])


def test_the_bundle_conforms_to_the_shacl_shapes(graph):
    conforms, _, text = pyshacl.validate(graph, shacl_graph=rdflib.Graph().parse(SHAPES))
    assert conforms, text


def required_properties(shapes: rdflib.Graph) -> list[tuple]:
    """(shape, target classes, path) of every property a shape requires (sh:minCount or sh:qualifiedMinCount 1
    or more)."""
    found = []
    for shape in set(shapes.subjects(SH.targetClass, None)):
        targets = set(shapes.objects(shape, SH.targetClass))
        for property_shape in shapes.objects(shape, SH.property):
            least = shapes.value(property_shape, SH.minCount) or shapes.value(property_shape, SH.qualifiedMinCount)
            if int(least or 0) >= 1:
                found.append((shape, targets, shapes.value(property_shape, SH.path)))
    return found


def test_each_shape_catches_each_required_property_removed(graph):
    """Every shape can fail: take each required property away from one node the shape targets, in turn."""
    shapes = rdflib.Graph().parse(SHAPES)
    required = required_properties(shapes)
    assert len({shape for shape, _, _ in required}) == len(set(shapes.subjects(SH.targetClass, None))) >= 14
    for shape, targets, path in required:
        focus = next(node for target in sorted(targets) for node in sorted(graph.subjects(RDF.type, target)))
        broken = copy.deepcopy(graph)
        inverse = shapes.value(path, SH.inversePath) if isinstance(path, rdflib.BNode) else None
        if inverse is not None:
            broken.remove((None, inverse, focus))
        else:
            broken.remove((focus, path, None))
        conforms, report, _ = pyshacl.validate(broken, shacl_graph=shapes, focus_nodes=[focus], use_shapes=[shape])
        assert not conforms, (shape, path)
        caught = {(report.value(result, SH.focusNode), report.value(result, SH.sourceShape))
                  for result in report.subjects(RDF.type, SH.ValidationResult)}
        assert any(node == focus for node, _ in caught), (shape, path, focus)


def test_record_hashes_and_root_are_in_the_bundle(bundle):
    manifest = make_manifest(load_record_set(REAL_RECORDS)[1])
    stated = {node["recordPath"]: node["recordSha256"] for node in bundle["@graph"] if "recordPath" in node}
    assert stated == {entry["path"]: entry["sha256"] for entry in manifest["records"]}
    assert [node["rootHash"] for node in bundle["@graph"] if "rootHash" in node] == [manifest["root"]]


SCALE = 500  # signatories: a set at scale, as rdflib and pyld meet it; bench/run.py --jsonld measures 10k


@pytest.mark.slow
def test_a_large_set_parses_and_canonicalizes(tmp_path: Path):
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    import generate

    data = bundle_of(generate.write(SCALE, tmp_path / "records"))
    graph = rdflib.Graph().parse(data=data, format="json-ld")
    nquads = jsonld.normalize(json.loads(data), {**OFFLINE, "algorithm": "URDNA2015", "format": "application/n-quads"})
    assert len(graph) == nquads.count("\n") > 20 * SCALE


def test_one_node_per_line_sorted_by_iri_with_sorted_keys():
    data = bundle_of()
    document = json.loads(data)
    lines = data.decode().split('  "@graph": [\n', 1)[1].splitlines()[:-2]
    assert len(lines) == len(document["@graph"])
    for line, node in zip(lines, document["@graph"], strict=True):
        assert json.loads(line.strip().rstrip(",")) == node
        assert line.strip().rstrip(",") == json.dumps(node, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert [node["@id"] for node in document["@graph"]] == sorted(node["@id"] for node in document["@graph"])
