"""What an archive holds inside its files, declared once: the records folder's names, the PDF's attachments and
ZIP members, its signature fields and metadata properties, the bag's tag files and bag-info, the limits verify
reads within. (The files of a build's output folder are views: views/registry.py declares them.)

`build` writes through these names and functions and `verify` reads through them, so the two can never
disagree about what an archive contains. Nothing here renders, signs or checks a signature.

The manifest travels as `manifest_bytes`, in the output folder and attached to the PDF (`pdf_files`). The PDF
states the record set's root in its XMP metadata (`ROOT_PROPERTY`) and in its attached manifest.
It is signed in its `SIGNATURE_FIELD`, then time-stamped in `TIME_STAMP_FIELD`s; what those later updates
may change is `UPDATE_*`.
"""

from __future__ import annotations

import json
import struct
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

if TYPE_CHECKING:
    from appeal_archive.records.recordset import RecordSet

CONFIG_FILE = "archive.yaml"  # a records folder's settings
SALTS_FILE = "salts.txt"  # the salt ledger of a records folder (records/salts.py)
RETRACTIONS_FILE = "retractions.yaml"  # records withdrawn since an edition published them (records/retractions.py)

# The editions a record set is built in: the full one (everything; not for publication when any record is
# restricted) and the public one (restricted records withheld: ledger/editions.py).
EDITIONS = ("full", "public")

MANIFEST = "manifest.json"
CONSISTENCY_PROOF = "consistency-proof.json"  # an edition that extends another carries it (ledger/lineage.py)
CONSISTENCY_PROOF_FORMAT = "appeal-archive/consistency-proof/1"
PLACEHOLDER = ".gitkeep"  # kept in a build folder that is under version control
RECORDS = "records/"  # the records folder, as attachments and bag payload carry it
CANONICAL = "canonical/"  # each record's RFC 8785 JSON
CONFIG = RECORDS + CONFIG_FILE
# The page that checks a signed edition in a browser (views/verifier.py): attached to the signed PDF, its SHA-256
# on the cover, and site/verify.html of a public edition.
VERIFIER_PAGE = "verify.html"
ZIP_THRESHOLD = 2000  # above this many records, the PDF carries records.zip and canonical.zip
ZIPS = {"records.zip": RECORDS, "canonical.zip": CANONICAL}
ZIPS_BY_FOLDER = {folder: name for name, folder in ZIPS.items()}

# What verify reads at most, before it reads anything: sized for record sets of a few hundred thousand
# records; anything larger is not an archive appeal-archive made.
MAX_MEMBER_BYTES = 1_000_000  # a record, or its canonical JSON (loader.MAX_RECORD_BYTES)
MAX_PDF_BYTES = 1 << 30
MAX_BUNDLE_BYTES = 1 << 30
MAX_BUNDLE_LINE = 1 << 20  # the bundle holds one node per line
MAX_SIGNATURE_BYTES = 1 << 20  # a .p7s
MAX_MANIFEST_BYTES = 64 << 20
MAX_ZIP_BYTES = 128 << 20
MAX_DOCUMENT_BYTES = 512 << 20  # a source document (checks.MAX_DOCUMENT_BYTES)
MAX_VERIFIER_BYTES = 4 << 20  # the verifier page (about 600 kB)

