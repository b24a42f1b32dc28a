"""Verifying the JSON-LD bundle: its detached CAdES signature beside it (with the signature's time stamp
inside it), and the root its record hashes give.

The bundle is read as appeal-archive writes it, one node per line, and never parsed whole: a bundle of
100,000 signatories is 150 MB of JSON, many times that as Python objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from appeal_archive import layout
from appeal_archive.files import FileRefused
from appeal_archive.ledger.leaves import document_entry, record_entry
from appeal_archive.ledger.lineage import MAX_PROOF_BYTES
from appeal_archive.ledger.manifest import manifest_root, manifest_shape_problem
from appeal_archive.quiet import quiet_pyhanko
from appeal_archive.records.types import type_of_folder
from appeal_archive.verify.inputs import BadJson, open_input, parse_json, read_input
from appeal_archive.verify.records import check_root, compare_records
from appeal_archive.verify.report import VerifyReport
from appeal_archive.verify.signature import Judging, check_detached_cms
from appeal_archive.views.registry import signature_of

GRAPH_START = b'  "@graph": ['


def verify_bundle(path: Path, records_dir: Path | None = None, judging: Judging | None = None) -> VerifyReport:
    """Verify a JSON-LD bundle: its signature and the signature's time stamp, and the root its record hashes
    give."""
    judging = judging or Judging()
    report = VerifyReport(str(path))
    try:
        with open_input(path, layout.MAX_BUNDLE_BYTES) as (stream, _size):
            _verify_open_bundle(path, stream, report, records_dir, judging)
    except FileRefused as refused:
        report.fail("file.too-large", f"{refused.issue.message}", "this is not a bundle appeal-archive made")
    return report


def _verify_open_bundle(path: Path, stream: BinaryIO, report: VerifyReport, records_dir: Path | None,
                        judging: Judging) -> None:
    quiet_pyhanko()
    report.cover(path.name)
    if judging.at is not None:
        report.fail("verify.at-not-applied", "--at judges PDF signatures only: the bundle's CAdES signature carries "
                    "no validation data to judge it at another date, and was judged as of now", "verify the PDF "
                    "--at that date; it carries the same records and its signature carries its validation data",
                    severity="warning")
    signature = path.with_name(signature_of(path.name))
    if signature.exists() or signature.is_symlink():
        report.cover(signature.name)
        check_detached_cms(stream, _small_file(signature, report), signature.name, report, judging)
    else:
        report.fail("sig.missing", f"there is no signature {signature.name} beside the bundle",
                    "keep the .p7s file next to the bundle it signs")
    stream.seek(0)
    try:
        manifest = bundle_manifest(stream)
    except BadJson as error:
        report.fail("bundle.unreadable", f"the bundle is not a JSON-LD document appeal-archive made: {error}",
                    "the file was damaged or replaced")
        return
    report.manifest = manifest
    check_root(report, manifest, manifest_root(manifest), "bundle.root-mismatch",
               f"the {len(manifest['records'])} record hashes in the bundle")
    beside = path.with_name(layout.MANIFEST)
    if beside.exists() or beside.is_symlink():
        report.cover(beside.name)
        _same_manifest(report, beside, manifest)
    proof_beside, proof = path.with_name(layout.CONSISTENCY_PROOF), layout.consistency_proof(manifest)
    if proof_beside.exists() or proof_beside.is_symlink():
        try:
            same = proof is not None and read_input(proof_beside, MAX_PROOF_BYTES) == layout.proof_bytes(proof)
        except FileRefused:
            same = False
        if same:
            report.cover(proof_beside.name)
            report.passed("integrity", f"{proof_beside.name} beside it is the consistency proof the bundle states")
        else:
            report.fail("edition.proof-invalid", f"{proof_beside.name} beside it is not the consistency proof the "
                        "bundle states", "the file beside the bundle was replaced or altered")
    if records_dir is not None:
        compare_records(manifest, records_dir, report)


def _small_file(path: Path, report: VerifyReport) -> bytes:
    try:
        return read_input(path, layout.MAX_SIGNATURE_BYTES)
    except FileRefused as refused:
        report.fail("file.too-large", f"{path.name} {refused.issue.message}",
                    "it is not a signature appeal-archive made")
        return b""


def bundle_manifest(stream: BinaryIO) -> dict[str, Any]:
    """The manifest entries and root the bundle states, rebuilt from its nodes, read one line at a time."""
    from appeal_archive.verify.inputs import parse_json

    records, documents, withheld, roots, facts = [], [], [], [], {}
    earlier: list[dict[str, Any]] = []
    extended: list[dict[str, Any]] = []
    for line in _graph_lines(stream):
        node = parse_json(line)
        if not isinstance(node, dict):
            raise BadJson("a node of its graph is not an object")
        if "recordPath" in node:
            path = node["recordPath"]
            record_type = type_of_folder(path.split("/", 1)[0]) if isinstance(path, str) else None
            entry = record_entry(path, node.get("identifier"), record_type, node.get("recordSha256"),
                                 node.get("recordSalt"))
            records.append(_placed(entry, node.get("leafIndex")))
        if "documentPath" in node:
            documents.append(_placed(document_entry(node["documentPath"], node.get("sha256"), node.get("documentSalt")),
                                     node.get("documentLeafIndex")))
        if "earlierPath" in node:
            earlier.append({"index": node.get("leafIndex"), "leaf": node.get("leafHash"),
                            "path": node["earlierPath"], "status": node.get("leafStatus"),
                            "reason": node.get("changeReason"), "by": node.get("supersededBy"),
                            "marked_in": node.get("markedIn")})
        elif "leafHash" in node:
            withheld.append({"index": node.get("leafIndex"), "leaf": node["leafHash"],
                             **({"status": node["leafStatus"], "marked_in": node.get("markedIn")}
                                if "leafStatus" in node else {})})
        if "editionRoot" in node:
            extended.append({"archival_id": node.get("identifier"), "edition": node.get("editionKind"),
                             "number": node.get("editionNumber"),
                             "tree_size": node.get("editionTreeSize"), "root": node["editionRoot"],
                             "signed_at": node.get("signedAt"), "sha256": node.get("sha256"),
                             "proof": node.get("consistencyProof")})
        if "rootHash" in node:
            roots.append(node["rootHash"])
            facts = {"archival_id": node.get("identifier"), "manifest_version": node.get("manifestVersion"),
                     "edition": node.get("edition"), "tree_size": node.get("treeSize")}
            if "protectedLeafCount" in node:
                protected = node.get("protectedLeaf", [])
                protected = [protected] if isinstance(protected, int) and not isinstance(protected, bool) else protected
                facts["protected"] = sorted(protected) if isinstance(protected, list) and all(
                    isinstance(index, int) for index in protected) and len(protected) == node["protectedLeafCount"] \
                    else "not a list of places"
    if len(roots) != 1:
        raise BadJson(f"{len(roots)} nodes state a rootHash; the record set's node states one")
    if facts.get("manifest_version") == 1:  # made before salts: unsalted entries, no tree
        records, documents = ([{key: value for key, value in entry.items() if key not in ("salt", "index")}
                               for entry in entries] for entries in (records, documents))
    withheld.sort(key=_index)  # nodes sort by @id
    if len(extended) > 1:
        raise BadJson(f"{len(extended)} nodes name an edition this one extends; an edition extends one")
    manifest = {**facts, "records": records, "source_documents": documents, "withheld": withheld,
                **({"earlier": sorted(earlier, key=_index)} if earlier or extended else {}),
                **({"extends": extended[0]} if extended else {}), "root": roots[0]}
    problem = manifest_shape_problem(manifest)
    if problem:
        raise BadJson(problem)
    return manifest


def _index(item: dict[str, Any]) -> int:
    return item["index"] if isinstance(item["index"], int) else -1


def _placed(entry: dict[str, Any], index: Any) -> dict[str, Any]:
    return {**entry, "index": index}


def _graph_lines(stream: BinaryIO):
    """The lines of the bundle's @graph, each one node: the form `jsonld.write_bundle` writes."""
    for line in iter(lambda: stream.readline(layout.MAX_BUNDLE_LINE + 1), b""):
        if len(line) > layout.MAX_BUNDLE_LINE:
            raise BadJson("a line is longer than any node appeal-archive writes")
        if line.rstrip(b"\n") == GRAPH_START:
            break
    else:
        raise BadJson("it has no @graph of one node per line")
    for line in iter(lambda: stream.readline(layout.MAX_BUNDLE_LINE + 1), b""):
        if len(line) > layout.MAX_BUNDLE_LINE:
            raise BadJson("a line is longer than any node appeal-archive writes")
        text = line.strip()
        if text == b"]":
            return
        yield text.removesuffix(b",")
    raise BadJson("its @graph never ends")


