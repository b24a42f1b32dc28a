"""The PDF's attachments against its attached manifest: every record as YAML (its data hashes to the entry)
and as canonical JSON (its bytes do), every source document, and nothing else.

Attachments are read one at a time and inflated within the limit for their kind. Large sets carry their
records in two ZIPs of 100,000s of members; those members are checked by forked worker processes, which
share the ZIPs' bytes with this one instead of receiving copies.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from appeal_archive import layout
from appeal_archive.canonical import digest
from appeal_archive.ledger.manifest import manifest_root, manifest_shape_problem
from appeal_archive.records import loader
from appeal_archive.verify.inputs import BadJson, parse_json
from appeal_archive.verify.records import check_root
from appeal_archive.verify.report import VerifyReport
from appeal_archive.verify.signature import plain_message
from appeal_archive.workers import forked_map, usable_cores

MAX_LOOSE_BYTES = 64 << 20  # records attached one by one: at most ZIP_THRESHOLD of them, each a few kilobytes
PARALLEL_MEMBERS = 4000  # records; fewer are checked in this process, where starting workers costs more


def attachment_limit(name: str) -> int:
    if name == layout.MANIFEST:
        return layout.MAX_MANIFEST_BYTES
    if name in layout.ZIPS:
        return layout.MAX_ZIP_BYTES
    if name == layout.VERIFIER_PAGE:
        return layout.MAX_VERIFIER_BYTES
    return layout.MAX_DOCUMENT_BYTES if is_document(name) else layout.MAX_MEMBER_BYTES


def is_document(name: str) -> bool:
    return name.startswith(layout.RECORDS + "sources/") and not name.endswith(".yaml")


def attachment_chunks(spec, name: str) -> Iterator[bytes]:
    """An attachment's content, a megabyte at a time, within the limit for its kind. Its file specification
    names one embedded file (as /F and /UF alike): readers take one or the other."""
    import pikepdf

    embedded = spec.obj.get(pikepdf.Name.EF)
    files = {(value.objgen if isinstance(value, pikepdf.Object) else None) for value in embedded.values()} \
        if isinstance(embedded, pikepdf.Dictionary) else set()
    if len(files) != 1 or None in files or (0, 0) in files \
            or not set(embedded.keys()) <= {"/F", "/UF"}:
        raise ValueError("its file specification does not name one embedded file")
    return stream_chunks(spec.get_file().obj, attachment_limit(name))


def stream_chunks(stream, limit: int) -> Iterator[bytes]:
    """A PDF stream's content, a megabyte at a time, inflated within `limit` (a small stream can inflate to
    gigabytes); ValueError when it is larger or encoded in a way appeal-archive never writes."""
    import pikepdf

    filters = stream.get(pikepdf.Name.Filter)
    raw = stream.read_raw_bytes()
    if filters is None:
        if len(raw) > limit:
            raise ValueError(f"it holds more than {limit:,} bytes")
        yield raw
        return
    if filters not in (pikepdf.Name.FlateDecode, pikepdf.Array([pikepdf.Name.FlateDecode])) \
            or pikepdf.Name.DecodeParms in stream:
        raise ValueError(f"it is encoded with {filters}, which appeal-archive never writes")
    inflater, total, pending = zlib.decompressobj(), 0, raw
    while True:
        try:
            chunk = inflater.decompress(pending, 1 << 20)
        except zlib.error as error:
            raise ValueError(f"its compressed data is damaged ({error})") from error
        total += len(chunk)
        if total > limit:
            raise ValueError(f"it inflates to more than {limit:,} bytes")
        if chunk:
            yield chunk
        pending = inflater.unconsumed_tail
        if inflater.eof or not (pending or chunk):
            break
    if not inflater.eof:
        raise ValueError("its compressed data is cut short")


def attachment_bytes(spec, name: str) -> bytes:
    return b"".join(attachment_chunks(spec, name))


# --- one file, against what the manifest expects --------------------------------------------------------


def yaml_problem(name: str, content: bytes, expected: str) -> str | None:
    """Whether a record's YAML holds the data whose canonical JSON has the manifest's SHA-256, read one way by
    every YAML reader: a repeated key, an alias or another YAML-level error is refused, as validate refuses it."""
    loaded = loader.load(content, text_checks=False)
    refused = next((issue for issue in loaded.issues if issue.severity == "error"), None)
    if refused is not None:
        return f"{name} is not YAML a record may be ({refused.code}: {refused.message})"
    data = loaded.data
    try:
        found = digest(data) if data is not None else None
    except Exception:  # noqa: BLE001 - data no canonical JSON can hold (a float, a huge integer)
        found = None
    return None if found == expected else f"the data of {name} does not hash to {expected}"


def bytes_problem(name: str, content: bytes, expected: str) -> str | None:
    return None if hashlib.sha256(content).hexdigest() == expected else f"{name} does not hash to {expected}"


# --- the records of a large set, in its two ZIPs, checked by forked workers --------------------------------
_MISSING = -1


class _ZippedRecords(NamedTuple):
    """What the workers inherit (workers.py): flat arrays and the ZIP's bytes, which they only read; reading
    Python objects would copy the pages they sit on into every worker."""

    zip: bytes
    offsets: Any  # array("q"): each record's member's offset in the ZIP, or _MISSING
    sizes: Any  # array("q")
    expected: bytes  # each record's SHA-256, 32 bytes each
    paths: list[str]


def _records_job(shared: _ZippedRecords, span: tuple[int, int]) -> tuple[list[tuple[int, str]], bytes]:
    """For records start..stop: (index, problem) for each whose YAML's data does not hash to its entry, and
    the SHA-256 of each one's YAML file."""
    data, offsets, sizes, expected = shared.zip, shared.offsets, shared.sizes, shared.expected
    problems, digests = [], bytearray()
    for index in range(*span):
        if offsets[index] == _MISSING:
            problems.append((index, "is missing from the PDF"))
            digests += bytes(32)
            continue
        try:
            content = layout.zip_member_bytes(data, layout.ZipMember(layout.record_file(shared.paths[index]),
                                                                     offsets[index], sizes[index]))
        except ValueError as error:
            problems.append((index, str(error)))
            digests += bytes(32)
            continue
        sha256 = expected[index * 32:index * 32 + 32].hex()
        if yaml_problem("", content, sha256):
            problems.append((index, f"its data does not hash to {sha256}"))
        digests += hashlib.sha256(content).digest()
    return problems, bytes(digests)


