"""Files the custodian's own key signed that are not archives: made so that one PDF, XMP, CMap or YAML reader reads
them one way and another reader another (found by attacking site/verify.html, which has readers of its own).
`verify` refuses each; the page must never call one verified. Each function takes the archive's signed PDF and a
signer's key material and returns the forged file's bytes."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable

import pikepdf
from attacks import unsigned_copy

VILNIUS = "records/rallies/vilnius-2023-05-21.yaml"


def _signed(unsigned: bytes, material, keep_metadata: bool = False) -> bytes:
    """Signed at B-B; with keep_metadata, pyHanko leaves the XMP as written instead of rewriting it."""
    from pyhanko.pdf_utils import writer

    from appeal_archive.signing.sign import sign_pdf

    saved = writer.BasePdfFileWriter._update_meta
    if keep_metadata:
        writer.BasePdfFileWriter._update_meta = lambda self: None  # type: ignore[method-assign]
    try:
        return sign_pdf(unsigned, material, reason="a forgery by the custodian's key")
    finally:
        writer.BasePdfFileWriter._update_meta = saved  # type: ignore[method-assign]


def _resigned(change: Callable, keep_metadata: bool = False) -> Callable[[bytes, object], bytes]:
    return lambda pdf, material: _signed(unsigned_copy(pdf, change), material, keep_metadata)


def whitespace_in_the_gap(pdf: bytes, material) -> bytes:
    """No key needed: the zeros padding the signature value replaced by spaces, in the unsigned gap."""
    found = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", pdf)
    assert found is not None and found.group(1).endswith(b"0000")
    return pdf[:found.end(1) - 4] + b"  \r\n" + pdf[found.end(1):]


def _second_embedded_file(document) -> None:
    """The attachment's /EF names the genuine file as /F and another as /UF: readers take one or the other."""
    other = document.make_stream(b"id: vilnius-2023-05-21\nhacked: true\n")
    other.Type = pikepdf.Name.EmbeddedFile
    document.attachments[VILNIUS].obj.EF.UF = other


def _names_and_kids(document) -> None:
    """The attachments' tree: the manifest under /Names, every other file under /Kids of the same node."""
    pairs = list(document.Root.Names.EmbeddedFiles.Names)
    named = [item for index in range(0, len(pairs), 2) for item in pairs[index:index + 2]
             if str(pairs[index]) == "manifest.json"]
    rest = [item for index in range(0, len(pairs), 2) for item in pairs[index:index + 2]
            if str(pairs[index]) != "manifest.json"]
    leaf = document.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(rest)))
    document.Root.Names.EmbeddedFiles = document.make_indirect(
        pikepdf.Dictionary(Names=pikepdf.Array(named), Kids=pikepdf.Array([leaf])))


def _unquoted_date(document) -> None:
    """A rally's date written as YAML 1.1 reads a date and YAML 1.2 text: the same data to one reader only."""
    content = document.attachments[VILNIUS].get_file().read_bytes()
    assert b"'2023-05-21'" in content
    document.attachments[VILNIUS] = pikepdf.AttachedFileSpec(document, content.replace(b"'2023-05-21'", b"2023-05-21"),
                                                             filename=VILNIUS.replace("/", "__"))


def _cover_in_commented_cmap(document) -> None:
    """The cover's root and page hash drawn in letters that a font maps to hex digits on comment lines of its
    ToUnicode map: a reader that skips comments sees letters."""
    letters = {digit: chr(0x67 + index) for index, digit in enumerate("0123456789abcdef")}
    cmap = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CMapName /X def", "/CMapType 2 def",
            "1 begincodespacerange", "<00> <FF>", "endcodespacerange", "%16 beginbfchar",
            *(f"%<{ord(letter):02X}> <{ord(digit):04X}>" for digit, letter in letters.items()), "%endbfchar",
            "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    page = document.pages[0]
    content = page.Contents.read_bytes()
    shown = {re.search(rb"\(([0-9a-f]{64})\) Tj", content).group(1).decode(),  # type: ignore[union-attr]
             hashlib.sha256(document.attachments["verify.html"].get_file().read_bytes()).hexdigest()}
    regular = page.Resources.Font["/F1+0"]
    font = document.make_indirect(pikepdf.Dictionary({key: value for key, value in regular.items()
                                                       if key != "/ToUnicode"}))
    font.ToUnicode = document.make_stream("\n".join(cmap).encode())
    page.Resources.Font.F9 = font
    for text in shown:
        content = content.replace(f"({text}) Tj".encode(), b"/F9 10 Tf (" + "".join(letters[c] for c in text).encode()
                                  + b") Tj /F1+0 10 Tf")
    page.Contents = document.make_stream(content)


