"""What the updates after the signature change: the file as a reader shows it (its last revision) against the
file as it was signed. Only signatures, validation data (the /DSS) and time stamps may have been added.

A PDF signed at PAdES B-LTA is the rendering (revision 0), then the signing update, then updates adding
validation data and document time stamps, more each time it is renewed. Anyone can make such an update (a
document time stamp needs no key of the signer's), so what they changed is judged as a whole, not one
update at a time: an object may be written unreferenced in one update and put to use in another.

Every object the newer revision reaches through what an update may change is *adopted* into a role (the
catalog's /Metadata, the /DSS's certificates, a page's /Annots, ...), and adopted only when it is a new
object or the very object that held the same role in the older revision (`Judgement.adopt`): an update
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
from typing import BinaryIO

from pyhanko.pdf_utils import generic

from appeal_archive import layout
from appeal_archive.verify.judgement import (
    MODIFIED,
    REMOVED,
    Change,
    Judgement,
    get,
    items,
    plain,
    ref_of,
    signed_kind,
)
from appeal_archive.verify.store import judge_store

# What pyHanko writes as a producer: the earlier one (if any), then its own name and version.
_PRODUCER = re.compile(r"(?:.{1,200}; )?pyHanko \d+(?:\.\d+){1,3}")
_PDF_DATE = re.compile(r"D:\d{4}(?:\d{2}){0,5}(?:[Z+-](?:\d{2}'?(?:\d{2}'?)?)?)?")


def changes_since(reader, older: int, validation_data_only: bool = False) -> list[Change]:
    """What the revisions after `older` show beyond what updates may add (see `changes_between`). Each is judged
    against `older` as a whole (an object may be written unreferenced in one update and put to use in another),
    and against the revision just before it: an update that a later one undoes was made all the same, and what
    one update takes away (a time stamp's field, validation data) is gone even if another adds its like."""
    changes: list[Change] = []
    for newer in range(older + 1, reader.xrefs.total_revisions):
        for base in dict.fromkeys((older, newer - 1)):
            changes += [change for change in changes_between(reader, base, newer, validation_data_only)
                        if change not in changes]
    return changes


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
    judgement = Judgement(reader.get_historical_resolver(older), reader.get_historical_resolver(newer),
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
            judgement.problem(f"object {ref.idnum} ({signed_kind(judgement.older.get_object(ref))}) is rewritten")
        # Anything new that nothing adopted is an orphan (or a container of other objects, each judged on its
        # own): no reader reaches it.
    return list(dict.fromkeys(judgement.problems))


def _trailer(judgement: Judgement) -> None:
    old, new = judgement.older.trailer_view, judgement.newer.trailer_view
    if plain(old.raw_get("/Root")) != plain(new.raw_get("/Root")):
        judgement.problem("the document catalog is replaced")
        return
    if "/Encrypt" in new and "/Encrypt" not in old:
        judgement.problem("the file is encrypted by an update")
    _info(judgement, get(old, "/Info"), get(new, "/Info"))
    root = new.raw_get("/Root")
    judgement.adopt(root, [old.raw_get("/Root")], "the document catalog")
    _catalog(judgement, judgement.older.get_object(ref_of(root)), judgement.newer.get_object(ref_of(root)))
    _pages(judgement)


def _info(judgement: Judgement, old_value, new_value) -> None:
    """The document information may gain or change only the producer pyHanko writes and a modification date."""
    if new_value is None:
        return
    ref = ref_of(new_value)
    if ref is not None and not judgement.changed(ref) and plain(old_value) == plain(new_value):
        return
    new = judgement.adopt(new_value, [old_value], "the document information")
    if new is None:
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    if not isinstance(new, generic.DictionaryObject) or not isinstance(old, generic.DictionaryObject):
        judgement.problem("the document information is not a dictionary")
        return
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and plain(old.raw_get(key)) == plain(new.raw_get(key)):
            continue
        value = str(new.get(key, "")) if key in new else None
        earlier = str(old[key]) if key in old else None
        producer = key == "/Producer" and value is not None and _PRODUCER.fullmatch(value) \
            and (earlier is None or value.startswith(earlier + "; "))
        dated = key == "/ModDate" and value is not None and _PDF_DATE.fullmatch(value)
        if not (producer or dated):
            judgement.problem(f"the document information's {key} is changed")


def _catalog(judgement: Judgement, old, new) -> None:
    """The catalog may change only in its allowed keys, each value then judged by what it is for."""
    allowed = (layout.UPDATE_CATALOG_KEYS_VALIDATION_DATA if judgement.validation_data_only
               else layout.UPDATE_CATALOG_KEYS)
    for key in sorted(set(old) | set(new)):
        unchanged = key in old and key in new and plain(old.raw_get(key)) == plain(new.raw_get(key)) \
            and not (ref_of(new.raw_get(key)) and judgement.changed(ref_of(new.raw_get(key))))
        if unchanged:
            continue
        if key not in allowed:
            judgement.problem(f"the catalog's {key} is changed")
            continue
        if key not in new:
            judgement.problem(f"the catalog's {key} is removed", REMOVED if key == "/DSS" else MODIFIED)
            continue
        check = {"/AcroForm": _acroform, "/DSS": judge_store, "/Extensions": _extensions, "/Version": _version,
                 "/Metadata": _metadata}[key]
        check(judgement, get(old, key), new.raw_get(key))


def _version(judgement: Judgement, _old, new) -> None:
    if not (isinstance(new, generic.NameObject) and re.fullmatch(r"/[12]\.\d", str(new))):
        judgement.problem("the catalog's /Version is not a PDF version")


def _extensions(judgement: Judgement, old_value, new_value) -> None:
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
        entry = judgement.adopt(extensions.raw_get(name), [get(old, name)], f"the catalog's /Extensions {name}")
        if entry is None:
            continue
        if not (isinstance(entry, generic.DictionaryObject) and set(entry) <= {"/Type", "/BaseVersion",
                                                                              "/ExtensionLevel", "/URL"}
                and not any(isinstance(entry.raw_get(key), generic.IndirectObject) for key in entry)):
            judgement.problem(f"the catalog's /Extensions {name} is not a developer extension")


def _metadata(judgement: Judgement, old_value, new_value) -> None:
    """The XMP metadata stream; its properties are compared on their own (`xmp_changes`)."""
    stream = judgement.adopt(new_value, [old_value], "the catalog's /Metadata")
    if stream is None:
        return
    if not (isinstance(stream, generic.StreamObject) and stream.get("/Type") == "/Metadata"
            and set(stream) <= {"/Type", "/Subtype", "/Length", "/Filter", "/DecodeParms"}
            and not any(isinstance(stream.raw_get(key), generic.IndirectObject) for key in stream)):
        judgement.problem("the catalog's /Metadata is not an XMP metadata stream")


def _acroform(judgement: Judgement, old_value, new_value) -> None:
    """The form may gain signature fields (and its /SigFlags); each new field is a new invisible widget."""
    new = judgement.adopt(new_value, [old_value], "the catalog's /AcroForm")
    if new is None:
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    if not isinstance(new, generic.DictionaryObject) or not isinstance(old, generic.DictionaryObject):
        judgement.problem("the catalog's /AcroForm is not a dictionary")
        return
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and plain(old.raw_get(key)) == plain(new.raw_get(key)) and key != "/Fields":
            continue
        if key not in layout.UPDATE_ACROFORM_KEYS:
            judgement.problem(f"the form's {key} is changed")
    if "/SigFlags" in new and not isinstance(new.raw_get("/SigFlags"), int):
        judgement.problem("the form's /SigFlags is not a number")
    _signature_entries(judgement, get(old, "/Fields"), get(new, "/Fields"), "the form's /Fields")


def _signature_entries(judgement: Judgement, old_value, new_value, where: str) -> None:
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
    before, after = [plain(entry) for entry in items(old)], items(new)
    if [plain(entry) for entry in after[:len(before)]] != before:
        judgement.problem(f"{where} lose or reorder entries")
        return
    for entry in after[len(before):]:
        _signature_widget(judgement, entry, where)


def _signature_widget(judgement: Judgement, value, where: str) -> None:
    """A new, invisible signature widget: no appearance, no action, on a page that was signed."""
    ref = ref_of(value)
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
    page = ref_of(get(widget, "/P"))
    if page is not None and not (not judgement.is_new(page) and _is_page(judgement.older.get_object(page))):
        judgement.problem(f"the signature widget {ref.idnum} lies on a page that was not signed")
    _refers_to_new_objects_only(judgement, widget, f"the signature widget {ref.idnum}", "/P", "/V")
    if "/V" in widget:
        _signature_dictionary(judgement, widget.raw_get("/V"))


def _is_page(obj) -> bool:
    return isinstance(obj, generic.DictionaryObject) and obj.get("/Type") == "/Page"


def _refers_to_new_objects_only(judgement: Judgement, obj, what: str, *but: str) -> None:
    """A new object may refer to no signed object (save in the keys `but`, judged where they are read): an
    update cannot give a signed object a part in what it adds."""
    pending = [obj.raw_get(key) for key in obj if key not in but]
    while pending:
        value = pending.pop()
        ref = ref_of(value)
        if ref is not None:
            if not judgement.is_new(ref):
                judgement.problem(f"{what} refers to object {ref.idnum}, which was signed as "
                                  f"{signed_kind(judgement.older.get_object(ref))}")
        elif isinstance(value, generic.DictionaryObject):
            pending += [value.raw_get(key) for key in value]
        elif isinstance(value, generic.ArrayObject):
            pending += items(value)


def _signature_dictionary(judgement: Judgement, value) -> None:
    ref = ref_of(value)
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


def _pages(judgement: Judgement) -> None:
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
            if key in old and key in new and plain(old.raw_get(key)) == plain(new.raw_get(key)):
                continue
            if key != "/Annots" or judgement.validation_data_only:
                judgement.problem(f"page object {ref.idnum}'s {key} is changed")
        if "/Annots" in new or "/Annots" in old:
            _signature_entries(judgement, get(old, "/Annots"), get(new, "/Annots"),
                               f"page object {ref.idnum}'s /Annots")


def all_update_changes(stream: BinaryIO) -> dict[int, list[Change]]:
    """For a test or a recipient's script: what each update changes beyond the allow-list, by revision."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stream.seek(0)
    reader = PdfFileReader(stream, strict=True)
    return {revision: changes_between(reader, revision - 1, revision)
            for revision in range(1, reader.xrefs.total_revisions)}
