"""SPARQL queries prepared once per test process.

pyshacl (inside roc-validator) hands rdflib the same SPARQL text for every focus node,
and rdflib parses and translates it each time: 80% of a roc-validator run. rdflib's own prepared queries
(`prepareQuery`, evaluated with each call's bindings) are the documented way to run one query many times, so
the judges' verdicts do not change; only the parsing is done once per text, base and namespaces. pyshacl
writes a query's PREFIX lines in an order that changes from run to run; their order means nothing in SPARQL,
so they are sorted before the text is looked up."""

from __future__ import annotations

import contextlib
import functools

from rdflib.plugins.sparql import processor


@functools.lru_cache(maxsize=1024)
def _prepared(text: str, base: str | None, namespaces: frozenset) -> object:
    return processor.prepareQuery(text, initNs=dict(namespaces), base=base)


def _prefixes_sorted(text: str) -> str:
    """The query with its leading PREFIX lines sorted and each written once, when that cannot change what it
    means: no BASE among them, and no prefix declared twice with different IRIs."""
    lines = text.strip().splitlines()
    count = next((index for index, line in enumerate(lines)
                  if line.strip() and not line.lstrip().upper().startswith("PREFIX ")), len(lines))
    declared = {line.strip() for line in lines[:count] if line.strip()}
    if len({" ".join(line.split(":", 1)[0].split()[1:]) for line in declared}) != len(declared):  # the labels
        return text
    return "\n".join(sorted(declared) + lines[count:])


@contextlib.contextmanager
def prepared_once():
    """Within this block, each SPARQL query string is parsed and translated once."""
    original = processor.SPARQLProcessor.query

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803
        if isinstance(strOrQuery, str):
            strOrQuery = _prepared(_prefixes_sorted(strOrQuery), base, frozenset((initNs or {}).items()))
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original
