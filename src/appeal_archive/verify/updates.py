"""What the updates after the signature change: the file as a reader shows it (its last revision) against the
file as it was signed. Only signatures, validation data (the /DSS) and time stamps may have been added.

A PDF signed at PAdES B-LTA is the rendering (revision 0), then the signing update, then updates adding
validation data and document time stamps, more each time it is renewed. Anyone can make such an update (a
document time stamp needs no key of the signer's), so what they changed is judged as a whole, not one
update at a time: an object may be written unreferenced in one update and put to use in another. Every
object written after the signature must be accounted for by where the last revision refers to it, never by
what it says it is: the catalog's new keys (layout.UPDATE_CATALOG_KEYS), new invisible signature widgets in
the form's fields and a page's annotations, their signature dictionaries, the /DSS tree (data streams
only), the document information's producer and date, and the XMP metadata (compared property by property,
`xmp_changes`). An object written after signing that nothing refers to is ignored; one that was signed and
is now different, anywhere else, is a change. This stands in for pyHanko's difference analysis, which reads
every object of the file (25 s and 200 MB more at 100,000 signatories) and allows more (form filling,
annotations); `pyhanko sign validate` runs that for those who want it.
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


@dataclass
class _Judgement:
    """One comparison: the older revision's objects, the newer's, what was written in between."""

    reader: object
    older: object  # pyHanko's historical resolvers
    newer: object
    written: set  # references written after the older revision (rewritten or new)
    introduced: set  # of those, the ones that did not exist in the older revision
    validation_data_only: bool
    accepted: set = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def is_new(self, ref) -> bool:
        return ref in self.introduced

    def changed(self, ref) -> bool:
        return ref in self.written

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def accept(self, value) -> None:
        ref = _ref(value)
        if ref is not None:
            self.accepted.add(ref)


def changes_between(reader, older: int, newer: int, validation_data_only: bool = False) -> list[str]:
    """What revision `newer` of the PDF shows that revision `older` did not, beyond signatures, validation data
    and time stamps (with `validation_data_only`, beyond validation data), as sentences; empty when nothing."""
    try:
        return _changes_between(reader, older, newer, validation_data_only)
    except Exception as error:  # noqa: BLE001 - an update that cannot be read cannot be shown harmless
        return [f"an update cannot be read ({type(error).__name__}: {str(error)[:120]})"]


def _changes_between(reader, older: int, newer: int, validation_data_only: bool) -> list[str]:
    xrefs = reader.xrefs
    written, freed, containers = set(), [], set()
    for revision in range(older + 1, newer + 1):
        written |= set(xrefs.explicit_refs_in_revision(revision))
        freed += list(xrefs.refs_freed_in_revision(revision))
        stream = xrefs.get_xref_container_info(revision).stream_ref
        if stream is not None:
            containers.add(stream)
    judgement = _Judgement(reader, reader.get_historical_resolver(older), reader.get_historical_resolver(newer),
                           written, {ref for ref in written if xrefs.get_introducing_revision(ref) > older},
                           validation_data_only, accepted=set(containers))
    judgement.problems += [f"object {ref.idnum} is deleted" for ref in freed]
    _trailer(judgement)
    for ref in sorted(written - judgement.accepted, key=lambda ref: (ref.idnum, ref.generation)):
        if not judgement.is_new(ref):
            judgement.problem(f"object {ref.idnum} ({_signed_kind(judgement.older.get_object(ref))}) is rewritten")
        elif _object_stream(judgement.newer.get_object(ref)):
            continue  # a container of other objects, each judged on its own
        # Anything else new that nothing accepted refers to is an orphan: no reader reaches it.
    return judgement.problems


def _object_stream(obj) -> bool:
    return isinstance(obj, generic.StreamObject) and obj.get("/Type") == "/ObjStm"


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
    _info(judgement, old.raw_get("/Info") if "/Info" in old else None, new.raw_get("/Info") if "/Info" in new else None)
    _catalog(judgement, new.raw_get("/Root"))
    _pages(judgement)


def _info(judgement: _Judgement, old_value, new_value) -> None:
    """The document information may gain or change only the producer pyHanko writes and a modification date."""
    if new_value is None:
        return
    ref = _ref(new_value)
    if ref is not None and not judgement.changed(ref) and _plain(old_value) == _plain(new_value):
        return
    if ref is not None and not (judgement.is_new(ref) or _ref(old_value) == ref):
        judgement.problem(f"the document information is object {ref.idnum}, which was signed as something else")
        return
    judgement.accept(new_value)
    old = judgement.older.get_object(_ref(old_value)) if _ref(old_value) else generic.DictionaryObject()
    new = new_value.get_object()
    if not isinstance(new, generic.DictionaryObject):
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


def _catalog(judgement: _Judgement, root_value) -> None:
    """The catalog may change only in its allowed keys, each value then judged by what it is for."""
    ref = _ref(root_value)
    old, new = judgement.older.get_object(ref), judgement.newer.get_object(ref)
    judgement.accept(root_value)
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
            judgement.problem(f"the catalog's {key} is removed")
            continue
        check = {"/AcroForm": _acroform, "/DSS": _dss, "/Extensions": _extensions, "/Version": _version,
                 "/Metadata": _metadata}[key]
        check(judgement, old.raw_get(key) if key in old else None, new.raw_get(key))


def _version(judgement: _Judgement, _old, new) -> None:
    if not (isinstance(new, generic.NameObject) and re.fullmatch(r"/[12]\.\d", str(new))):
        judgement.problem("the catalog's /Version is not a PDF version")


def _extensions(judgement: _Judgement, _old, new) -> None:
    """Developer extensions (PAdES's /ESIC): a dictionary of dictionaries of a base version and a level."""
    judgement.accept(new)
    extensions = new.get_object()
    if not isinstance(extensions, generic.DictionaryObject):
        judgement.problem("the catalog's /Extensions is not a dictionary")
        return
    for name in extensions:
        entry = extensions.raw_get(name)
        judgement.accept(entry)
        entry = entry.get_object()
        if not (isinstance(entry, generic.DictionaryObject) and set(entry) <= {"/Type", "/BaseVersion",
                                                                              "/ExtensionLevel", "/URL"}
                and not any(isinstance(entry.raw_get(key), generic.IndirectObject) for key in entry)):
            judgement.problem(f"the catalog's /Extensions {name} is not a developer extension")


def _metadata(judgement: _Judgement, _old, new) -> None:
    """The XMP metadata stream; its properties are compared on their own (`xmp_changes`)."""
    judgement.accept(new)
    stream = new.get_object()
    if not (isinstance(stream, generic.StreamObject) and stream.get("/Type") == "/Metadata"
            and set(stream) <= {"/Type", "/Subtype", "/Length", "/Filter", "/DecodeParms"}):
        judgement.problem("the catalog's /Metadata is not an XMP metadata stream")


def _acroform(judgement: _Judgement, old_value, new_value) -> None:
    """The form may gain signature fields (and its /SigFlags); each new field is a new invisible widget."""
    judgement.accept(new_value)
    old = old_value.get_object() if old_value is not None else generic.DictionaryObject()
    new = new_value.get_object()
    if not isinstance(new, generic.DictionaryObject):
        judgement.problem("the catalog's /AcroForm is not a dictionary")
        return
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)) and key != "/Fields":
            continue
        if key not in layout.UPDATE_ACROFORM_KEYS:
            judgement.problem(f"the form's {key} is changed")
    if "/SigFlags" in new and not isinstance(new["/SigFlags"], int):
        judgement.problem("the form's /SigFlags is not a number")
    _signature_entries(judgement, old.raw_get("/Fields") if "/Fields" in old else None,
                       new.raw_get("/Fields") if "/Fields" in new else None, "the form's /Fields")