# The PDF's signature fields: the archive's signature, then its document time stamps, numbered (the first
# at signing, one more at each renewal).
SIGNATURE_FIELD = "AppealArchiveSignature"
TIME_STAMP_FIELD = "AppealArchiveTimeStamp{}"
# What the updates after the signature may change, judged on the file as a reader shows it against the file
# as signed: the catalog only in these keys (an update adding only validation data, in fewer), a new
# invisible signature widget in the form's /Fields and a page's /Annots, its signature dictionary, the /DSS
# (certificates, CRLs, OCSP responses, VRI entries), the producer and modification date of the document
# information, and the XMP properties pyHanko rewrites (as pikepdf and ElementTree name them).
UPDATE_CATALOG_KEYS = frozenset({"/AcroForm", "/DSS", "/Extensions", "/Version", "/Metadata"})
UPDATE_CATALOG_KEYS_VALIDATION_DATA = frozenset({"/DSS", "/Metadata", "/Extensions", "/Version"})
UPDATE_ACROFORM_KEYS = frozenset({"/Fields", "/SigFlags"})
UPDATE_WIDGET_KEYS = frozenset({"/FT", "/T", "/TU", "/Type", "/Subtype", "/F", "/Rect", "/P", "/V", "/Lock", "/SV"})
UPDATE_SIGNATURE_KEYS = frozenset({"/Type", "/Filter", "/SubFilter", "/Contents", "/ByteRange", "/M", "/Reason",
                                   "/Name", "/Location", "/ContactInfo", "/Prop_Build", "/Prop_AuthTime",
                                   "/Prop_AuthType"})
UPDATE_DSS_KEYS = frozenset({"/Type", "/Certs", "/OCSPs", "/CRLs", "/VRI"})
UPDATE_VRI_KEYS = frozenset({"/Type", "/Cert", "/OCSP", "/CRL", "/TS", "/TU"})
XMP_UPDATED = frozenset({"{http://ns.adobe.com/pdf/1.3/}Producer", "{http://ns.adobe.com/xap/1.0/}ModifyDate",
                         "{http://ns.adobe.com/xap/1.0/}MetadataDate", "{adobe:ns:meta/}xmptk"})

# Where the PDF's XMP metadata states the root, the tool that made it and the build date.
ROOT_PROPERTY = "dc:source"
ROOT_PREFIX = "sha256:"
TOOL_PROPERTY = "xmp:CreatorTool"
# An edition that extends another names it in dc:relation (ledger/lineage.py): one statement per fact.
EXTENDS_PROPERTY = "dc:relation"
BUILD_DATE_PROPERTY = "xmp:CreateDate"


def record_file(path: str) -> str:
    """Where a record (or source document) travels: records/<path>, as in the records folder."""
    return RECORDS + path


def canonical_file(path: str) -> str:
    """Where a record's canonical JSON travels: canonical/<folder>/<id>.json."""
    return CANONICAL + path.removesuffix(".yaml") + ".json"


def extends_values(extends: dict[str, Any]) -> list[str]:
    """How the XMP names the edition an edition extends: the same facts as its manifest's "extends"."""
    return [f"extends-file:sha256:{extends['sha256']}", f"extends-root:sha256:{extends['root']}",
            f"extends-tree-size:{extends['tree_size']}", f"extends-edition:{extends['edition']}",
            f"extends-number:{extends['number']}",
            f"extends-signed:{extends['signed_at']}"]


def root_value(root: str) -> str:
    return ROOT_PREFIX + root


def root_from_value(value: str) -> str | None:
    return value.removeprefix(ROOT_PREFIX) if value.startswith(ROOT_PREFIX) else None


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as it is signed and written: compact JSON, keys in order, UTF-8, one top-level key per line
    and one entry of a list per line (a line for each of 100,000 records can be searched and compared; an
    indented form was three times the size), one final newline."""
    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def member(key: str, value: Any) -> str:
        if isinstance(value, list) and value:
            return f"{compact(key)}:[\n" + ",\n".join(map(compact, value)) + "\n]"
        return f"{compact(key)}:{compact(value)}"
    return ("{" + ",\n".join(member(key, value) for key, value in manifest.items()) + "}\n").encode("utf-8")


def consistency_proof(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The RFC 9162 consistency proof an edition that extends another carries (its manifest's "extends"), in the
    format `prove --consistency` writes; None for a first edition."""
    extends = manifest.get("extends")
    if extends is None:
        return None
    return {"format": CONSISTENCY_PROOF_FORMAT, "from": {"tree_size": extends["tree_size"], "root": extends["root"]},
            "to": {"tree_size": manifest["tree_size"], "root": manifest["root"]}, "proof": extends["proof"]}


