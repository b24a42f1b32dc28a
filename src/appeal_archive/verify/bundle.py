"""Verifying the JSON-LD bundle: its detached CMS signature (and time stamp) beside it, and the root its
record hashes give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import layout
from ..canonical import document_entry, record_entry
from ..manifest import manifest_root
from ..schema import FOLDER_TYPES
from .inputs import read_input, read_json
from .records import check_root, compare_records
from .report import VerifyReport
from .signature import check_detached_cms, check_timestamp_token, quiet_pyhanko


def verify_bundle(path: Path, records_dir: Path | None = None, trust_roots: list[Path] = ()) -> VerifyReport:
    """Verify a JSON-LD bundle: its signature (and time stamp), and the root its record hashes give."""
    data = read_input(path)
    report = VerifyReport(str(path))
    quiet_pyhanko()
    report.cover(path.name)
    signature = path.with_name(layout.signature_of(path.name))
    if signature.exists():
        report.cover(signature.name)
        check_detached_cms(data, read_input(signature), signature.name, report, list(trust_roots))
    else:
        report.fail("sig.missing", f"there is no signature {signature.name} beside the bundle",
                    "keep the .p7s file next to the bundle it signs")
    token = path.with_name(layout.timestamp_of(path.name))
    if token.exists():
        report.cover(token.name)
        check_timestamp_token(data, read_input(token), token.name, report, list(trust_roots))
    try:
        manifest = bundle_manifest(json.loads(data))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        report.fail("bundle.unreadable", f"the bundle is not a JSON-LD document appeal-archive made: {error}",
                    "the file was damaged or replaced")
        return report
    check_root(report, manifest, manifest_root(manifest), "bundle.root-mismatch",
               f"the {len(manifest['records'])} record hashes in the bundle")
    beside = path.with_name(layout.MANIFEST)
    if beside.exists():
        report.cover(beside.name)
        _same_root(report, beside, manifest["root"])
    if records_dir is not None:
        compare_records(manifest, records_dir, report)
    return report


def bundle_manifest(document: dict[str, Any]) -> dict[str, Any]:
    """The manifest entries and root the bundle states, rebuilt from its nodes."""
    records, documents, root = [], [], None
    for node in document["@graph"]:
        if "recordPath" in node:
            path = node["recordPath"]
            records.append(record_entry(path, node["identifier"], FOLDER_TYPES[path.split("/", 1)[0]],
                                        node["recordSha256"]))
        if "documentPath" in node:
            documents.append(document_entry(node["documentPath"], node["sha256"]))
        if "rootHash" in node:
            root = node["rootHash"]
    if root is None:
        raise KeyError("no node states a rootHash")
    return {"records": records, "source_documents": documents, "root": root}


def _same_root(report: VerifyReport, manifest_file: Path, root: str) -> None:
    stated = read_json(manifest_file)
    stated = stated.get("root") if isinstance(stated, dict) else None
    if stated != root:
        report.fail("bundle.manifest-mismatch", f"{manifest_file.name} beside it states the root {stated}",
                    "the bundle and the manifest come from different builds, or one was altered")
    else:
        report.passed(f"the root agrees with {manifest_file.name}")
