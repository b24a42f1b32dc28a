"""What the updates after the signature change: the file as a reader shows it (its last revision) against the
file as it was signed. Only signatures, validation data (the /DSS) and time stamps may have been added.

A PDF signed at PAdES B-LTA is the rendering (revision 0), then the signing update, then updates adding
validation data and document time stamps, more each time it is renewed. Anyone can make such an update (a
document time stamp needs no key of the signer's), so what they changed is judged as a whole, not one
update at a time: an object may be written unreferenced in one update and put to use in another.

Every object the newer revision reaches through what an update may change is *adopted* into a role (the
catalog's /Metadata, the /DSS's certificates, a page's /Annots, ...), and adopted only when it is a new
object or the very object that held the same role in the older revision (`_Judgement.adopt`): an update
cannot make a signed object (a page's content stream, say) serve as metadata or validation data, so no
rewrite of it is ever accounted for. What may change in each role is then judged: the catalog's new keys
(layout.UPDATE_CATALOG_KEYS), new invisible signature widgets in the form's fields and a page's annotations,
their signature dictionaries, the /DSS tree (data streams only, never fewer than before), the document
information's producer and date, and the XMP metadata (compared property by property, `xmp_changes`). A new
object nothing adopts is ignored (no reader reaches it); one that was signed and is now different is a change.

pyHanko's own difference analysis runs beside this as a floor (pades.py): a file it refuses is refused,
however this allow-list judges it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils import generic

from .. import layout

# What pyHanko writes as a producer: the earlier one (if any), then its own name and version.
_PRODUCER = re.compile(r"(?:.{1,200}; )?pyHanko \d+(?:\.\d+){1,3}")
_PDF_DATE = re.compile(r"D:\d{4}(?:\d{2}){0,5}(?:[Z+-](?:\d{2}'?(?:\d{2}'?)?)?)?")


def _plain(value):
    """A PDF value with references as (number, generation), comparable across revisions."""
    if isinstance(value, generic.IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, generic.DictionaryObject):
        return {str(key): _plain(value.raw_get(key)) for key in value}
    if isinstance(value, generic.ArrayObject):
        return [_plain(value.raw_get(index)) for index in range(len(value))]
    return value


def _ref(value):
    return value.reference if isinstance(value, generic.IndirectObject) else None


def _get(container, key):
    """A dictionary's raw value at `key`, or None (also when the container is not a dictionary)."""
    return container.raw_get(key) if isinstance(container, generic.DictionaryObject) and key in container else None


def _items(array) -> list:
    """An array's raw values (references unresolved), or none when it is not an array."""
    return [array.raw_get(index) for index in range(len(array))] if isinstance(array, generic.ArrayObject) else []


MODIFIED = "sig.modified-after-signing"
REMOVED = "sig.validation-data-removed"


@dataclass(frozen=True)
class Change:
    """One thing the updates changed beyond what they may: the code verify reports it under, and a sentence."""

    code: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class _Judgement:
    """One comparison: the older revision's objects, the newer's, what was written in between."""

    older: object  # pyHanko's historical resolvers
    newer: object
    written: set  # references written after the older revision (rewritten or new)
    introduced: set  # of those, the ones that did not exist in the older revision
    validation_data_only: bool
    accepted: set = field(default_factory=set)
    problems: list[Change] = field(default_factory=list)

    def is_new(self, ref) -> bool:
        return ref in self.introduced

    def changed(self, ref) -> bool:
        return ref in self.written

    def problem(self, text: str, code: str = MODIFIED) -> None:
        self.problems.append(Change(code, text))

    def adopt(self, value, before, role: str):
        """`value`, found in the newer revision in `role`, resolved: when it is a direct value, a new object, or
        one of `before` (the values that held the same role in the older revision), which is then accounted
        for; otherwise None, and the problem is recorded. A signed object never changes its role."""
        ref = _ref(value)
        if ref is None:
            return value
        if not (self.is_new(ref) or ref in {_ref(old) for old in before if old is not None}):
            self.problem(f"{role} is object {ref.idnum}, which was signed as "
                         f"{_signed_kind(self.older.get_object(ref))}")
            return None
        self.accepted.add(ref)
        return self.newer.get_object(ref)

    def older_object(self, value):
        """What `value` (a value of the older revision) resolves to there."""
        ref = _ref(value)
        return self.older.get_object(ref) if ref is not None else value