def proof_bytes(document: dict[str, Any]) -> bytes:
    """A proof as `prove` writes it and an edition carries it: JSON indented by one space, UTF-8, a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def manifest_forms(manifest: dict[str, Any]) -> tuple[bytes, ...]:
    """Every form a build of appeal-archive has written a manifest in: today's, and the 2-space indented
    form of the builds before it (editions already signed and sent keep verifying)."""
    return manifest_bytes(manifest), (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def zipped(record_count: int) -> bool:
    return record_count > ZIP_THRESHOLD


# --- the PDF's attachments --------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveFile:
    """One file an archive carries: a PDF/A-3 associated file, or a member of one of its ZIPs."""

    name: str
    data: bytes
    media_type: str
    relationship: str  # "Source" (what the document was made from) or "Data" (derived data)
    description: str


def pdf_files(record_set: RecordSet, manifest: dict[str, Any], build_date: datetime,
              verifier: bytes | None = None) -> Iterator[ArchiveFile]:
    """What the PDF carries: the manifest, the verifier page of a signed build, the source documents, and every
    record (and archive.yaml) as YAML and as canonical JSON. Up to ZIP_THRESHOLD records each file is its own
    attachment; larger sets
    carry the same files in records.zip and canonical.zip, which keeps the PDF small and fast. Yielded one
    by one, so a large archive is never held twice in memory."""
    root = manifest["root"]
    yield ArchiveFile(MANIFEST, manifest_bytes(manifest), "application/json", "Data",
                      f"Manifest of the record set, root {root}")
    if (proof := consistency_proof(manifest)) is not None:
        yield ArchiveFile(CONSISTENCY_PROOF, proof_bytes(proof), "application/json", "Data",
                          f"RFC 9162 consistency proof from the tree of {proof['from']['tree_size']} leaves this "
                          "edition extends to its own")
    if verifier is not None:
        yield ArchiveFile(VERIFIER_PAGE, verifier, "text/html", "Supplement",
                          "A page that checks this file offline in any browser, trusting the custodian's CA")
    for document in record_set.documents:
        yield ArchiveFile(record_file(document.path), document.kept_data, "text/plain", "Source",
                          f"Source document, SHA-256 {document.sha256}")

    def yaml_files() -> Iterator[ArchiveFile]:
        yield ArchiveFile(CONFIG, record_set.config_raw, "application/yaml", "Source", "Archive settings")
        for record in record_set.records:
            yield ArchiveFile(record_file(record.path), record.kept_raw, "application/yaml", "Source",
                              f"Record {record.id} ({record.record_type})")

    def json_files() -> Iterator[ArchiveFile]:
        for record in record_set.records:
            yield ArchiveFile(canonical_file(record.path), record.kept_canonical, "application/json", "Data",
                              f"RFC 8785 canonical JSON of {record.path}, SHA-256 {record.digest}")

    if not zipped(len(record_set.records)):
        yield from yaml_files()
        yield from json_files()
        return
    count = len(record_set.records)
    yield ArchiveFile("records.zip", zip_archive(yaml_files(), build_date), "application/zip", "Source",
                      f"The {count + 1} record files (YAML) in a ZIP archive")
    yield ArchiveFile("canonical.zip", zip_archive(json_files(), build_date), "application/zip", "Data",
                      f"RFC 8785 canonical JSON of the {count} records, in a ZIP archive")


def expected_pdf_files(manifest: dict[str, Any], signed: bool) -> set[str]:
    """The names `pdf_files` gives (ZIP members counted as files), from a manifest and whether the PDF is signed."""
    names = {MANIFEST, CONFIG, *([CONSISTENCY_PROOF] if manifest.get("extends") else []),
             *([VERIFIER_PAGE] if signed else [])}
    names.update(record_file(entry["path"]) for entry in manifest["source_documents"])
    for entry in manifest["records"]:
        names.update((record_file(entry["path"]), canonical_file(entry["path"])))
    return names


def zip_archive(files: Iterable[ArchiveFile], build_date: datetime) -> bytes:
    """A reproducible ZIP: members stored (the PDF compresses the whole) in the given order, all dated
    with the build date (ZIP cannot say anything before 1980), no extra fields. Written through a
    temporary file, so only the finished archive is ever in memory."""
    with tempfile.TemporaryFile() as spool:
        write_zip(spool, ((file.name, file.data) for file in files), build_date)
        spool.seek(0)
        return spool.read()


def write_zip(target: BinaryIO, files: Iterable[tuple[str, bytes]], build_date: datetime) -> None:
    """Write a reproducible ZIP of (name, bytes) into `target` as they come: members stored, in the given
    order, all dated with the build date (ZIP cannot say anything before 1980), no extra fields."""
    stamp = max(build_date, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in files:
            member = zipfile.ZipInfo(name, date_time=stamp)
            member.external_attr = 0o100644 << 16
            member.create_system = 3
            archive.writestr(member, data)


class ZipMember(NamedTuple):
    """Where one member of a stored ZIP lies: what the central directory says of it."""

    name: str
    offset: int  # of its local header
    size: int


_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_ENTRY = struct.Struct("<4s6H3L5H2L")  # central directory entry
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header


def _directory(data: bytes | memoryview) -> tuple[int, int, int]:
    """(entries, offset, size) of a ZIP's central directory, from its end record (ZIP64 when there are more
    than 65,535 entries, as zipfile writes it); ValueError when there is none."""
    tail_start = max(0, len(data) - 65_557)
    end = bytes(data[tail_start:]).rfind(b"PK\x05\x06")
    if end < 0:
        raise ValueError("no end of central directory")
    end += tail_start
    _, _, _, _, count, size, offset, _ = _END.unpack_from(data, end)
    if count == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        signature, _, end64, _ = _END64_LOCATOR.unpack_from(data, end - _END64_LOCATOR.size)
        if signature != b"PK\x06\x07" or end64 + _END64.size > len(data):
            raise ValueError("a ZIP64 end record is missing")
        signature, _, _, _, _, _, _, count, size, offset = _END64.unpack_from(data, end64)
        if signature != b"PK\x06\x06":
            raise ValueError("a ZIP64 end record is damaged")
    if offset + size > len(data):
        raise ValueError("the central directory lies outside the archive")
    return count, offset, size


def zip_members(name: str, data: bytes | memoryview, problems: list[str]) -> Iterator[ZipMember]:
    """The members of one of the PDF's ZIPs that may be read: within its folder, named once, of a record's
    size at most, stored. What is wrong with the others goes into `problems`.

    The central directory is read here (struct, one entry at a time) rather than by zipfile, which builds
    an object of thirty fields for each of 200,000 members; each member's local header is then checked
    against its entry when it is read (`zip_member_bytes`), so that no reader sees other members.
    """
    prefix, seen = ZIPS[name], set()
    try:
        count, position, size = _directory(data)
    except (ValueError, struct.error) as error:
        problems.append(f"{name} is not a readable ZIP archive ({error})")
        return
    end = position + size
    for _ in range(count):
        if position + _ENTRY.size > end:
            problems.append(f"{name} has a damaged central directory")
            return
        fields = _ENTRY.unpack_from(data, position)
        flags, method, compressed, file_size, name_length, extra_length, comment_length, offset = (
            fields[3], fields[4], fields[8], fields[9], fields[10], fields[11], fields[12], fields[16])
        raw_name = bytes(data[position + _ENTRY.size:position + _ENTRY.size + name_length])
        if fields[0] != b"PK\x01\x02" or len(raw_name) != name_length:
            problems.append(f"{name} has a damaged central directory")
            return
        position += _ENTRY.size + name_length + extra_length + comment_length
        member = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if not member.startswith(prefix) or member.endswith("/") or "/../" in f"/{member}/" or member in seen:
            problems.append(f"{name} holds an unexpected member {member!r}")
        elif file_size > MAX_MEMBER_BYTES or compressed > MAX_MEMBER_BYTES:
            problems.append(f"{name} holds an oversized member {member!r}")
        elif flags & 0x1 or method != zipfile.ZIP_STORED or compressed != file_size:
            problems.append(f"{name} holds {member!r} encrypted or compressed, which appeal-archive never writes")
        else:
            seen.add(member)
            yield ZipMember(member, offset, file_size)


def zip_member_bytes(data: bytes | memoryview, member: ZipMember) -> bytes:
    """A stored member's bytes, sliced from the archive at its local header; ValueError when that header does
    not say what the central directory says (a ZIP made to show one reader other content than another)."""
    try:
        signature, _, flags, method, _, _, _, compressed, size, name_length, extra_length = \
            _LOCAL.unpack_from(data, member.offset)
    except struct.error as error:
        raise ValueError(f"{member.name!r} has no local header where the directory says") from error
    start = member.offset + _LOCAL.size + name_length + extra_length
    if signature != b"PK\x03\x04" or flags & 0x1 or method != zipfile.ZIP_STORED or size != member.size \
            or compressed != member.size or start + member.size > len(data) \
            or bytes(data[member.offset + _LOCAL.size:member.offset + _LOCAL.size + name_length]) \
            != member.name.encode("utf-8"):
        raise ValueError(f"the local header of {member.name!r} does not say what the central directory says")
    return bytes(data[start:start + member.size])


def unzip_members(name: str, data: bytes, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    """The readable files in one of the PDF's ZIPs, one at a time (see `zip_members`)."""
    for member in zip_members(name, data, problems):
        try:
            yield member.name, zip_member_bytes(data, member)
        except ValueError as error:
            problems.append(f"{name}: {error}")