def _pair(names: Iterator[str], members: Iterator[layout.ZipMember], place) -> dict[str, layout.ZipMember]:
    """Give each expected name (by its index) its member, walking both in step (a build writes them in the
    same order); members out of order wait in a dictionary, and what is left at the end are strays."""
    waiting: dict[str, layout.ZipMember] = {}
    for index, name in enumerate(names):
        if name in waiting:
            place(index, waiting.pop(name))
            continue
        for member in members:
            if member.name == name:
                place(index, member)
                break
            waiting[member.name] = member
    waiting.update((member.name, member) for member in members)
    return waiting


def _check_zipped_records(specs: dict, manifest: dict[str, Any], report: VerifyReport,
                          rebuild: RebuildFolder | None) -> tuple[str, dict[str, bytes], dict[str, bytes | None]]:
    """Every record's two files in the ZIPs, against the manifest: canonical.zip's here (each member's bytes
    hash to its entry), then records.zip's in forked workers (each member's data does), one ZIP in memory at
    a time. Returns the root the manifest's entries give, the SHA-256 of each record's YAML by name, and the
    members no record accounts for, by name (archive.yaml with its bytes, the rest unread)."""
    from array import array

    paths = [entry["path"] for entry in manifest["records"]]
    strays: dict[str, bytes | None] = {}
    json_zip, yaml_zip = layout.ZIPS_BY_FOLDER[layout.CANONICAL], layout.ZIPS_BY_FOLDER[layout.RECORDS]
    data = _zip_attachment(specs, json_zip, report)
    if data is not None:
        found = bytearray(len(paths))

        def check_json(index: int, member: layout.ZipMember, data: bytes = data) -> None:
            found[index] = 1
            try:
                problem = bytes_problem(member.name, layout.zip_member_bytes(data, member),
                                        manifest["records"][index]["sha256"])
            except ValueError as error:
                problem = str(error)
            if problem:
                report.fail("attach.hash-mismatch", problem, "the attachment was replaced")

        problems: list[str] = []
        strays.update((name, None) for name in _pair(map(layout.canonical_file, paths),
                                                     layout.zip_members(json_zip, data, problems), check_json))
        _bundle_problems(report, problems)
        _missing(report, (layout.canonical_file(paths[index]) for index, seen in enumerate(found) if not seen))
        _write_members(rebuild, json_zip, data)
        del data
    data = _zip_attachment(specs, yaml_zip, report)
    if data is None:
        return _root(manifest), {}, strays
    offsets, sizes = array("q", [_MISSING]) * len(paths), array("q", [0]) * len(paths)

    def place(index: int, member: layout.ZipMember) -> None:
        offsets[index], sizes[index] = member.offset, member.size

    problems = []
    left = _pair(map(layout.record_file, paths), layout.zip_members(yaml_zip, data, problems), place)
    _bundle_problems(report, problems)
    strays.update((name, layout.zip_member_bytes(data, member) if name == layout.CONFIG else None)
                  for name, member in left.items())
    _write_members(rebuild, yaml_zip, data)
    shared = _ZippedRecords(data, offsets, sizes,
                            b"".join(bytes.fromhex(entry["sha256"]) for entry in manifest["records"]), paths)
    spans = [(start, min(start + 2000, len(paths))) for start in range(0, len(paths), 2000)]
    jobs = min(usable_cores(), 8) if len(paths) > PARALLEL_MEMBERS else 1
    root, done = forked_map(_records_job, shared, spans, jobs, alongside=lambda: _root(manifest))
    digests = {}
    for (start, _), (failed, yaml_digests) in zip(spans, done, strict=True):
        for index, problem in failed:
            name = layout.record_file(paths[index])
            report.fail("attach.hash-mismatch", f"{name}: {problem}", "the attachment was replaced or removed")
        for offset in range(0, len(yaml_digests), 32):
            if yaml_digests[offset:offset + 32] != bytes(32):
                digests[layout.record_file(paths[start + offset // 32])] = yaml_digests[offset:offset + 32]
    return root, digests, strays


def _zip_attachment(specs: dict, name: str, report: VerifyReport) -> bytes | None:
    if name not in specs:
        return None
    try:
        return attachment_bytes(specs[name], name)
    except Exception as error:  # noqa: BLE001 - a hostile attachment is a failed check
        report.fail("attach.bundle-invalid", f"the attachment {name} cannot be read: {plain_message(error)}",
                    "the file was altered")
        return None


def _bundle_problems(report: VerifyReport, problems: list[str]) -> None:
    for problem in problems:
        report.fail("attach.bundle-invalid", problem, "the archive inside the PDF was altered")


def _missing(report: VerifyReport, names) -> None:
    for name in names:
        report.fail("attach.hash-mismatch", f"{name} is missing from the PDF", "an attachment was removed")


def _write_members(rebuild: RebuildFolder | None, zip_name: str, data: bytes) -> None:
    if rebuild is not None:
        for name, content in layout.unzip_members(zip_name, data, []):
            _keep(content, rebuild, name)


def _root(manifest: dict[str, Any]) -> str:
    return manifest_root(manifest)


# --- the whole set ------------------------------------------------------------------------------------


class Attached(NamedTuple):
    """What the checked attachments hold that the rest of verify reads: the manifest, the archive's settings
    (archive.yaml, attached on its own or inside records.zip) as signed, or None when they are missing, and the
    verifier page."""

    manifest: dict[str, Any]
    config: bytes | None
    verifier: bytes | None  # the verifier page, which a signed build attaches


def check_attachments(pdf, report: VerifyReport, pdf_name: str, records: Path | None) -> Attached | None:
    """The attached manifest is readable and its root recomputes; every attachment re-hashes to it, and the
    PDF carries nothing else. `records`, when given (for --rebuild), receives the record files."""
    problem = _name_tree_problem(pdf)
    if problem:
        report.fail("attach.unexpected", f"the list of attachments {problem}", "the file was made to show one "
                    "reader other attachments than another")
        return None
    specs = dict(pdf.attachments.items())
    manifest = _attached_manifest(specs, report)
    if manifest is None:
        return None
    documents = {layout.record_file(entry["path"]): entry["sha256"] for entry in manifest["source_documents"]}
    rebuild = RebuildFolder(records, frozenset({layout.CONFIG, *documents, *(
        layout.record_file(entry["path"]) for entry in manifest["records"])})) if records is not None else None
    files: dict[str, bytes] = {}  # attached files (not ZIPs), by name; documents only hashed
    kept = 0
    for name in sorted(specs):
        try:
            if name in documents or is_document(name):
                digest_hex = _hash_chunks(attachment_chunks(specs[name], name), rebuild, name)
                report.attachment_digests[name] = bytes.fromhex(digest_hex)
                if name not in documents or digest_hex != documents[name]:
                    _mismatch(report, name, documents.get(name))
            elif name not in layout.ZIPS and name != layout.MANIFEST:  # the manifest was read and hashed above
                files[name] = attachment_bytes(specs[name], name)
                kept += len(files[name])
                if kept > MAX_LOOSE_BYTES:
                    raise ValueError(f"the loose attachments hold more than {MAX_LOOSE_BYTES:,} bytes in all")
                _keep(files[name], rebuild, name)
        except Exception as error:  # noqa: BLE001 - a hostile attachment is a failed check
            report.fail("attach.hash-mismatch", f"the attachment {name} cannot be read: {plain_message(error)}",
                        "the file was altered")
    if any(name in layout.ZIPS for name in specs):
        _missing(report, (name for name in layout.ZIPS if name not in specs))  # a large set carries both
        root, digests, strays = _check_zipped_records(specs, manifest, report, rebuild)
        report.attachment_digests.update(digests)
        for name, content in strays.items():  # only archive.yaml is read; the rest is named
            files.setdefault(name, content or b"")
    else:
        root = _root(manifest)
        _check_loose_records(files, manifest, report)
    check_root(report, manifest, root, "manifest.root-mismatch", "the manifest's entries")
    proof = layout.consistency_proof(manifest)
    for name, content in files.items():  # what is left: archive.yaml, the proof, the page, and what should not be
        report.attachment_digests.setdefault(name, hashlib.sha256(content).digest())
        if name == layout.CONSISTENCY_PROOF and proof is not None:
            if content != layout.proof_bytes(proof):
                report.fail("edition.proof-invalid", f"the attachment {name} is not the consistency proof the "
                            "manifest states", "the attachment was altered")
        elif name not in (layout.CONFIG, layout.VERIFIER_PAGE):  # the page's hash is on the cover (pdf.py)
            report.fail("attach.unexpected", f"the attachment {name} is not in the manifest",
                        "an attachment was added after the archive was made")
    proof_file = [layout.CONSISTENCY_PROOF] if proof is not None else []
    for name in sorted({layout.CONFIG, *documents, *proof_file} - set(report.attachment_digests)):
        report.fail("attach.hash-mismatch", f"{name} is missing from the PDF", "an attachment was removed")
    if not any(issue.code.startswith("attach.") for issue in report.issues):
        report.passed("integrity", f"all {len(report.attachment_digests)} attached files re-hash to the manifest")
    report.cover(*(f"{pdf_name}#{name}" for name in sorted(specs)))
    return Attached(manifest, files.get(layout.CONFIG), files.get(layout.VERIFIER_PAGE))


def _name_tree_problem(pdf) -> str | None:
    """What makes the tree of attachments read differently by different readers: a node with both names and
    kids (pikepdf reads the names alone, others both), or one deeper than any a build writes."""
    import pikepdf

    names = pdf.Root.get(pikepdf.Name.Names)
    nodes = [(names.get(pikepdf.Name.EmbeddedFiles), 0)] if isinstance(names, pikepdf.Dictionary) else []
    while nodes:
        node, depth = nodes.pop()
        if node is None:
            continue
        if not isinstance(node, pikepdf.Dictionary) or depth > 16:
            return "is damaged"
        if pikepdf.Name.Names in node and pikepdf.Name.Kids in node:
            return "has a node with both names and kids"
        kids = node.get(pikepdf.Name.Kids)
        nodes += [(kid, depth + 1) for kid in kids] if isinstance(kids, pikepdf.Array) else []
    return None


def _check_loose_records(files: dict[str, bytes], manifest: dict[str, Any], report: VerifyReport) -> None:
    """A small set's records, each attached on its own: checked here and taken out of `files`."""
    for entry in manifest["records"]:
        for name, problem_of in ((layout.record_file(entry["path"]), yaml_problem),
                                 (layout.canonical_file(entry["path"]), bytes_problem)):
            content = files.pop(name, None)
            if content is None:
                report.fail("attach.hash-mismatch", f"{name} is missing from the PDF", "an attachment was removed")
                continue
            if name.startswith(layout.RECORDS):
                report.attachment_digests[name] = hashlib.sha256(content).digest()
            problem = problem_of(name, content, entry["sha256"])
            if problem:
                report.fail("attach.hash-mismatch", problem, "the attachment was replaced")


def _mismatch(report: VerifyReport, name: str, expected: str | None) -> None:
    if expected is None:
        report.fail("attach.unexpected", f"the attachment {name} is not in the manifest",
                    "an attachment was added after the archive was made")
    else:
        report.fail("attach.hash-mismatch", f"{name} does not hash to {expected}", "the attachment was replaced")


def _keep(content: bytes, rebuild: RebuildFolder | None, name: str) -> None:
    _hash_chunks([content], rebuild, name)


class RebuildFolder(NamedTuple):
    """Where --rebuild receives the record files: a scratch folder, and the only names written there, those the
    manifest accounts for. An attachment named '../../.bashrc' is never written anywhere."""

    root: Path
    names: frozenset[str]

    def path_of(self, name: str) -> Path | None:
        if name not in self.names:
            return None
        path = self.root.joinpath(*name.removeprefix(layout.RECORDS).split("/"))
        return path if path.resolve().is_relative_to(self.root.resolve()) else None


def _hash_chunks(chunks, rebuild: RebuildFolder | None, name: str) -> str:
    """SHA-256 of a file given in pieces, which are also written into the rebuild folder when there is one."""
    hasher = hashlib.sha256()
    target = None
    path = rebuild.path_of(name) if rebuild is not None else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = open(path, "wb")  # noqa: SIM115 - closed below, after the last piece
    try:
        for chunk in chunks:
            hasher.update(chunk)
            if target is not None:
                target.write(chunk)
    finally:
        if target is not None:
            target.close()
    return hasher.hexdigest()


def _attached_manifest(specs: dict, report: VerifyReport) -> dict[str, Any] | None:
    if layout.MANIFEST not in specs:
        report.fail("attach.manifest-missing", f"the file has no {layout.MANIFEST} attachment",
                    "this is not an appeal-archive file, or its manifest was removed")
        return None
    try:
        raw = attachment_bytes(specs[layout.MANIFEST], layout.MANIFEST)
        report.attachment_digests[layout.MANIFEST] = hashlib.sha256(raw).digest()
        manifest = parse_json(raw)
        del raw  # 57 MB at 100,000 signatories, not to be held while the records are checked
        problem = manifest_shape_problem(manifest)
        if problem:
            raise BadJson(problem)
    except (BadJson, ValueError) as error:
        report.fail("attach.manifest-invalid", f"the attached manifest is not one appeal-archive wrote: {error}",
                    "the manifest attachment was damaged or replaced")
        return None
    return manifest