def _page_with_kids(document) -> None:
    """The first page is also a page tree, whose one kid shows no root: readers differ on which is the cover."""
    first = document.Root.Pages.Kids[0]
    content = first.Contents.read_bytes()
    root = re.search(rb"\(([0-9a-f]{64})\) Tj", content).group(1)  # type: ignore[union-attr]
    other = document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Page, Parent=first, MediaBox=first.MediaBox,
                                                      Resources=first.Resources,
                                                      Contents=document.make_stream(content.replace(root, b"0" * 64))))
    first.Kids = pikepdf.Array([other])


def _xmp(kind: str) -> Callable:
    """The root in the XMP metadata, moved out of the attribute pikepdf reads into forms other readers read."""
    def change(document) -> None:
        xmp = document.Root.Metadata.read_bytes().decode()
        found = re.search(r' dc:source="(sha256:[0-9a-f]{64})"', xmp)
        assert found is not None
        value, xmp = found.group(1), xmp.replace(found.group(0), "")
        if kind == "outside":
            xmp = xmp.replace("</rdf:RDF>", f'</rdf:RDF><dc:source xmlns:dc="http://purl.org/dc/elements/1.1/">{value}'
                              "</dc:source>")
        else:
            inner = {"comment": f"{value[:10]}<!-- split -->{value[10:]}", "nested": f"<dc:x>{value}</dc:x>"}[kind]
            xmp = xmp.replace("</rdf:Description>", f"<dc:source>{inner}</dc:source></rdf:Description>")
        stream = document.make_stream(xmp.encode())
        stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
        document.Root.Metadata = stream
    return change


def _appended_section(pdf: bytes, material, hybrid: bool) -> bytes:
    """An update before the signature, which the key then signs, giving an attachment's file again (changed):
    in a hybrid section (/XRefStm) or listed twice in one table, the genuine copy first."""
    raw = unsigned_copy(pdf)
    with pikepdf.open(io.BytesIO(raw)) as document:
        number = document.attachments[VILNIUS].obj.EF.F.objgen[0]
        genuine = document.attachments[VILNIUS].get_file().read_bytes()
        size, root = int(document.trailer.Size), document.trailer.Root.objgen[0]
        ids = "".join(f"<{bytes(item).hex()}>" for item in document.trailer.ID)
    previous = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", raw).group(1))  # type: ignore[union-attr]

    def stream(data: bytes) -> bytes:
        return (f"{number} 0 obj\n<< /Type /EmbeddedFile /Length {len(data)} >>\nstream\n".encode() + data
                + b"\nendstream\nendobj\n")

    def trailer(entries: int, extra: str = "") -> bytes:
        return f"trailer\n<< /Size {entries} /Root {root} 0 R /Prev {previous} /ID [{ids}] {extra}>>\n".encode()

    changed = genuine.replace(b"vilnius", b"VILNIUS", 1)
    out = bytearray(raw)
    if hybrid:
        at = len(out)
        out += stream(changed)
        row = bytes([1]) + at.to_bytes(4, "big") + (0).to_bytes(2, "big")
        xref_stream = len(out)
        out += (f"{size} 0 obj\n<< /Type /XRef /W [1 4 2] /Index [{number} 1] /Size {size + 1} /Length {len(row)} "
                ">>\nstream\n").encode() + row + b"\nendstream\nendobj\n"
        table = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n" + f"{size} 1\n{xref_stream:010d} 00000 n \n".encode()
                + trailer(size + 1, f"/XRefStm {xref_stream} "))
    else:
        first = len(out)
        out += stream(genuine)
        second = len(out)
        out += stream(changed)
        table = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \n" + f"{number} 1\n{first:010d} 00000 n \n".encode()
                + f"{number} 1\n{second:010d} 00000 n \n".encode() + trailer(size))
    out += f"startxref\n{table}\n%%EOF\n".encode()
    return _signed(bytes(out), material)