def changes_between(reader, older: int, newer: int, validation_data_only: bool = False) -> list[Change]:
    """What revision `newer` of the PDF shows that revision `older` did not, beyond signatures, validation data
    and time stamps (with `validation_data_only`, beyond validation data), and any validation data `older` held
    that `newer` lost; empty when nothing."""
    try:
        return _changes_between(reader, older, newer, validation_data_only)
    except Exception as error:  # noqa: BLE001 - an update that cannot be read cannot be shown harmless
        return [Change(MODIFIED, f"an update cannot be read ({type(error).__name__}: {str(error)[:120]})")]


def _changes_between(reader, older: int, newer: int, validation_data_only: bool) -> list[Change]:
    xrefs = reader.xrefs
    written, freed, containers = set(), [], set()
    for revision in range(older + 1, newer + 1):
        written |= set(xrefs.explicit_refs_in_revision(revision))
        freed += list(xrefs.refs_freed_in_revision(revision))
        stream = xrefs.get_xref_container_info(revision).stream_ref
        if stream is not None:
            containers.add(stream)
    judgement = _Judgement(reader.get_historical_resolver(older), reader.get_historical_resolver(newer),
                           written, {ref for ref in written if xrefs.get_introducing_revision(ref) > older},
                           validation_data_only, accepted=set(containers))
    for ref in freed:
        judgement.problem(f"object {ref.idnum} is deleted")
    numbered = int(judgement.older.trailer_view.get("/Size", 0))
    for ref in sorted(judgement.introduced - containers, key=lambda ref: (ref.idnum, ref.generation)):
        if ref.idnum < numbered:  # a reader may take it for the signed object of that number
            judgement.problem(f"object {ref.idnum} is written again as generation {ref.generation}, under a number "
                              "the signed revision used")
    _trailer(judgement)
    for ref in sorted(written - judgement.accepted, key=lambda ref: (ref.idnum, ref.generation)):
        if not judgement.is_new(ref):
            judgement.problem(f"object {ref.idnum} ({_signed_kind(judgement.older.get_object(ref))}) is rewritten")
        # Anything new that nothing adopted is an orphan (or a container of other objects, each judged on its
        # own): no reader reaches it.
    return list(dict.fromkeys(judgement.problems))


def _signed_kind(obj) -> str:
    if isinstance(obj, generic.DictionaryObject) and "/Type" in obj:
        return str(obj["/Type"])[1:]
    return type(obj).__name__.removesuffix("Object").lower()


def _trailer(judgement: _Judgement) -> None:
    old, new = judgement.older.trailer_view, judgement.newer.trailer_view
    if _plain(old.raw_get("/Root")) != _plain(new.raw_get("/Root")):
        judgement.problem("the document catalog is replaced")
        return
    if "/Encrypt" in new and "/Encrypt" not in old:
        judgement.problem("the file is encrypted by an update")
    _info(judgement, _get(old, "/Info"), _get(new, "/Info"))
    root = new.raw_get("/Root")
    judgement.adopt(root, [old.raw_get("/Root")], "the document catalog")
    _catalog(judgement, judgement.older.get_object(_ref(root)), judgement.newer.get_object(_ref(root)))
    _pages(judgement)


