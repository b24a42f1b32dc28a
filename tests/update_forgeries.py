"""Incremental updates generated against a signed PDF, for the differential test of verify against pyHanko.

Nothing here is a list of known attacks: the cases are every combination of a few moves over the objects the
file holds, as an attacker's tool would try them:
- re-point: each key of the catalog, the /DSS, the form, a VRI entry and the trailer's /Info at each kind of
  object the signed file holds (and an array of the DSS, the form's fields and a page's annotations at one);
- rewrite: each kind of object the signed file holds written again, once the same and once changed;
- shadow: each kind of object written again under the next generation of its number, changed;
- hybrid: an update whose table hides a changed object in a cross-reference stream (/XRefStm) only;
- twice: an update whose table lists an object twice, the changed body first or last (readers take different
  entries: found by an attacker).
Each case is the whole file with one update appended, written by hand (an xref table, as any tool may);
`time_stamped` then adds what anyone can: a document time stamp over it, from a trusted authority.
"""

from __future__ import annotations

import asyncio
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf


@dataclass(frozen=True)
class Forgery:
    name: str
    data: bytes


@dataclass(frozen=True)
class _Object:
    number: int
    generation: int
    body: bytes  # as PDF syntax, references unresolved
    is_stream: bool


def _kind(obj) -> str:
    """What an object is, for choosing one of each kind: its /Type and /Subtype, or its Python shape."""
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        parts = [str(obj.get("/Type", "")), str(obj.get("/Subtype", "")), str(obj.get("/FT", ""))]
        if not any(parts) and "/ByteRange" in obj:
            parts = ["/Sig"]
        shape = "stream" if isinstance(obj, pikepdf.Stream) else "dictionary"
        return f"{shape}{''.join(parts)}" + ("+kids" if "/Kids" in obj else "")
    return type(obj).__name__


def representatives(data: bytes) -> list[_Object]:
    """One object of each kind the file holds (the first by number), read from its newest revision."""
    chosen: dict[str, _Object] = {}
    with pikepdf.open(io.BytesIO(data)) as document:
        for obj in document.objects:
            if not obj.is_indirect:
                continue
            kind = _kind(obj)
            if kind in chosen or kind.startswith("stream/ObjStm") or kind.startswith("stream/XRef"):
                continue
            number, generation = obj.objgen
            if isinstance(obj, pikepdf.Stream):
                content = obj.read_raw_bytes()
                dictionary = obj.stream_dict.unparse(resolved=True)
                body = dictionary[:-2] + b" /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
                # the dictionary may name the /Length elsewhere: it is given here whole
                body = re.sub(rb"/Length \d+ \d+ R", b"", body, count=1)
            else:
                body = obj.unparse(resolved=True)
            chosen[kind] = _Object(number, generation, body, isinstance(obj, pikepdf.Stream))
    return list(chosen.values())


def _trailer_facts(data: bytes) -> tuple[int, int, int, int | None, int]:
    """(/Size, catalog number, startxref of the newest revision, /Info number, catalog generation)."""
    tail = data[-2048:]
    startxref = int(re.findall(rb"startxref\s+(\d+)", tail)[-1])
    with pikepdf.open(io.BytesIO(data)) as document:
        trailer = document.trailer
        info = trailer.get("/Info")
        return (int(trailer.Size), document.Root.objgen[0], startxref,
                info.objgen[0] if info is not None and info.is_indirect else None, document.Root.objgen[1])