def _patched_and_resigned(pdf: bytes, material, patches=(), digest: str = "sha256", last: bool = False) -> bytes:
    """A signed file patched in place (same lengths, outside the signature's gap; each patch where its bytes occur
    once, or with `last` where they occur last: in the signing update), its byte ranges then signed anew by the
    key, with `digest` (a fresh CAdES signature as pyHanko makes it)."""
    import asyncio

    from appeal_archive.signing.sign import pyhanko_signer

    data = bytearray(_signed(unsigned_copy(pdf), material))
    for old, new in patches:
        assert len(old) == len(new) and (last or data.count(old) == 1), old
        at = data.rfind(old)
        data[at:at + len(old)] = new
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(?:\.\d*)?\s*\]", bytes(data))
    assert found is not None
    _, first, second, length = map(int, found.groups())
    covered = bytes(data[:first]) + bytes(data[second:second + length])
    signature = asyncio.run(pyhanko_signer(material).async_sign(hashlib.new(digest, covered).digest(), digest,
                                                                use_pades=True)).dump().hex().encode()
    space = second - first - 2
    assert len(signature) <= space
    data[first + 1:second - 1] = signature + b"0" * (space - len(signature))
    return bytes(data)


def _metadata_of_another_generation(pdf: bytes, material) -> bytes:
    """The catalog refers to the XMP as generation 1 of its object, which the cross-references list as 0: pikepdf
    reads nothing there."""
    raw = unsigned_copy(pdf)
    found = re.search(rb"/Metadata (\d+) 0 R", raw)
    assert found is not None and raw.count(found.group(0)) == 1
    return _signed(raw.replace(found.group(0), b"/Metadata " + found.group(1) + b" 1 R"), material, keep_metadata=True)


def _cover_font_restored(document) -> None:
    """The root drawn after `q /F1+0 10 Tf Q`: the font in force is the one set before q, whose ToUnicode maps
    every code to 'x'."""
    page = document.pages[0]
    content = page.Contents.read_bytes()
    root = re.search(rb"\(([0-9a-f]{64})\) Tj", content).group(1)  # type: ignore[union-attr]
    before = b"/F1+0 10 Tf 12 TL (" + root
    assert content.count(before) == 1
    page.Contents = document.make_stream(content.replace(before, b"/FZ 10 Tf q /F1+0 10 Tf Q 12 TL (" + root))
    regular = page.Resources.Font["/F1+0"]
    font = document.make_indirect(pikepdf.Dictionary({key: value for key, value in regular.items()
                                                       if key != "/ToUnicode"}))
    font.ToUnicode = document.make_stream(("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                                           "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
                                           + "".join(f"1 beginbfchar\n<{code:02X}> <0078>\nendbfchar\n"
                                                     for code in range(256))
                                           + "endcmap\nend\nend\n").encode())
    page.Resources.Font.FZ = font


def _yaml_line_separator(document) -> None:
    """A comment whose U+2028 ends it for YAML 1.1 (verify's reader), which then reads a key more; not for 1.2."""
    spec = document.attachments[VILNIUS]
    content = spec.get_file().read_bytes() + "# note\u2028forged: x\n".encode()
    document.attachments[VILNIUS] = pikepdf.AttachedFileSpec(document, content, filename=VILNIUS.replace("/", "__"))