def _info(judgement: _Judgement, old_value, new_value) -> None:
    """The document information may gain or change only the producer pyHanko writes and a modification date."""
    if new_value is None:
        return
    ref = _ref(new_value)
    if ref is not None and not judgement.changed(ref) and _plain(old_value) == _plain(new_value):
        return
    new = judgement.adopt(new_value, [old_value], "the document information")
    if new is None:
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    if not isinstance(new, generic.DictionaryObject) or not isinstance(old, generic.DictionaryObject):
        judgement.problem("the document information is not a dictionary")
        return
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)):
            continue
        value = str(new.get(key, "")) if key in new else None
        earlier = str(old[key]) if key in old else None
        producer = key == "/Producer" and value is not None and _PRODUCER.fullmatch(value) \
            and (earlier is None or value.startswith(earlier + "; "))
        dated = key == "/ModDate" and value is not None and _PDF_DATE.fullmatch(value)
        if not (producer or dated):
            judgement.problem(f"the document information's {key} is changed")


def _catalog(judgement: _Judgement, old, new) -> None:
    """The catalog may change only in its allowed keys, each value then judged by what it is for."""
    allowed = (layout.UPDATE_CATALOG_KEYS_VALIDATION_DATA if judgement.validation_data_only
               else layout.UPDATE_CATALOG_KEYS)
    for key in sorted(set(old) | set(new)):
        unchanged = key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)) \
            and not (_ref(new.raw_get(key)) and judgement.changed(_ref(new.raw_get(key))))
        if unchanged:
            continue
        if key not in allowed:
            judgement.problem(f"the catalog's {key} is changed")
            continue
        if key not in new:
            judgement.problem(f"the catalog's {key} is removed", REMOVED if key == "/DSS" else MODIFIED)
            continue
        check = {"/AcroForm": _acroform, "/DSS": _dss, "/Extensions": _extensions, "/Version": _version,
                 "/Metadata": _metadata}[key]
        check(judgement, _get(old, key), new.raw_get(key))


def _version(judgement: _Judgement, _old, new) -> None:
    if not (isinstance(new, generic.NameObject) and re.fullmatch(r"/[12]\.\d", str(new))):
        judgement.problem("the catalog's /Version is not a PDF version")


def _extensions(judgement: _Judgement, old_value, new_value) -> None:
    """Developer extensions (PAdES's /ESIC): a dictionary of dictionaries of a base version and a level, written
    out in full (no references)."""
    extensions = judgement.adopt(new_value, [old_value], "the catalog's /Extensions")
    if extensions is None:
        return
    if not isinstance(extensions, generic.DictionaryObject):
        judgement.problem("the catalog's /Extensions is not a dictionary")
        return
    old = judgement.older_object(old_value)
    for name in extensions:
        entry = judgement.adopt(extensions.raw_get(name), [_get(old, name)], f"the catalog's /Extensions {name}")
        if entry is None:
            continue
        if not (isinstance(entry, generic.DictionaryObject) and set(entry) <= {"/Type", "/BaseVersion",
                                                                              "/ExtensionLevel", "/URL"}
                and not any(isinstance(entry.raw_get(key), generic.IndirectObject) for key in entry)):
            judgement.problem(f"the catalog's /Extensions {name} is not a developer extension")


def _metadata(judgement: _Judgement, old_value, new_value) -> None:
    """The XMP metadata stream; its properties are compared on their own (`xmp_changes`)."""
    stream = judgement.adopt(new_value, [old_value], "the catalog's /Metadata")
    if stream is None:
        return
    if not (isinstance(stream, generic.StreamObject) and stream.get("/Type") == "/Metadata"
            and set(stream) <= {"/Type", "/Subtype", "/Length", "/Filter", "/DecodeParms"}
            and not any(isinstance(stream.raw_get(key), generic.IndirectObject) for key in stream)):
        judgement.problem("the catalog's /Metadata is not an XMP metadata stream")