def appended(data: bytes, objects: dict[tuple[int, int], bytes], info: int | None = -1,
             hybrid: dict[int, bytes] | None = None, facts: tuple | None = None,
             twice: tuple[int, int, bytes, bytes] | None = None) -> bytes:
    """`data` with one update: `objects` maps (number, generation) to bodies; `info` the trailer's /Info
    (-1: as before). With `hybrid`, those objects are reachable only through a cross-reference stream the
    update's trailer names as /XRefStm (a hybrid-reference file)."""
    size, root, startxref, old_info, root_generation = facts or _trailer_facts(data)
    body, offsets = bytearray(), {}
    for (number, generation), content in sorted(objects.items()):
        offsets[(number, generation)] = len(data) + len(body)
        body += b"%d %d obj\n" % (number, generation) + content + b"\nendobj\n"
    size = max(size, *(number + 1 for number, _ in objects)) if objects else size
    extra = b""
    if hybrid:
        hidden = {}
        for number, content in sorted(hybrid.items()):
            hidden[number] = len(data) + len(body)
            body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
        stream_number = max(size, *(number + 1 for number in hybrid))
        rows = b"".join(b"\x01" + offset.to_bytes(4, "big") + b"\x00" for _, offset in sorted(hidden.items()))
        index = b" ".join(b"%d 1" % number for number in sorted(hidden))
        packed = zlib.compress(rows)
        stream_offset = len(data) + len(body)
        body += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Index [%s] /Filter /FlateDecode /Length %d >>\n"
                 b"stream\n" % (stream_number, stream_number + 1, index, len(packed))
                 + packed + b"\nendstream\nendobj\n")
        offsets[(stream_number, 0)] = stream_offset
        size = stream_number + 1
        extra = b" /XRefStm %d" % stream_offset
    entries = [(number, generation, offset) for (number, generation), offset in sorted(offsets.items())]
    if twice:  # (number, generation, first body, last body): two subsections of the table list the one object
        number, generation = twice[:2]
        for content in twice[2:]:
            entries.append((number, generation, len(data) + len(body)))
            body += b"%d %d obj\n" % (number, generation) + content + b"\nendobj\n"
    table = b"xref\n0 1\n0000000000 65535 f \n" + b"".join(
        b"%d 1\n%010d %05d n \n" % (number, offset, generation) for number, generation, offset in entries)
    info_number = old_info if info == -1 else info
    trailer = (b"trailer\n<< /Size %d /Root %d %d R" % (size, root, root_generation)
               + (b" /Info %d 0 R" % info_number if info_number is not None else b"")
               + b" /Prev %d%s >>\nstartxref\n%d\n%%%%EOF\n" % (startxref, extra, len(data) + len(body)))
    return data + bytes(body) + table + trailer


def _body(data: bytes, path: str) -> tuple[int, bytes] | None:
    """The number and body of the object at `path` from the catalog (e.g. "/DSS/VRI"), or None."""
    with pikepdf.open(io.BytesIO(data)) as document:
        obj = document.Root
        for step in path.strip("/").split("/"):
            if not step:
                continue
            if isinstance(obj, pikepdf.Array):
                obj = obj[int(step)] if int(step) < len(obj) else None
            else:
                obj = obj.get("/" + step)
            if obj is None:
                return None
        if not obj.is_indirect:
            return None
        return obj.objgen[0], obj.unparse(resolved=True)


def _with_key(body: bytes, key: bytes, value: bytes) -> bytes:
    """A dictionary's syntax with `key` set to `value` (replaced when present, added when not)."""
    pattern = re.escape(key) + (rb"(?=[\s/<\[(])\s*"
                                rb"(\d+ \d+ R|/[^\s/<>\[\]()]+|<<.*?>>|\[[^\]]*\]|\([^)]*\)|[-\d.]+|true|false)")
    replaced, count = re.subn(pattern, key + b" " + value, body, count=1, flags=re.S)
    return replaced if count else body[:2] + b" " + key + b" " + value + b" " + body[2:]


def _containers(data: bytes) -> list[tuple[str, str]]:
    """Where references are re-pointed: (path from the catalog, the key there)."""
    with pikepdf.open(io.BytesIO(data)) as document:
        root = document.Root
        catalog_keys = sorted({*map(str, root.keys()), "/DSS", "/Extensions", "/AcroForm", "/Metadata"} - {"/Type"})
        places = [("", key) for key in catalog_keys]
        if "/DSS" in root:
            places += [("DSS", key) for key in ("/Certs", "/OCSPs", "/CRLs", "/VRI")]
            vri = root.DSS.get("/VRI")
            if vri is not None and len(vri.keys()):
                name = sorted(vri.keys())[0]
                if vri[name].is_indirect:
                    places += [(f"DSS/VRI/{name[1:]}", key) for key in ("/Cert", "/OCSP", "/CRL", "/TS")]
        if "/AcroForm" in root:
            places += [("AcroForm", key) for key in ("/Fields", "/DR", "/SigFlags")]
        return places