def fields_fanning_out(pdf: bytes, material) -> bytes:
    """No key needed: a form whose fields list one kid 40 times, nine levels deep (40^9 visits to a naive walk)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + b"3 0 R " * 40 + b"] >> >>",
               b"<< /Type /Pages /Kids [] /Count 0 >>"]
    objects += [b"<< /T (f) /Kids [" + f"{level + 1} 0 R ".encode() * 40 + b"] >>" for level in range(3, 12)]
    objects.append(b"<< /T (leaf) /FT /Tx >>")
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    table = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f\r\n".encode()
    out += b"".join(f"{offset:010d} 00000 n\r\n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{table}\n%%EOF\n".encode()
    return bytes(out)


FORGERIES: dict[str, Callable[[bytes, object], bytes]] = {
    "whitespace in the signature's gap": whitespace_in_the_gap,
    "an attachment naming a second embedded file": _resigned(_second_embedded_file),
    "a node of the attachments' tree with both names and kids": _resigned(_names_and_kids),
    "a record's date unquoted (YAML 1.1 reads a date)": _resigned(_unquoted_date),
    "the cover's root in a font mapped on comment lines": _resigned(_cover_in_commented_cmap),
    "a first page that is also a page tree": _resigned(_page_with_kids),
    "the XMP's root split by a comment": _resigned(_xmp("comment"), keep_metadata=True),
    "the XMP's root in a nested element": _resigned(_xmp("nested"), keep_metadata=True),
    "the XMP's root outside rdf:RDF": _resigned(_xmp("outside"), keep_metadata=True),
    "a hybrid cross-reference section": lambda pdf, material: _appended_section(pdf, material, hybrid=True),
    "one table listing an object twice": lambda pdf, material: _appended_section(pdf, material, hybrid=False),
    "the XMP referred to as another generation": _metadata_of_another_generation,
    "the cover's root drawn in the font restored by Q": _resigned(_cover_font_restored, keep_metadata=True),
    "the one signature typed /DocTimeStamp": lambda pdf, material: _patched_and_resigned(
        pdf, material, [(b"          \n/Type /Sig\n", b" \n/Type /DocTimeStamp\n")]),
    "a signature over a SHA-1 digest": lambda pdf, material: _patched_and_resigned(pdf, material, digest="sha1"),
    "a comment of a record ended by U+2028 for YAML 1.1 only": _resigned(_yaml_line_separator, keep_metadata=True),
    "a form whose fields fan out (unsigned)": fields_fanning_out,
}


# --- above 2,000 records, where the records travel in ZIPs ------------------------------------------------------


def _records_zip_rewritten(rename=None, comment: bytes = b"") -> Callable:
    """records.zip written again: its second member renamed by `rename`, the archive given `comment`."""
    def change(document) -> None:
        original = document.attachments["records.zip"].get_file().read_bytes()
        rewritten = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as old, zipfile.ZipFile(rewritten, "w") as new:
            new.comment = comment
            for number, member in enumerate(old.infolist()):
                data = old.read(member)
                if rename is not None and number == 1:
                    member.filename = rename(member.filename)
                new.writestr(member, data)
        document.attachments["records.zip"] = pikepdf.AttachedFileSpec(document, rewritten.getvalue(),
                                                                       filename="records.zip")
    return change


def _canonical_zip_removed(document) -> None:
    del document.attachments["canonical.zip"]


LARGE_FORGERIES: dict[str, Callable[[bytes, object], bytes]] = {
    "a record's name in records.zip behind a byte-order mark": _resigned(_records_zip_rewritten(
        rename=lambda name: "\ufeff" + name)),
    "an end of central directory in records.zip's comment": _resigned(_records_zip_rewritten(
        comment=b"PK\x05\x06\0\0\0\0")),
    "canonical.zip removed": _resigned(_canonical_zip_removed),
}


# --- the JSON-LD bundle, signed again ---------------------------------------------------------------------------


def _dataset_with(extra: str) -> Callable[[bytes], bytes]:
    """The bundle with a field added to the node that states the root, written as the page writes JSON (JSON
    numbers as JavaScript spells them)."""
    def change(bundle: bytes) -> bytes:
        lines = bundle.split(b"\n")
        at = next(index for index, line in enumerate(lines) if line.startswith(b"    {") and b'"rootHash":' in line)
        line = lines[at].decode()
        indent, comma = line[:len(line) - len(line.lstrip())], "," if line.endswith(",") else ""
        node = line.strip().rstrip(",")
        lines[at] = f"{indent}{node[:-1]},{extra}}}{comma}".encode()  # "zz..." sorts after every key of the node
        return b"\n".join(lines)
    return change


BUNDLE_FORGERIES: dict[str, Callable[[bytes], bytes]] = {
    "a number with an exponent in the root's node": _dataset_with('"zzz":1e-7'),
    "an array nested 1,500 deep in the root's node": _dataset_with('"zzz":' + "[" * 1500 + "]" * 1500
                                                                   + ',"zzzz":"' + "x" * 80_000 + '"'),
}


# --- the bundle's signature, made again with other signed attributes ---------------------------------------------


def _signed_attributes_changed(edit: Callable, pss_mask: str | None = None
                               ) -> Callable[[bytes, object], tuple[bytes, bytes]]:
    """The bundle unchanged, and its signature made by the key with its signed attributes passed through edit;
    with `pss_mask`, an RSA-PSS signature (SHA-256, MGF1 over SHA-256) whose parameters name that mask hash."""
    def forge(bundle: bytes, material) -> tuple[bytes, bytes]:
        import pyhanko.sign.general  # noqa: F401 - registers CAdES's attributes with asn1crypto
        from asn1crypto import cms
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        from appeal_archive.signing.sign import sign_bundle

        info = cms.ContentInfo.load(sign_bundle(bundle, material))
        signer = info["content"]["signer_infos"][0]
        signer["signed_attrs"] = cms.CMSAttributes(edit(list(signer["signed_attrs"])))
        info = cms.ContentInfo.load(info.dump(force=True))
        signer = info["content"]["signer_infos"][0]
        scheme = padding.PKCS1v15()
        if pss_mask is not None:
            signer["signature_algorithm"] = {"algorithm": "rsassa_pss", "parameters": {
                "hash_algorithm": {"algorithm": "sha256"}, "salt_length": 32,
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": pss_mask}}}}
            scheme = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        signer["signature"] = material.private_key.sign(signer["signed_attrs"].untag().dump(), scheme, hashes.SHA256())
        return bundle, info.dump(force=True)
    return forge


def _attribute(kind: str, values: list):
    from asn1crypto import cms

    return cms.CMSAttribute({"type": kind, "values": values})


def _replaced(kind: str, values: list) -> Callable[[list], list]:
    return lambda attributes: [_attribute(kind, values) if attribute["type"].native == kind else attribute
                               for attribute in attributes]


def _issuer_serial_of_another(attributes: list) -> list:
    from asn1crypto import tsp

    changed = []
    for attribute in attributes:
        if attribute["type"].native == "signing_certificate_v2":
            value = tsp.SigningCertificateV2.load(attribute["values"][0].dump())
            serial = value["certs"][0]["issuer_serial"]
            serial["serial_number"] = serial["serial_number"].native + 1
            attribute = _attribute("signing_certificate_v2", [tsp.SigningCertificateV2.load(value.dump(force=True))])
        changed.append(attribute)
    return changed


def _signature_with_trailing_bytes(bundle: bytes, material) -> tuple[bytes, bytes]:
    """No key needed: a genuine signature with bytes after it."""
    from appeal_archive.signing.sign import sign_bundle

    return bundle, sign_bundle(bundle, material) + b"\0\0junk"


def _array_node(bundle: bytes, material) -> tuple[bytes, bytes]:
    """A node of the graph that is an array: it states nothing, and verify refuses it."""
    from appeal_archive.signing.sign import sign_bundle

    changed = bundle.replace(b'  "@graph": [\n', b'  "@graph": [\n    [],\n', 1)
    return changed, sign_bundle(changed, material)


SIGNATURE_FORGERIES: dict[str, Callable[[bytes, object], tuple[bytes, bytes]]] = {
    "a content-type attribute naming signed-data": _signed_attributes_changed(_replaced("content_type",
                                                                                        ["signed_data"])),
    "an algorithm-protection attribute naming SHA-512": _signed_attributes_changed(lambda attributes: attributes + [
        _attribute("cms_algorithm_protection", [{"digest_algorithm": {"algorithm": "sha512"},
                                                 "signature_algorithm": {"algorithm": "sha256_rsa"}}])]),
    "a signing-certificate-v2 naming another serial": _signed_attributes_changed(_issuer_serial_of_another),
    "a signature with bytes after it": _signature_with_trailing_bytes,
    "an RSA-PSS signature naming another mask hash than it used": _signed_attributes_changed(
        lambda attributes: attributes, pss_mask="sha512"),
    "a node of the graph that is an array": _array_node,
}


def _date_of_month_13(pdf: bytes, material) -> bytes:
    """The signature's /M a month 13: pyHanko refuses to read it."""
    signed = _signed(unsigned_copy(pdf), material)
    found = re.search(rb"/M \(D\\072(\d{4})(\d{2})", signed) or re.search(rb"/M \(D:(\d{4})(\d{2})", signed)
    assert found is not None
    return _patched_and_resigned(pdf, material, [(found.group(0), found.group(0)[:-2] + b"13")])


