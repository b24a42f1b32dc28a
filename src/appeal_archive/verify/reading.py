"""One reading of the file: what verify judges (through pyHanko's reader) is what every reader shows.

PDF readers read a file through their own parsers (poppler, pdf.js, qpdf, pypdf). Where two could read it
differently, a forger shows one of them something else than the other judges. Attackers found three ways: an
update's cross-reference table listing the catalog twice (pyHanko reads the last entry, poppler, qpdf and pypdf
the first), a second `startxref` on the last line (pyHanko and pypdf take one, qpdf and poppler the other), and
an offset that pyHanko's int() reads (`0_00185851`) while qpdf and poppler, finding the table damaged,
rebuild it by scanning for objects. So:
- the file ends as one update does: its last cross-reference section, then `startxref`, that section's offset
  in plain digits and `%%EOF`, once;
- qpdf (pikepdf) opens it without a warning (nothing repaired, nothing rebuilt) and places every object, at
  its number and generation, where pyHanko does: the same offset, or the same place in the same object stream;
- after the signature, every cross-reference section names each object once: a table lists no object twice,
  a stream's subsections do not overlap (pyHanko refuses those itself), and no section is hybrid (`/XRefStm`),
  whose precedence rules readers apply differently; and no update stores objects in an object stream, whose
  header offsets poppler counts from another place than pyHanko and qpdf do (pyHanko's own updates never do);
- every object an update wrote reads the same in qpdf as in pyHanko, value for value, a stream's bytes as
  stored.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import BinaryIO

from pyhanko.pdf_utils import generic

from appeal_archive.verify.judgement import MODIFIED, Change


def reading_changes(stream: BinaryIO, reader, older: int) -> list[Change]:
    """Where the file, or the revisions after `older`, may be read in more than one way; empty when there is one
    reading."""
    try:
        return _tail_problems(stream, reader) or _ambiguous_sections(stream, reader, older) or \
            _tables_differ(stream, reader) or _readers_disagree(stream, reader, older)
    except Exception as error:  # noqa: BLE001 - what cannot be read twice the same cannot be judged
        return [Change(MODIFIED, f"the file cannot be read as one ({type(error).__name__}: {str(error)[:120]})")]


_LAST_SECTION = 64 << 20  # a last cross-reference section, and its trailer, are never larger
_END = re.compile(rb"startxref\r?\n([0-9]+)\r?\n%%EOF\r?\n?")


def _tail_problems(stream: BinaryIO, reader) -> list[Change]:
    """The last update, from its cross-reference section to the end, names one offset: `startxref`, the
    section's offset in plain digits, `%%EOF`, and nothing after."""
    start = reader.xrefs.get_startxref_for_revision(reader.xrefs.total_revisions - 1)
    stream.seek(start)
    section = stream.read(_LAST_SECTION + 1)
    end = _END.search(section) if len(section) <= _LAST_SECTION else None
    if section.count(b"startxref") != 1 or end is None or end.end() != len(section) or int(end.group(1)) != start:
        return [Change(MODIFIED, "the file does not end as an update does (startxref, the offset of its last "
                       "cross-reference section in digits, and %%EOF, once): readers would look for its last update "
                       "in different places")]
    return []


def _place(location) -> tuple | None:
    from pyhanko.pdf_utils.xref import ObjStreamRef

    if location is None:
        return None
    if isinstance(location, ObjStreamRef):
        return ("in object stream", location.obj_stream_id, location.ix_in_stream)
    return ("at offset", location)


def _tables_differ(stream: BinaryIO, reader) -> list[Change]:
    """qpdf opens the file without repairing it, and places every object where pyHanko does."""
    import pikepdf

    xrefs = reader.xrefs
    last = xrefs.total_revisions - 1
    ours = {}
    for revision in range(xrefs.total_revisions):
        for ref in xrefs.explicit_refs_in_revision(revision):
            place = _place(xrefs.get_historical_ref(ref, last))
            if place is not None:
                ours[ref.idnum, ref.generation] = place
    stream.seek(0)
    with pikepdf.open(stream) as pdf:
        warnings = pdf.get_warnings()
        theirs = {key: ("at offset", entry.offset) if entry.type == 1 else
                  ("in object stream", entry.obj_stream_number, entry.obj_stream_index)
                  for key, entry in pdf.get_xref_table().items() if entry.type in (1, 2)}
    if warnings:
        return [Change(MODIFIED, f"qpdf must repair the file to read it ({warnings[0].split(': ', 1)[-1][:120]}): "
                       "readers would show what no one judged")]
    differing = sorted(key for key in set(ours) | set(theirs) if ours.get(key) != theirs.get(key))
    if differing:
        number, generation = differing[0]
        return [Change(MODIFIED, f"qpdf and pyHanko read object {number} {generation} from different places "
                       f"({theirs.get(differing[0], 'nowhere')} against {ours.get(differing[0], 'nowhere')}): readers "
                       "would show what no one judged")]
    return []


