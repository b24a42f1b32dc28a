"""The PDF's attachments against its attached manifest: every record as YAML (its data hashes to the entry)
and as canonical JSON (its bytes do), every source document, and nothing else.

Attachments are read one at a time and inflated within the limit for their kind. Large sets carry their
records in two ZIPs of 100,000s of members; those members are checked by forked worker processes, which
share the ZIPs' bytes with this one instead of receiving copies.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .. import layout, loader
from ..canonical import digest, leaf, root_hash
from ..manifest import manifest_shape_problem
from .inputs import BadJson, parse_json
from .records import check_root
from .report import VerifyReport
from .signature import plain_message

PARALLEL_MEMBERS = 4000  # records; fewer are checked in this process, where starting workers costs more


def attachment_limit(name: str) -> int:
    if name == layout.MANIFEST:
        return layout.MAX_MANIFEST_BYTES
    if name in layout.ZIPS:
        return layout.MAX_ZIP_BYTES
    return layout.MAX_DOCUMENT_BYTES if is_document(name) else layout.MAX_MEMBER_BYTES


def is_document(name: str) -> bool:
    return name.startswith(layout.RECORDS + "sources/") and not name.endswith(".yaml")


def attachment_chunks(spec, name: str) -> Iterator[bytes]:
    """An attachment's content, a megabyte at a time, inflated within its limit (a small stream can inflate
    to gigabytes); ValueError when it is larger or encoded in a way appeal-archive never writes."""
    import pikepdf

    stream = spec.get_file().obj
    limit = attachment_limit(name)
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


def expected_digests(manifest: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each file the manifest accounts for: (how it is hashed, the SHA-256 it must give)."""
    expected = {}
    for entry in manifest["records"]:
        expected[layout.record_file(entry["path"])] = ("yaml", entry["sha256"])
        expected[layout.canonical_file(entry["path"])] = ("bytes", entry["sha256"])
    for entry in manifest["source_documents"]:
        expected[layout.record_file(entry["path"])] = ("bytes", entry["sha256"])
    expected[layout.MANIFEST] = expected[layout.CONFIG] = ("signed", "")
    return expected


def file_problem(name: str, content: bytes | None, sha256: str, wanted: tuple[str, str] | None) -> str | None:
    """What is wrong with one attached file, or None. `content` is None for a document, which is only hashed."""
    if wanted is None:
        return "unexpected"
    kind, expected = wanted
    if kind == "yaml":
        data = loader.load(content, text_checks=False).data
        try:
            found = digest(data) if data is not None else None
        except Exception:  # noqa: BLE001 - data no canonical JSON can hold (a float, a huge integer)
            found = None
        return None if found == expected else f"the data of {name} does not hash to {expected}"
    if kind == "bytes" and sha256 != expected:
        return f"{name} does not hash to {expected}"
    return None


def _checked(name: str, content: bytes, expected: dict) -> tuple[str, str, str | None]:
    sha256 = hashlib.sha256(content).hexdigest()
    return name, sha256, file_problem(name, content, sha256, expected.get(name))


# Set before the workers fork: they read the ZIPs and the work lists from here, and receive only ranges.
_shared: dict[str, Any] = {}


def _member_bytes(zip_name: str, member: layout.ZipMember | None, results: list) -> bytes | None:
    if member is None:
        return None
    try:
        return layout.zip_member_bytes(_shared["zips"][zip_name], member)
    except ValueError as error:
        results.append((member.name, "", f"{zip_name}: {error}"))
        return None


def _records_job(span: tuple[int, int]) -> list:
    """For each record: its YAML's data hashes to the manifest's entry, and so do its canonical JSON's bytes."""
    results: list = []
    yaml_zip, json_zip = layout.ZIPS_BY_FOLDER[layout.RECORDS], layout.ZIPS_BY_FOLDER[layout.CANONICAL]
    for expected, yaml_member, json_member in _shared["pairs"][span[0]:span[1]]:
        canonical = _member_bytes(json_zip, json_member, results)
        if canonical is not None:
            sha256 = hashlib.sha256(canonical).hexdigest()
            results.append((json_member.name, "", file_problem(json_member.name, canonical, sha256,
                                                               ("bytes", expected))))
        text = _member_bytes(yaml_zip, yaml_member, results)
        if text is not None:
            results.append((yaml_member.name, hashlib.sha256(text).hexdigest(),
                            file_problem(yaml_member.name, text, "", ("yaml", expected))))
    return results


def _others_job(span: tuple[int, int]) -> list:
    """Members that are not one of a record's two files: archive.yaml, and whatever should not be there."""
    results: list = []
    for zip_name, member, wanted in _shared["others"][span[0]:span[1]]:
        content = _member_bytes(zip_name, member, results)
        if content is not None:
            sha256 = hashlib.sha256(content).hexdigest()
            results.append((member.name, sha256, file_problem(member.name, content, sha256, wanted)))
    return results


def _leaves_job(span: tuple[int, int]) -> list[str]:
    return [leaf(entry) for entry in _shared["entries"][span[0]:span[1]]]


def _spans(count: int, size: int = 4000) -> list[tuple[int, int]]:
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _run(jobs: list[tuple[Any, tuple[int, int]]], parallel: bool) -> list:
    """Each job's result, in order: in forked workers (which inherit `_shared`) when parallel."""
    if not (parallel and "fork" in multiprocessing.get_all_start_methods() and len(os.sched_getaffinity(0)) > 1):
        return [function(span) for function, span in jobs]
    with ProcessPoolExecutor(min(len(os.sched_getaffinity(0)), 8), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(function, span) for function, span in jobs]
        return [future.result() for future in futures]