def _seed_value_in_the_field(pdf: bytes, material) -> bytes:
    """The signature field given a seed value (/SV) that pyHanko cannot read."""
    return _patched_and_resigned(pdf, material, [(b"/F 132\n", b"/SV 5\n ")])


FORGERIES["the signature's /M of month 13"] = _date_of_month_13
FORGERIES["a seed value in the signature field"] = _seed_value_in_the_field


def _signed_then_patched(pdf: bytes, material, find: bytes, replace: Callable[[re.Match], bytes]) -> bytes:
    """The file signed, then the last match of `find` (in the signing update, when there) replaced by as many
    bytes, and its byte ranges signed anew: the key signs what pyHanko's reader refuses."""
    signed = _signed(unsigned_copy(pdf), material)
    found = list(re.finditer(find, signed))
    assert found, find
    return _patched_and_resigned(pdf, material, [(found[-1].group(0), replace(found[-1]))], last=True)


def _syntax(find: bytes, replace: Callable[[re.Match], bytes]) -> Callable[[bytes, object], bytes]:
    return lambda pdf, material: _signed_then_patched(pdf, material, find, replace)


FORGERIES.update({
    "a reference with a comment before its R": _syntax(rb"/P (\d+) 0 R\n", lambda m: b"/P " + m.group(1) + b" 0%\nR"),
    "a reference whose generation is a decimal": _syntax(rb"/V (\d+) 0 R\n", lambda m: b"/V " + m.group(1) + b" .0R\n"),
    "a byte range written with a decimal": _syntax(rb"/ByteRange \[0 (\d+) (\d+) (\d+)\]  ",
                                                   lambda m: m.group(0)[:-3] + b".0]"),
    "the signature field without endobj": _syntax(rb"/FT /Sig\n[^>]*>>\nendobj", lambda m: m.group(0)[:-6] + b"      "),
    "a string with an escape pyHanko refuses": _syntax(rb"/T \(AppealArchiveSignature\)",
                                                       lambda m: b"/T (AppealArchiveSignatu\\q)"),
})


def _record_rewritten(transform: Callable[[bytes], bytes]) -> Callable:
    """A record's YAML written another way that libyaml (verify's reader) refuses and yaml (the page's) reads."""
    def change(document) -> None:
        content = document.attachments[VILNIUS].get_file().read_bytes()
        document.attachments[VILNIUS] = pikepdf.AttachedFileSpec(document, transform(content),
                                                                 filename=VILNIUS.replace("/", "__"))
    return change


FORGERIES.update({
    "a record behind a %YAML 1.1 directive": _resigned(_record_rewritten(
        lambda content: b"%YAML 1.1\n---\n" + content)),
    "a record ending in a line of a tab": _resigned(_record_rewritten(lambda content: content + b"\t\n")),
})


FORGERIES.update({
    "a name with a raw byte above 0x7E": _syntax(rb"/Subtype /Widget", lambda m: b"/Subtype /Widg\xe9t"),
    "an XMP packet declaring UTF-16": _syntax(
        rb"<\?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"\?>",
        lambda m: b'<?xml version="1.0" encoding="UTF-16"?>'.ljust(len(m.group(0)))),
})