def _acroform(judgement: _Judgement, old_value, new_value) -> None:
    """The form may gain signature fields (and its /SigFlags); each new field is a new invisible widget."""
    new = judgement.adopt(new_value, [old_value], "the catalog's /AcroForm")
    if new is None:
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    if not isinstance(new, generic.DictionaryObject) or not isinstance(old, generic.DictionaryObject):
        judgement.problem("the catalog's /AcroForm is not a dictionary")
        return
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)) and key != "/Fields":
            continue
        if key not in layout.UPDATE_ACROFORM_KEYS:
            judgement.problem(f"the form's {key} is changed")
    if "/SigFlags" in new and not isinstance(new.raw_get("/SigFlags"), int):
        judgement.problem("the form's /SigFlags is not a number")
    _signature_entries(judgement, _get(old, "/Fields"), _get(new, "/Fields"), "the form's /Fields")


def _signature_entries(judgement: _Judgement, old_value, new_value, where: str) -> None:
    """An array (the form's fields, a page's annotations) that may only gain new signature widgets."""
    if new_value is None:
        if old_value is not None:
            judgement.problem(f"{where} is removed")
        return
    new = judgement.adopt(new_value, [old_value], where)
    if new is None:
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.ArrayObject()
    if not isinstance(new, generic.ArrayObject) or not isinstance(old, generic.ArrayObject):
        judgement.problem(f"{where} is not an array")
        return
    before, after = [_plain(entry) for entry in _items(old)], _items(new)
    if [_plain(entry) for entry in after[:len(before)]] != before:
        judgement.problem(f"{where} lose or reorder entries")
        return
    for entry in after[len(before):]:
        _signature_widget(judgement, entry, where)


def _signature_widget(judgement: _Judgement, value, where: str) -> None:
    """A new, invisible signature widget: no appearance, no action, on a page that was signed."""
    ref = _ref(value)
    if ref is None or not judgement.is_new(ref):
        judgement.problem(f"{where} gains an entry that is not a new signature field")
        return
    widget = judgement.adopt(value, [], where)
    if not isinstance(widget, generic.DictionaryObject) or widget.get("/FT") != "/Sig" \
            or widget.get("/Subtype") != "/Widget":
        judgement.problem(f"{where} gains object {ref.idnum}, which is not a signature widget")
        return
    extra = sorted(set(widget) - layout.UPDATE_WIDGET_KEYS)
    if extra:
        judgement.problem(f"the signature widget {ref.idnum} holds {', '.join(extra)}")
    rect = widget.get("/Rect")
    if not (isinstance(rect, generic.ArrayObject) and len(rect) == 4
            and all(isinstance(number, (int, float)) and not isinstance(number, bool) and number == 0
                    for number in rect)):
        judgement.problem(f"the signature widget {ref.idnum} is not invisible (its /Rect is not four zeros)")
    page = _ref(_get(widget, "/P"))
    if page is not None and not (not judgement.is_new(page) and _is_page(judgement.older.get_object(page))):
        judgement.problem(f"the signature widget {ref.idnum} lies on a page that was not signed")
    _refers_to_new_objects_only(judgement, widget, f"the signature widget {ref.idnum}", "/P", "/V")
    if "/V" in widget:
        _signature_dictionary(judgement, widget.raw_get("/V"))


def _is_page(obj) -> bool:
    return isinstance(obj, generic.DictionaryObject) and obj.get("/Type") == "/Page"


def _refers_to_new_objects_only(judgement: _Judgement, obj, what: str, *but: str) -> None:
    """A new object may refer to no signed object (save in the keys `but`, judged where they are read): an
    update cannot give a signed object a part in what it adds."""
    pending = [obj.raw_get(key) for key in obj if key not in but]
    while pending:
        value = pending.pop()
        ref = _ref(value)
        if ref is not None:
            if not judgement.is_new(ref):
                judgement.problem(f"{what} refers to object {ref.idnum}, which was signed as "
                                  f"{_signed_kind(judgement.older.get_object(ref))}")
        elif isinstance(value, generic.DictionaryObject):
            pending += [value.raw_get(key) for key in value]
        elif isinstance(value, generic.ArrayObject):
            pending += _items(value)