def _ambiguous_sections(stream: BinaryIO, reader, older: int) -> list[Change]:
    from pyhanko.pdf_utils.xref import XRefSectionType, parse_xref_table

    changes = []
    xrefs = reader.xrefs
    for revision in range(older + 1, xrefs.total_revisions):
        section = xrefs.get_xref_container_info(revision)
        if xrefs.object_streams_used_in(revision):
            changes.append(Change(MODIFIED, f"update {revision} stores objects in an object stream, whose layout "
                                  "readers read differently (pyHanko and qpdf from /First, poppler from the stream's "
                                  "start); updates after the signature store their objects plainly"))
        elif section.xref_section_type in (XRefSectionType.HYBRID_MAIN, XRefSectionType.HYBRID_STREAM):
            changes.append(Change(MODIFIED, f"update {revision} has a hybrid cross-reference section (/XRefStm), "
                                  "which readers resolve in different orders"))
        elif section.xref_section_type == XRefSectionType.STANDARD:
            stream.seek(section.start_location)
            listed = Counter(entry.idnum for entry in parse_xref_table(stream, strict=True))
            twice = sorted(number for number, count in listed.items() if count > 1)
            if twice:
                changes.append(Change(MODIFIED, f"update {revision}'s cross-reference table lists object "
                                      f"{twice[0]} {listed[twice[0]]} times: readers take different entries"))
    return changes


def _readers_disagree(stream: BinaryIO, reader, older: int) -> list[Change]:
    import pikepdf

    xrefs = reader.xrefs
    written, containers = set(), set()
    for revision in range(older + 1, xrefs.total_revisions):
        written |= set(xrefs.explicit_refs_in_revision(revision)) - set(xrefs.refs_freed_in_revision(revision))
        containers |= {ref.idnum for ref in xrefs.object_streams_used_in(revision)}
        if xrefs.get_xref_container_info(revision).stream_ref is not None:
            containers.add(xrefs.get_xref_container_info(revision).stream_ref.idnum)
    if not written:
        return []
    newest = reader.get_historical_resolver(xrefs.total_revisions - 1)
    stream.seek(0)
    with pikepdf.open(stream) as pdf:
        for ref in sorted(written, key=lambda ref: (ref.idnum, ref.generation)):
            if ref.idnum in containers:
                continue  # a container of other objects: each of them is compared
            if _as_read_by_pyhanko(newest.get_object(ref)) != _as_read_by_qpdf(pdf.get_object(ref.idnum,
                                                                                                ref.generation)):
                return [Change(MODIFIED, f"object {ref.idnum}, written after the signature, reads otherwise in qpdf "
                               "than in pyHanko: readers would show something else than what is judged")]
    return []


def _number(value) -> Decimal:
    return Decimal(str(value)).normalize()


def _as_read_by_pyhanko(value):
    if isinstance(value, generic.IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, generic.StreamObject):
        return ("stream", _as_read_by_pyhanko(generic.DictionaryObject(value)), bytes(value.encoded_data))
    if isinstance(value, generic.DictionaryObject):
        return {str(key): _as_read_by_pyhanko(value.raw_get(key)) for key in value}
    if isinstance(value, generic.ArrayObject):
        return [_as_read_by_pyhanko(value.raw_get(index)) for index in range(len(value))]
    if isinstance(value, generic.NameObject):
        return ("name", str(value))
    if isinstance(value, (generic.TextStringObject, generic.ByteStringObject)):
        return ("string", bytes(value.original_bytes))
    if isinstance(value, generic.BooleanObject) or value is None or isinstance(value, generic.NullObject):
        return ("value", bool(value) if isinstance(value, generic.BooleanObject) else None)
    return ("number", _number(value))


def _as_read_by_qpdf(value, top: bool = True):
    import pikepdf

    if not top and getattr(value, "is_indirect", False):
        return ("ref", *value.objgen)
    if isinstance(value, pikepdf.Stream):
        dictionary = {str(key): _as_read_by_qpdf(item, False) for key, item in value.stream_dict.items()}
        return ("stream", dictionary, bytes(value.read_raw_bytes()))
    if isinstance(value, pikepdf.Dictionary):
        return {str(key): _as_read_by_qpdf(item, False) for key, item in value.items()}
    if isinstance(value, pikepdf.Array):
        return [_as_read_by_qpdf(item, False) for item in value]
    if isinstance(value, pikepdf.Name):
        return ("name", str(value))
    if isinstance(value, pikepdf.String):
        return ("string", bytes(value))
    if isinstance(value, bool) or value is None:
        return ("value", value)
    return ("number", _number(value))
