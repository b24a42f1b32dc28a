"""What each incremental update after the archive's rendering changes: only signatures, validation data
(the /DSS) and time stamps may be added.

A PDF signed at PAdES B-LTA is the rendering (revision 0), then the signing update, then updates adding
validation data and document time stamps, one or more each time it is renewed. Any of those later updates
could be made by anyone (a document time stamp needs no key of the signer's), so each is held to an
allow-list: new signature fields and their dictionaries, DSS objects, and, in objects that already
existed, only the keys these updates touch (the lists are layout.py's). pyHanko's own difference analysis
judges the same updates too (pades.py); this list is stricter, and is what a test proves of every build.
"""

from __future__ import annotations

from typing import IO

from pyhanko.pdf_utils import generic

from ..layout import UPDATE_CHANGES as CHANGED
from ..layout import UPDATE_NEW_OBJECTS as NEW
from ..layout import XMP_UPDATED


def _plain(value):
    """A PDF value with references as (number, generation), comparable across revisions."""
    if isinstance(value, generic.IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, dict):
        return {str(key): _plain(value.raw_get(key)) for key in value}
    if isinstance(value, list):
        return [_plain(value.raw_get(index)) for index in range(len(value))]
    return value


def _changed_keys(old, new) -> set[str]:
    if not isinstance(old, generic.DictionaryObject) or not isinstance(new, generic.DictionaryObject):
        return {"(not a dictionary)"}
    keys = {key for key in set(old) | set(new)
            if key not in old or key not in new or _plain(old.raw_get(key)) != _plain(new.raw_get(key))}
    if isinstance(old, generic.StreamObject) and isinstance(new, generic.StreamObject) \
            and old.encoded_data != new.encoded_data:
        keys.add("stream")
    return keys


def _roles(resolver) -> dict[tuple[int, int], str]:
    """Objects named by where this revision's trailer and catalog point at them (DSS streams have no /Type)."""
    roles: dict[tuple[int, int], str] = {}

    def mark(value, role: str) -> None:
        if isinstance(value, generic.IndirectObject):
            roles[(value.idnum, value.generation)] = role

    def mark_all(array, role: str) -> None:
        for index in range(len(array)):
            mark(array.raw_get(index), role)

    trailer = resolver.trailer_view
    if "/Info" in trailer:
        mark(trailer.raw_get("/Info"), "Info")
    root = resolver.root  # this revision's catalog (the trailer's /Root resolves to the newest one)
    for key, role in (("/AcroForm", "AcroForm"), ("/DSS", "DSS"), ("/Metadata", "Metadata")):
        if key in root:
            mark(root.raw_get(key), role)
    if "/DSS" not in root:
        return roles
    dss = root["/DSS"]
    for key in ("/Certs", "/OCSPs", "/CRLs"):
        if key in dss:
            mark(dss.raw_get(key), "DSS")
            mark_all(dss[key], "DSS-data")
    if "/VRI" in dss:
        mark(dss.raw_get("/VRI"), "VRI")
        vri = dss["/VRI"]
        for key in vri:
            mark(vri.raw_get(key), "VRI")
            for data in ("/Cert", "/OCSP", "/CRL", "/TS"):
                if data in vri[key]:
                    mark_all(vri[key][data], "DSS-data")
    return roles


def _kind(ref, obj, roles: dict) -> str:
    role = roles.get((ref.idnum, ref.generation))
    if role:
        return role
    if isinstance(obj, generic.DictionaryObject):
        kind = obj.get("/Type")
        if kind == "/Annot" and obj.get("/Subtype") == "/Widget" and obj.get("/FT") == "/Sig":
            return "SigField"
        if kind in ("/Catalog", "/Page", "/Sig", "/DocTimeStamp", "/XRef", "/ObjStm", "/VRI"):
            return str(kind)[1:]
    return "other"


def update_changes(reader, revision: int, new_kinds: frozenset[str] = NEW) -> list[str]:
    """What update `revision` (1 or later) of the PDF changes beyond signatures, validation data and time
    stamps (or, with `new_kinds`, beyond adding those kinds of object), as sentences; an empty list when it
    stays within them."""
    xrefs = reader.xrefs
    now, before = reader.get_historical_resolver(revision), reader.get_historical_resolver(revision - 1)
    roles = _roles(now)
    container = xrefs.get_xref_container_info(revision).stream_ref
    changes = [f"object {ref.idnum} is deleted" for ref in xrefs.refs_freed_in_revision(revision)]
    for ref in xrefs.explicit_refs_in_revision(revision):
        new = now.get_object(ref)
        kind = "XRef" if container is not None and ref.idnum == container.idnum else _kind(ref, new, roles)
        if xrefs.get_introducing_revision(ref) == revision:
            if kind not in new_kinds or (kind == "SigField" and not _invisible(new)):
                changes.append(f"new object {ref.idnum} ({kind})")
            continue
        allowed = CHANGED.get(kind, set())
        if allowed is not None and not _changed_keys(before.get_object(ref), new) <= allowed:
            extra = sorted(_changed_keys(before.get_object(ref), new) - allowed)
            changes.append(f"object {ref.idnum} ({kind}) changed in {', '.join(extra)}")
    return changes


def _invisible(widget) -> bool:
    return all(float(value) == 0 for value in widget.get("/Rect", []))


def metadata_changes(before: dict, after: dict) -> list[str]:
    """XMP properties an update changed other than the producer and the dates pyHanko rewrites."""
    keys = (set(before) | set(after)) - XMP_UPDATED
    return sorted(key for key in keys if before.get(key) != after.get(key))


def all_update_changes(stream: IO[bytes]) -> dict[int, list[str]]:
    """For a test or a recipient's script: every update's changes beyond the allow-list, by revision."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stream.seek(0)
    reader = PdfFileReader(stream, strict=True)
    return {revision: update_changes(reader, revision) for revision in range(1, reader.xrefs.total_revisions)}