def _signature_entries(judgement: _Judgement, old_value, new_value, where: str) -> None:
    """An array (the form's fields, a page's annotations) that may only gain new signature widgets."""
    if new_value is None:
        if old_value is not None:
            judgement.problem(f"{where} is removed")
        return
    judgement.accept(new_value)
    old = old_value.get_object() if old_value is not None else generic.ArrayObject()
    new = new_value.get_object()
    if not isinstance(new, generic.ArrayObject):
        judgement.problem(f"{where} is not an array")
        return
    before = [_plain(old.raw_get(index)) for index in range(len(old))]
    after = [new.raw_get(index) for index in range(len(new))]
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
    widget = judgement.newer.get_object(ref)
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
    page = _ref(widget.raw_get("/P")) if "/P" in widget else None
    if page is not None and judgement.is_new(page):
        judgement.problem(f"the signature widget {ref.idnum} lies on a page that was not signed")
    judgement.accepted.add(ref)
    if "/V" in widget:
        _signature_dictionary(judgement, widget.raw_get("/V"))


def _signature_dictionary(judgement: _Judgement, value) -> None:
    ref = _ref(value)
    if ref is None or not judgement.is_new(ref):
        judgement.problem("a new signature field's value is not a new signature")
        return
    signature = judgement.newer.get_object(ref)
    if not (isinstance(signature, generic.DictionaryObject) and signature.get("/Type") in ("/Sig", "/DocTimeStamp")):
        judgement.problem(f"object {ref.idnum}, a new signature field's value, is not a signature")
        return
    extra = sorted(set(signature) - layout.UPDATE_SIGNATURE_KEYS)
    if extra:
        judgement.problem(f"the signature {ref.idnum} holds {', '.join(extra)}")
    judgement.accepted.add(ref)