def _signature_dictionary(judgement: _Judgement, value) -> None:
    ref = _ref(value)
    if ref is None or not judgement.is_new(ref):
        judgement.problem("a new signature field's value is not a new signature")
        return
    signature = judgement.adopt(value, [], "a new signature field's value")
    if not (isinstance(signature, generic.DictionaryObject) and signature.get("/Type") in ("/Sig", "/DocTimeStamp")):
        judgement.problem(f"object {ref.idnum}, a new signature field's value, is not a signature")
        return
    extra = sorted(set(signature) - layout.UPDATE_SIGNATURE_KEYS)
    if extra:
        judgement.problem(f"the signature {ref.idnum} holds {', '.join(extra)}")
    _refers_to_new_objects_only(judgement, signature, f"the signature {ref.idnum}")


def _pages(judgement: _Judgement) -> None:
    """Pages rewritten after signing may only gain signature widgets in their /Annots."""
    for ref in judgement.written - judgement.introduced:
        old = judgement.older.get_object(ref)
        if not _is_page(old):
            continue
        new = judgement.newer.get_object(ref)
        judgement.accepted.add(ref)
        if not isinstance(new, generic.DictionaryObject):
            judgement.problem(f"page object {ref.idnum} is no longer a dictionary")
            continue
        for key in sorted(set(old) | set(new)):
            if key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)):
                continue
            if key != "/Annots" or judgement.validation_data_only:
                judgement.problem(f"page object {ref.idnum}'s {key} is changed")
        if "/Annots" in new or "/Annots" in old:
            _signature_entries(judgement, _get(old, "/Annots"), _get(new, "/Annots"),
                               f"page object {ref.idnum}'s /Annots")


# --- the document security store ---------------------------------------------------------------------------

_DATA_KINDS = {"/Certs": x509.Certificate, "/Cert": x509.Certificate, "/OCSPs": ocsp.OCSPResponse,
               "/OCSP": ocsp.OCSPResponse, "/CRLs": crl.CertificateList, "/CRL": crl.CertificateList,
               "/TS": cms.ContentInfo}
_VRI_KEYS = {"/Certs": "/Cert", "/OCSPs": "/OCSP", "/CRLs": "/CRL"}  # the store's arrays, and a VRI entry's


def _dss(judgement: _Judgement, old_value, new_value) -> None:
    """The document security store: certificates, CRLs and OCSP responses (streams), and VRI entries. It may
    only grow: what the older revision held (and a document time stamp may cover) stays, unchanged."""
    dss = judgement.adopt(new_value, [old_value], "the catalog's /DSS")
    if dss is None:
        return
    if not isinstance(dss, generic.DictionaryObject) or not set(dss) <= layout.UPDATE_DSS_KEYS:
        judgement.problem("the /DSS is not a document security store")
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    old_vri = judgement.older_object(_get(old, "/VRI"))
    old_entries = {name: judgement.older_object(old_vri.raw_get(name)) for name in old_vri} \
        if isinstance(old_vri, generic.DictionaryObject) else {}
    # A data stream's role is its kind: pyHanko files one certificate under /Certs and under VRI entries' /Cert.
    held = {key: [*_items(judgement.older_object(_get(old, key))),
                  *(item for entry in old_entries.values() for item in _items(judgement.older_object(_get(entry, short))))]
            for key, short in _VRI_KEYS.items()}
    held["/TS"] = [_get(entry, "/TS") for entry in old_entries.values()]
    for key in _VRI_KEYS:
        found = _data_streams(judgement, _get(old, key), _get(dss, key), held[key], f"the /DSS {key}", _DATA_KINDS[key])
        _lost(judgement, _items(judgement.older_object(_get(old, key))), found, f"the /DSS {key}")
    vri = judgement.adopt(_get(dss, "/VRI"), [_get(old, "/VRI")], "the /DSS /VRI") if "/VRI" in dss else None
    if "/VRI" in dss and not isinstance(vri, generic.DictionaryObject):
        if vri is not None:
            judgement.problem("the /DSS /VRI is not a dictionary")
        return
    vri = vri if vri is not None else generic.DictionaryObject()
    for name in sorted(set(old_entries) - set(vri)):
        judgement.problem(f"the /DSS /VRI entry {name} is removed", REMOVED)
    for name in vri:
        old_entry = old_entries.get(name, generic.DictionaryObject())
        entry = judgement.adopt(vri.raw_get(name), [_get(old_vri, name)], f"the /DSS /VRI entry {name}")
        if entry is None:
            continue
        if not isinstance(entry, generic.DictionaryObject) or not set(entry) <= layout.UPDATE_VRI_KEYS:
            judgement.problem(f"the /DSS /VRI entry {name} is not a VRI dictionary")
            continue
        for key, array_key in (("/Cert", "/Certs"), ("/OCSP", "/OCSPs"), ("/CRL", "/CRLs"), ("/TS", "/TS")):
            where = f"the /DSS /VRI entry {name}'s {key}"
            if key == "/TS":
                before = [_get(old_entry, key)]
                found = _data_stream(judgement, _get(entry, key), held[key], where, _DATA_KINDS[key]) \
                    if key in entry else []
            else:
                before = _items(judgement.older_object(_get(old_entry, key)))
                found = _data_streams(judgement, _get(old_entry, key), _get(entry, key), held[array_key], where,
                                      _DATA_KINDS[key])
            _lost(judgement, before, found, where)


