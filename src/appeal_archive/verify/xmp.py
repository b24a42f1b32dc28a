"""The XMP metadata a reader shows against the packet that was signed, property by property: what an update
after the signature may not change, but for the properties pyHanko rewrites at each update (layout.XMP_UPDATED).
"""

from __future__ import annotations

from collections import Counter

from appeal_archive import layout

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def xmp_facts(packet: bytes) -> Counter:
    """Every value an XMP packet states, with the path of properties to it and its language, counted: what
    two packets must share for a reader to show the same metadata. Properties pyHanko rewrites at each
    update are left out."""
    from xml.etree import ElementTree

    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise ValueError("the XMP packet declares a document type")
    root = ElementTree.fromstring(packet)
    facts: Counter = Counter()
    skipped = {*layout.XMP_UPDATED, f"{_RDF}about", _XML_LANG}

    def visit(element, path: tuple[str, ...]) -> None:
        for name, value in element.attrib.items():
            if name not in skipped:
                facts[((*path, name), value, "")] += 1
        for child in element:
            if child.tag in skipped:
                continue
            step = path if child.tag.startswith(_RDF) else (*path, child.tag)
            text = (child.text or "").strip()
            if text:
                facts[(step, text, child.get(_XML_LANG, ""))] += 1
            visit(child, step)

    visit(root, ())
    return facts


def xmp_changes(signed: bytes, shown: bytes) -> list[str]:
    """The XMP properties whose values differ between the signed packet and the one readers show."""
    before, after = xmp_facts(signed), xmp_facts(shown)
    differing = (before - after) + (after - before)
    return sorted({fact[0][-1].rsplit("}", 1)[-1] if fact[0] else "(top level)" for fact in differing})