def _check_zips(zips: dict[str, bytes], manifest: dict[str, Any], expected: dict,
                problems: list[str]) -> tuple[str, list]:
    """The root the manifest's entries give, and each ZIP member's (name, SHA-256, problem)."""
    members: dict[str, tuple[str, layout.ZipMember]] = {}
    for zip_name, data in zips.items():
        members.update((member.name, (zip_name, member)) for member in layout.zip_members(zip_name, data, problems))
    pairs = []
    for entry in manifest["records"]:
        yaml_name, json_name = layout.record_file(entry["path"]), layout.canonical_file(entry["path"])
        if yaml_name in members or json_name in members:
            pairs.append((entry["sha256"], members.pop(yaml_name, (None, None))[1],
                          members.pop(json_name, (None, None))[1]))
    others = [(zip_name, member, expected.get(name)) for name, (zip_name, member) in members.items()]
    entries = manifest["records"] + manifest["source_documents"]
    _shared.update(zips=zips, pairs=pairs, others=others, entries=entries)
    leaf_spans = _spans(len(entries), 20_000)
    jobs = ([(_leaves_job, span) for span in leaf_spans] + [(_records_job, span) for span in _spans(len(pairs))]
            + [(_others_job, (0, len(others)))])
    try:
        done = _run(jobs, parallel=len(entries) > PARALLEL_MEMBERS)
    finally:
        _shared.clear()
    leaves = [found for batch in done[:len(leaf_spans)] for found in batch]
    return root_hash(leaves), [result for batch in done[len(leaf_spans):] for result in batch]


# --- the whole set ------------------------------------------------------------------------------------


def check_attachments(pdf, report: VerifyReport, pdf_name: str, records: Path | None) -> dict[str, Any] | None:
    """The attached manifest is readable and its root recomputes; every attachment re-hashes to it, and the
    PDF carries nothing else. `records`, when given (for --rebuild), receives the record files."""
    specs = dict(pdf.attachments.items())
    manifest = _attached_manifest(specs, report)
    if manifest is None:
        return None
    expected = expected_digests(manifest)
    results, zips, problems = [], {}, []
    for name in sorted(specs):
        try:
            if is_document(name):
                sha256 = _hash_chunks(attachment_chunks(specs[name], name), records, name)
                results.append((name, sha256, file_problem(name, None, sha256, expected.get(name))))
            elif name in layout.ZIPS:
                zips[name] = attachment_bytes(specs[name], name)
            else:
                content = attachment_bytes(specs[name], name)
                _keep(content, records, name)
                results.append(_checked(name, content, expected))
        except Exception as error:  # noqa: BLE001 - a hostile attachment is a failed check
            code = "attach.bundle-invalid" if name in layout.ZIPS else "attach.hash-mismatch"
            report.fail(code, f"the attachment {name} cannot be read: {plain_message(error)}", "the file was altered")
    if records is not None:
        for zip_name, data in zips.items():
            for member, content in layout.unzip_members(zip_name, data, []):
                _keep(content, records, member)
    root, zipped = _check_zips(zips, manifest, expected, problems)
    check_root(report, manifest, root, "manifest.root-mismatch", "the manifest's entries")
    results += zipped
    zips.clear()
    for problem in problems:
        report.fail("attach.bundle-invalid", problem, "the archive inside the PDF was altered")
    _judge(report, results, expected)
    report.cover(*(f"{pdf_name}#{name}" for name in sorted(specs)))
    return manifest


def _judge(report: VerifyReport, results: list[tuple[str, str, str | None]], expected: dict) -> None:
    seen: set[str] = set()
    failures = 0
    for name, sha256, problem in results:
        if name in seen:
            problem = f"{name} is carried twice"
        seen.add(name)
        if sha256:
            report.attachment_digests[name] = bytes.fromhex(sha256)
        if problem == "unexpected":
            report.fail("attach.unexpected", f"the attachment {name} is not in the manifest",
                        "an attachment was added after the archive was made")
        elif problem:
            report.fail("attach.hash-mismatch", problem, "the attachment was replaced")
        failures += problem is not None
    for name in sorted(set(expected) - seen):
        failures += 1
        report.fail("attach.hash-mismatch", f"{name} is missing from the PDF", "an attachment was removed")
    if not failures and not report.failed("attach.bundle-invalid"):
        report.passed("integrity", f"all {len(seen)} attached files re-hash to the manifest")


def _keep(content: bytes, records: Path | None, name: str) -> None:
    _hash_chunks([content], records, name)


def _hash_chunks(chunks, records: Path | None, name: str) -> str:
    """SHA-256 of a file given in pieces, which are also written into `records` (for --rebuild) when given."""
    hasher = hashlib.sha256()
    target = None
    if records is not None and name.startswith(layout.RECORDS):
        path = records.joinpath(*name.removeprefix(layout.RECORDS).split("/"))
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
        manifest = parse_json(attachment_bytes(specs[layout.MANIFEST], layout.MANIFEST))
        problem = manifest_shape_problem(manifest)
        if problem:
            raise BadJson(problem)
    except (BadJson, ValueError) as error:
        report.fail("attach.manifest-invalid", f"the attached manifest is not one appeal-archive wrote: {error}",
                    "the manifest attachment was damaged or replaced")
        return None
    return manifest