def forgeries(data: bytes) -> Iterator[Forgery]:
    """Every generated update of the four moves against the signed file `data`."""
    objects = representatives(data)
    facts = _trailer_facts(data)
    root, info = facts[1], facts[3]

    def update(objects: dict, **options) -> bytes:
        return appended(data, objects, facts=facts, **options)

    for where, key in _containers(data):
        found = _body(data, where) if where else (root, _body(data, "")[1])
        if found is None:
            continue
        number, body = found
        for target in objects:
            reference = b"%d %d R" % (target.number, target.generation)
            value = b"[ %s ]" % reference if key in ("/Certs", "/OCSPs", "/CRLs", "/Cert", "/OCSP", "/CRL", "/Fields") \
                else reference
            yield Forgery(f"re-point /{where}{key} at object {target.number}",
                          update({(number, 0): _with_key(body, key.encode(), value)}))
    if info is not None:
        for target in objects:
            yield Forgery(f"re-point the trailer's /Info at object {target.number}", update({}, info=target.number))
    for target in objects:
        yield Forgery(f"rewrite object {target.number} unchanged",
                      update({(target.number, target.generation): target.body}))
        yield Forgery(f"rewrite object {target.number} changed",
                      update({(target.number, target.generation): _changed(target)}))
        yield Forgery(f"shadow object {target.number} with generation {target.generation + 1}",
                      update({(target.number, target.generation + 1): _changed(target)}))
        if target.generation == 0:
            yield Forgery(f"hide a changed object {target.number} in a hybrid xref stream",
                          update({}, hybrid={target.number: _changed(target)}))
    for target in objects:  # one update's table lists the object twice: readers differ on which entry holds
        for first, last in ((_changed(target), target.body), (target.body, _changed(target))):
            yield Forgery(f"list object {target.number} twice in one table, "
                          f"the {'changed' if first != target.body else 'same'} body first",
                          update({}, twice=(target.number, target.generation, first, last)))
    page = _body(data, "Pages/Kids/0")
    if page is not None:
        for target in objects:
            yield Forgery(f"add object {target.number} to page 1's /Annots",
                          update({(page[0], 0): _with_key(page[1], b"/Annots", b"[ %d %d R ]" % (
                              target.number, target.generation))}))


def _changed(target: _Object) -> bytes:
    """The object's body with a change a reader shows: a stream's content painted over, a dictionary's entry added."""
    if target.is_stream:
        start = target.body.index(b"stream\n")
        content = b"q BT /F1 24 Tf 72 700 Td (sentenced to 3 years) Tj ET Q"
        dictionary = re.sub(rb"/(Length|Filter|DecodeParms) (\d+|\[[^\]]*\]|/\w+|<<[^>]*>>)", b"", target.body[:start])
        return dictionary.rstrip()[:-2] + b" /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    if target.body.startswith(b"<<"):
        return _with_key(target.body, b"/Forged", b"(sentenced to 3 years)")
    return b"(sentenced to 3 years)"


def time_stamped(data: bytes, stamper) -> bytes | None:
    """`data` with a document time stamp from `stamper` appended, as pyHanko writes one; None when pyHanko cannot
    write into the file (it refuses what it cannot read)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        return asyncio.run(signers.PdfTimeStamper(stamper, field_name="LaterTimeStamp").async_timestamp_pdf(
            writer, "sha256", output=io.BytesIO())).getvalue()
    except Exception:  # noqa: BLE001 - an update pyHanko's writer refuses is one no attacker's time stamp follows
        return None
