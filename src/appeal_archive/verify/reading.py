"""One reading of what the updates after the signature wrote: what verify judges is what every reader shows.

verify judges the file through pyHanko's reader; PDF readers read it through their own (poppler, pdf.js, qpdf,
pypdf). Where two readers could read an update differently, a forger shows one of them something else than
the other judges (found by an attacker: an update's cross-reference table listing the catalog twice, which
pyHanko reads as its last entry and poppler, qpdf and pypdf as its first). So, after the signature:
- every cross-reference section names each object once: a table lists no object twice, a stream's
  subsections do not overlap (pyHanko refuses those itself), and no section is hybrid (`/XRefStm`), whose
  precedence rules readers apply differently;
- every object an update wrote reads the same in qpdf (pikepdf) as in pyHanko, value for value, a stream's
  bytes as stored.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import IO

from pyhanko.pdf_utils import generic

from .judgement import MODIFIED, Change


def reading_changes(stream: IO[bytes], reader, older: int) -> list[Change]:
    """Where the revisions after `older` may be read in more than one way; empty when there is one reading."""
    try:
        changes = _ambiguous_sections(stream, reader, older)
        return changes or _readers_disagree(stream, reader, older)
    except Exception as error:  # noqa: BLE001 - an update that cannot be read twice the same cannot be judged
        return [Change(MODIFIED, f"an update cannot be read ({type(error).__name__}: {str(error)[:120]})")]


def _ambiguous_sections(stream: IO[bytes], reader, older: int) -> list[Change]:
    from pyhanko.pdf_utils.xref import XRefSectionType, parse_xref_table

    changes = []
    for revision in range(older + 1, reader.xrefs.total_revisions):
        section = reader.xrefs.get_xref_container_info(revision)
        if section.xref_section_type in (XRefSectionType.HYBRID_MAIN, XRefSectionType.HYBRID_STREAM):
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


def _readers_disagree(stream: IO[bytes], reader, older: int) -> list[Change]:
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
        dictionary = {str(key): _as_read_by_qpdf(value.stream_dict[key], False) for key in value.stream_dict.keys()}
        return ("stream", dictionary, bytes(value.read_raw_bytes()))
    if isinstance(value, pikepdf.Dictionary):
        return {str(key): _as_read_by_qpdf(value[key], False) for key in value.keys()}
    if isinstance(value, pikepdf.Array):
        return [_as_read_by_qpdf(item, False) for item in value]
    if isinstance(value, pikepdf.Name):
        return ("name", str(value))
    if isinstance(value, pikepdf.String):
        return ("string", bytes(value))
    if isinstance(value, bool) or value is None:
        return ("value", value)
    return ("number", _number(value))