def _lost(judgement: _Judgement, before: list, after: list, where: str) -> None:
    """Validation data the older revision held under `where` and the newer does not."""
    kept = {_ref(value) for value in after}
    lost = [ref for ref in (_ref(value) for value in before if value is not None) if ref not in kept]
    if lost:
        judgement.problem(f"{where} no longer holds object {lost[0].idnum}"
                          f"{f' and {len(lost) - 1} more' if len(lost) > 1 else ''}", REMOVED)


def _data_streams(judgement: _Judgement, old_value, value, held: list, where: str, kind) -> list:
    """An array of validation data; the values it holds (none when it is not there or not an array)."""
    if value is None:
        return []
    array = judgement.adopt(value, [old_value], where)
    if array is None:
        return []
    if not isinstance(array, generic.ArrayObject):
        judgement.problem(f"{where} is not an array")
        return []
    return [found for item in _items(array) for found in _data_stream(judgement, item, held, where, kind)]


def _data_stream(judgement: _Judgement, value, held: list, where: str, kind) -> list:
    """Validation data: one DER structure of its kind in a stream, either the very stream that held such data
    in the older revision, unchanged, or a new one. The value, as a list of what it holds."""
    ref = _ref(value)
    if ref is None:
        judgement.problem(f"{where} holds something other than a stream")
        return []
    if judgement.adopt(value, held, where) is None:
        return []
    if not judgement.is_new(ref):
        if judgement.changed(ref):
            judgement.problem(f"{where} holds object {ref.idnum}, which is rewritten", REMOVED)
        return [value]
    stream = judgement.newer.get_object(ref)
    if not isinstance(stream, generic.StreamObject) or not _is_der(kind, stream.data):
        judgement.problem(f"{where} holds object {ref.idnum}, which is not a {kind.__name__} in DER")
    return [value]


def _is_der(kind, data: bytes) -> bool:
    try:
        kind.load(data, strict=True).native  # noqa: B018 (parses every field, not only the outer one)
    except (ValueError, TypeError):
        return False
    return True


# --- the XMP metadata, property by property -----------------------------------------------------------------

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


def all_update_changes(stream: IO[bytes]) -> dict[int, list[str]]:
    """For a test or a recipient's script: what each update changes beyond the allow-list, by revision."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stream.seek(0)
    reader = PdfFileReader(stream, strict=True)
    return {revision: changes_between(reader, revision - 1, revision)
            for revision in range(1, reader.xrefs.total_revisions)}