def _pages(judgement: _Judgement) -> None:
    """Pages rewritten after signing may only gain signature widgets in their /Annots."""
    for ref in judgement.written - judgement.introduced:
        old = judgement.older.get_object(ref)
        if not (isinstance(old, generic.DictionaryObject) and old.get("/Type") == "/Page"):
            continue
        new = judgement.newer.get_object(ref)
        judgement.accepted.add(ref)
        for key in sorted(set(old) | set(new)):
            if key in old and key in new and _plain(old.raw_get(key)) == _plain(new.raw_get(key)):
                continue
            if key != "/Annots" or judgement.validation_data_only:
                judgement.problem(f"page object {ref.idnum}'s {key} is changed")
        if "/Annots" in new or "/Annots" in old:
            _signature_entries(judgement, old.raw_get("/Annots") if "/Annots" in old else None,
                               new.raw_get("/Annots") if "/Annots" in new else None,
                               f"page object {ref.idnum}'s /Annots")


def _dss(judgement: _Judgement, _old, new) -> None:
    """The document security store: certificates, CRLs and OCSP responses (streams), and VRI entries."""
    judgement.accept(new)
    dss = new.get_object()
    if not isinstance(dss, generic.DictionaryObject) or not set(dss) <= layout.UPDATE_DSS_KEYS:
        judgement.problem("the /DSS is not a document security store")
        return
    for key in ("/Certs", "/OCSPs", "/CRLs"):
        if key in dss:
            _data_streams(judgement, dss.raw_get(key), f"/DSS {key}", _DATA_KINDS[key])
    if "/VRI" not in dss:
        return
    judgement.accept(dss.raw_get("/VRI"))
    entries = dss["/VRI"]
    if not isinstance(entries, generic.DictionaryObject):
        judgement.problem("the /DSS /VRI is not a dictionary")
        return
    for name in entries:
        judgement.accept(entries.raw_get(name))
        entry = entries[name]
        if not isinstance(entry, generic.DictionaryObject) or not set(entry) <= layout.UPDATE_VRI_KEYS:
            judgement.problem(f"the /DSS /VRI entry {name} is not a VRI dictionary")
            continue
        for key in ("/Cert", "/OCSP", "/CRL"):
            if key in entry:
                _data_streams(judgement, entry.raw_get(key), f"a VRI entry's {key}", _DATA_KINDS[key])
        if "/TS" in entry:
            _data_stream(judgement, entry.raw_get("/TS"), "a VRI entry's /TS", _DATA_KINDS["/TS"])


_DATA_KINDS = {"/Certs": x509.Certificate, "/Cert": x509.Certificate, "/OCSPs": ocsp.OCSPResponse,
               "/OCSP": ocsp.OCSPResponse, "/CRLs": crl.CertificateList, "/CRL": crl.CertificateList,
               "/TS": cms.ContentInfo}


def _data_streams(judgement: _Judgement, value, where: str, kind) -> None:
    judgement.accept(value)
    array = value.get_object()
    if not isinstance(array, generic.ArrayObject):
        judgement.problem(f"{where} is not an array")
        return
    for index in range(len(array)):
        _data_stream(judgement, array.raw_get(index), where, kind)


def _data_stream(judgement: _Judgement, value, where: str, kind) -> None:
    """Validation data: a new stream (no signed object doubles as validation data) holding one DER structure
    of its kind, nothing more."""
    ref = _ref(value)
    if ref is None:
        judgement.problem(f"{where} holds something other than a stream")
        return
    if not judgement.changed(ref):
        return  # written before: already validation data then, or a signed object nothing here changes
    if not judgement.is_new(ref) or not isinstance(judgement.newer.get_object(ref), generic.StreamObject):
        judgement.problem(f"{where} holds object {ref.idnum}, which is not new validation data")
        return
    if not _is_der(kind, judgement.newer.get_object(ref).data):
        judgement.problem(f"{where} holds object {ref.idnum}, which is not a {kind.__name__} in DER")
        return
    judgement.accepted.add(ref)


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