# --- the BagIt package ------------------------------------------------------------------------------


BAG_TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                 "tagmanifest-sha256.txt", "tagmanifest-sha512.txt")
MAX_TAG_FILE_BYTES = 64 << 20
MAX_TAG_LINE = 4096
BAG_AGENT_FIELD = "Bag-Software-Agent"


BAGIT_VERSION = "1.0"
BAG_PROFILE = "bagit-profile.json"  # in schema/, beside the JSON Schemas
BAG_PROFILE_ID = "https://w3id.org/appeal-archive/schema/v1/" + BAG_PROFILE


def bag_info(config: dict[str, Any], build_date: datetime, tool: str, bagit_version: str) -> dict[str, str]:
    """The bag-info.txt fields a build writes, from the signed settings, build date and tool. (bagit adds
    Payload-Oxum, which it checks itself.)"""
    contact = config["contact"]
    info = {"BagIt-Profile-Identifier": BAG_PROFILE_ID,
            "Source-Organization": config["custodian"],
            "Contact-Name": contact["name"],
            "Contact-Email": contact["email"],
            "External-Identifier": config["archival_id"],
            "External-Description": config["title"],
            "Bagging-Date": build_date.strftime("%Y-%m-%d"),
            BAG_AGENT_FIELD: bag_agent(tool, bagit_version)}
    if contact.get("address"):
        info["Organization-Address"] = contact["address"]
    return info


def bag_agent(tool: str, bagit_version: str) -> str:
    return f"{tool} (bagit-python {bagit_version})"


def payload_limit(name: str) -> int:
    """The largest a file of a bag's payload may be."""
    if name.endswith((".pdf", ".jsonld")):
        return MAX_PDF_BYTES
    if name == MANIFEST:
        return MAX_MANIFEST_BYTES
    if name.startswith(RECORDS + "sources/"):
        return MAX_DOCUMENT_BYTES
    return MAX_SIGNATURE_BYTES if name.endswith(".p7s") else MAX_MEMBER_BYTES
