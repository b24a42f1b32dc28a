"""Comparing what was signed with records: the root a manifest states, and the records folder today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appeal_archive.verify.report import VerifyReport


def check_root(report: VerifyReport, manifest: dict[str, Any], recomputed: str, code: str, entries: str) -> None:
    """The root a manifest (or a bundle) states must be the one its entries give."""
    from appeal_archive.ledger.manifest import construction

    report.root = manifest.get("root")
    if recomputed != report.root:
        report.fail(code, f"{entries} give the root {recomputed}, the stated root is {report.root}",
                    "the hashes or the root were altered")
        return
    withheld = len(manifest.get("withheld", []))
    edition = (f"; a public edition: {withheld} of its {manifest.get('tree_size')} entries are withheld, each by "
               "its leaf alone" if manifest.get("edition") == "public" else "")
    report.passed("integrity", f"{entries} give the stated root hash ({construction(manifest)}{edition})")
    check_carried_proof(report, manifest)


def check_carried_proof(report: VerifyReport, manifest: dict[str, Any]) -> None:
    """An edition that names one it extends carries the RFC 9162 proof from that tree to its own: it must hold
    (verify/lineage.py checks it against the older edition itself)."""
    from appeal_archive.layout import consistency_proof
    from appeal_archive.ledger.lineage import proof_holds

    document = consistency_proof(manifest)
    if document is None:
        return
    if not proof_holds(document):
        report.fail("edition.proof-invalid", f"the consistency proof it carries does not prove the tree of "
                    f"{document['from']['tree_size']} leaves it names a prefix of its own", "the proof or the "
                    "manifest was altered")
        return
    report.passed("integrity", f"it extends an edition of {document['from']['tree_size']} leaves (root "
                  f"{document['from']['root']}), and the RFC 9162 consistency proof it carries holds")


def compare_records(manifest: dict[str, Any], records_dir: Path, report: VerifyReport,
                    signed_config: dict[str, Any] | None = None) -> None:
    """List what changed in a records folder since the manifest (and, from a PDF, archive.yaml) was signed."""
    from appeal_archive.records.validate import load_record_set

    current_report, record_set = load_record_set(records_dir, keep_data=False, salt=False)
    if record_set is None:
        report.fail("records.invalid", f"the records in {records_dir} are not valid "
                    f"({len(current_report.errors)} errors)", f"run `appeal-archive validate {records_dir}`")
        return
    signed = _entries(manifest)
    current = {record.path: record.known_digest for record in record_set.records}
    current.update((document.path, document.sha256) for document in record_set.documents)
    if manifest.get("edition") == "public":  # what the edition withholds is not compared
        current = {path: value for path, value in current.items() if path in signed}
    if signed_config is not None:  # archive.yaml is not in the manifest, but the PDF signs it too
        signed["archive.yaml"], current["archive.yaml"] = _digest(signed_config), _digest(record_set.config)
    for path in sorted(set(signed) | set(current)):
        if path not in current:
            change = "removed"
        elif path not in signed:
            change = "added"
        elif signed[path] != current[path]:
            change = "changed"
        else:
            continue
        report.changes.append({"path": path, "change": change})
    if report.changes:
        report.fail("records.changed", f"{len(report.changes)} records or source documents differ from the signed "
                    f"ones (first: {report.changes[0]['change']} {report.changes[0]['path']})",
                    "the records changed since the archive was built; build and sign a new one")
    else:
        report.passed("integrity", f"the records in {records_dir} are exactly the ones signed")


def _digest(data: Any) -> str:
    from appeal_archive.canonical import digest

    try:
        return digest(data)
    except Exception:  # noqa: BLE001 - settings no canonical JSON can hold differ from any that it can
        return "not canonical JSON"


def _entries(manifest: dict[str, Any]) -> dict[str, str]:
    return {entry["path"]: entry["sha256"]
            for entry in manifest.get("records", []) + manifest.get("source_documents", [])}