def _same_manifest(report: VerifyReport, manifest_file: Path, stated: dict[str, Any]) -> None:
    """The manifest.json beside the bundle is, in the very form a build writes it, the manifest the bundle
    states: the same records, documents, root and archival id."""
    try:
        raw = read_input(manifest_file, layout.MAX_MANIFEST_BYTES)
        found = parse_json(raw)
        exact = raw in layout.manifest_forms(found) and not manifest_shape_problem(found)
    except (BadJson, FileRefused, ValueError, TypeError):
        found, exact = None, False

    def entries(manifest: dict[str, Any], kind: str) -> list:
        return sorted(tuple(sorted(entry.items())) for entry in manifest[kind])

    agrees = exact and found["root"] == stated["root"] and found.get("archival_id") == stated.get("archival_id") \
        and all(entries(found, kind) == entries(stated, kind) for kind in ("records", "source_documents")) \
        and all(found.get(key) == stated.get(key) for key in ("manifest_version", "edition", "tree_size", "withheld",
                                                                  "earlier", "extends", "protected"))
    if not agrees:
        report.fail("bundle.manifest-mismatch", f"{manifest_file.name} beside it is not, in the form a build writes, "
                    "the manifest the bundle states", "the bundle and the manifest come from different builds, or "
                    "one was altered")
    else:
        report.passed("integrity", f"{manifest_file.name} beside it is the manifest the bundle states")
