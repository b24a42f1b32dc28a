"""Editions over time, checked: the consistency proof an edition carries (`verify NEW`), and whether NEW keeps
every leaf of an older signed edition where it was (`verify NEW --extends OLD`), with what it added, corrected
and retracted since (ledger/lineage.py says how an edition extends another)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from appeal_archive.files import FileRefused, sha256_of
from appeal_archive.layout import MAX_PDF_BYTES
from appeal_archive.ledger.lineage import (
    changes_since,
    edition_number,
    proof_between,
    proof_holds,
    published_places,
)
from appeal_archive.ledger.manifest import tree_leaves
from appeal_archive.verify.report import VerifyReport


def extension_problem(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str] | None:
    """(code, what is wrong) when `new` does not keep every leaf of `old` where it was, or None."""
    if old.get("archival_id") != new.get("archival_id"):
        return "edition.other-archive", \
            f"they are editions of {old.get('archival_id')!r} and {new.get('archival_id')!r}"
    if old.get("manifest_version") != 2 or new.get("manifest_version") != 2:
        return "edition.no-tree", "an edition made before salted Merkle trees has no tree to extend"
    old_size, new_size = old["tree_size"], new["tree_size"]
    if old_size > new_size:
        return "edition.order", f"the older edition has {old_size} leaves, the newer {new_size}"
    old_leaves, new_leaves = tree_leaves(old), tree_leaves(new)
    changed = next((index for index, (was, now) in enumerate(zip(old_leaves, new_leaves, strict=False))
                    if was != now), None)
    if changed is not None:
        return "edition.not-extended", f"leaf {changed} of the older edition is not leaf {changed} of the newer " \
            "(a record was rewritten in place, dropped or moved)"
    proof = proof_between(old_size, old["root"], new_leaves, new["root"])
    if not proof_holds(proof):
        return "edition.proof-invalid", "the RFC 9162 consistency proof from the older tree to the newer fails"
    return _history_kept(old, new)


def _history_kept(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str] | None:
    """Everything OLD says of its leaves, NEW still says: each leaf OLD marks superseded or retracted is marked
    so in NEW, by the same edition, with the same path, reason and successor where both show them (a public
    edition may withhold what a full one shows); each leaf NEW marks since OLD was OLD's leaf of that path; and
    each entry OLD published is, in NEW, that entry still, a leaf marked since, or (in a public NEW) withheld."""
    def marks(manifest: dict[str, Any]) -> dict[int, dict[str, Any]]:
        return {item["index"]: item for item in [*manifest.get("earlier", []), *manifest["withheld"]]
                if "status" in item}

    was, now, old_number = marks(old), marks(new), edition_number(old)
    shown_keys = ("path", "reason", "by")
    for index, item in was.items():
        later = now.get(index)
        if later is None or (later["status"], later["marked_in"]) != (item["status"], item["marked_in"]):
            return "edition.not-extended", f"leaf {index}, which the older edition marks {item['status']}, is not " \
                "marked so in the newer"
        if "path" in item and "path" in later and any(item[key] != later[key] for key in shown_keys):
            return "edition.not-extended", f"the newer edition tells another story of leaf {index} than the older " \
                "one (its record, reason or successor)"
        if "path" not in item and "path" in later and new.get("edition") == "public":
            return "edition.not-extended", f"the newer public edition names the record of leaf {index}, which the " \
                "older one withholds"
    old_paths = {entry["index"]: entry["path"] for kind in ("records", "source_documents") for entry in old[kind]}
    for index, item in now.items():
        if index in was or index >= old["tree_size"]:
            continue
        if item["marked_in"] <= old_number:
            return "edition.not-extended", f"the newer edition says leaf {index} was marked by an edition the " \
                "older one includes, which does not mark it"
        if "path" in item and index in old_paths and item["path"] != old_paths[index]:
            return "edition.not-extended", f"the newer edition says leaf {index} was {item['path']}; in the older " \
                f"it is {old_paths[index]}"
    new_live = {entry["index"] for kind in ("records", "source_documents") for entry in new[kind]}
    unpublished = {item["index"] for item in old["withheld"] if "status" not in item} | set(old.get("protected", ()))
    if new.get("edition") == "public":
        # What OLD withheld stays withheld: its leaf, the earlier leaf it became, and (by path) the record.
        tainted = {old_paths[index] for index in unpublished if index in old_paths}
        shown = next((index for index in sorted(unpublished & new_live)), None)
        shown = shown if shown is not None else next((item["index"] for item in new.get("earlier", [])
                                                      if item["index"] in unpublished), None)
        shown = shown if shown is not None else next((entry["index"] for kind in ("records", "source_documents")
                                                      for entry in new[kind] if entry["path"] in tainted), None)
        if shown is not None:
            return "edition.not-extended", f"the newer public edition publishes leaf {shown}, the record or an " \
                "earlier leaf the older edition withholds"
    bare = {item["index"] for item in new["withheld"] if "status" not in item}
    lost = next((index for index in old_paths if index not in new_live and index not in now
                 and not (index in bare and new.get("edition") == "public")), None)
    if lost is not None:
        return "edition.not-extended", f"leaf {lost}, {old_paths[lost]} in the older edition, is neither an entry " \
            "of the newer nor marked superseded or retracted"
    return None


def check_extension(report: VerifyReport, old_report: VerifyReport, old_file: str | Path) -> VerifyReport:
    """Add to NEW's report whether it extends OLD (both verified), and what changed since: `report.extends`."""
    old_manifest, new_manifest = old_report.manifest, report.manifest
    report.extends = {"ok": False, "from": str(old_file), "from_size": None, "to_size": None, "added": [],
                      "corrected": [], "retracted": [], "withheld_changes": 0, "withheld_since": 0}
    if not old_report.ok or old_manifest is None:
        report.fail("edition.previous-invalid", f"{old_file}, the edition it is said to extend, does not verify",
                    f"run `appeal-archive verify {old_file}`")
        return report
    if not report.ok or new_manifest is None:
        return report  # NEW's own failures are reported: nothing it states is taken as history
    problem = extension_problem(old_manifest, new_manifest) or _naming_problem(
        new_manifest, old_manifest, old_report, signed_file_digest(Path(old_file)))
    if problem:
        report.fail(problem[0], f"it does not extend {old_file}: {problem[1]}", "the newer edition was not built "
                    "with --extends from this one (or one after it), or was altered")
        return report
    if old_manifest.get("edition") == "full" and "protected" not in old_manifest:
        report.fail("edition.unprotected", f"{old_file} is a full edition made before full editions named what their "
                    "public edition withholds: whether this edition publishes any of it cannot be checked",
                    f"check it against the public edition of {old_file}'s build", severity="warning")
    old_signers = {signer.fingerprint for signer in old_report.signers}
    if old_signers and {signer.fingerprint for signer in report.signers} != old_signers:
        report.fail("edition.other-signer", f"it is signed by another certificate than {old_file} "
                    f"({', '.join(signer.describe() for signer in old_report.signers)})",
                    "a custodian's new certificate is expected to chain to the same CA: give --trust-root",
                    severity="warning")
    changes = changes_since(new_manifest, old_manifest["tree_size"], edition_number(old_manifest),
                            published_places(old_manifest))
    report.extends.update(ok=True, from_size=old_manifest["tree_size"], to_size=new_manifest["tree_size"],
                          **changes.to_dict())
    report.passed("integrity", f"it extends {old_file}: the first {old_manifest['tree_size']} of its "
                  f"{new_manifest['tree_size']} leaves are that edition's, in place (RFC 9162 consistency proof "
                  f"checked); {len(changes.added)} records added, {len(changes.corrected)} corrected, "
                  f"{len(changes.retracted)} retracted since"
                  + (f"; {changes.withheld_since} it published withheld since" if changes.withheld_since else ""))
    return report


def _naming_problem(new: dict[str, Any], old: dict[str, Any], old_report: VerifyReport, old_digest: str
                    ) -> tuple[str, str] | None:
    """When NEW names OLD's very file as the one it extends, what it says of it must be OLD's: its tree, its
    number in the log, its edition and signing time. (Editions of one tree, a retraction adding no leaf, or a
    full and a public edition, are told apart by their files; what NEW says of another file is its own word.)"""
    extends = new.get("extends")
    if extends is None or extends["sha256"] != old_digest:
        return None
    if (extends["tree_size"], extends["root"], extends["number"]) != (old["tree_size"], old["root"],
                                                                       edition_number(old)):
        return "edition.misnamed", f"it names that very file as edition no. {extends['number']} of its log, of " \
            f"{extends['tree_size']} leaves; it is no. {edition_number(old)}, of {old['tree_size']}"
    signed_at = signing_time_of(old_report)
    if (extends["edition"], extends["signed_at"]) != (old["edition"], signed_at):
        return "edition.misnamed", f"it says that file is the {extends['edition']} edition signed " \
            f"{extends['signed_at'] or '(no time)'}; it is the {old['edition']} edition signed " \
            f"{signed_at or '(no time)'}"
    return None


def signing_time_of(report: VerifyReport) -> str:
    """When an edition was signed, as the edition extending it names it: its earliest time stamp, whoever the
    recipient trusts, or its signer's claimed time when it has none."""
    stamped = sorted(evidence.time for evidence in report.times if evidence.authority is not None)
    return stamped[0] if stamped else (report.signing_time or "")


def signed_file_digest(path: Path) -> str:
    """SHA-256 of the signed file an edition names: the PDF or bundle itself, or a bag's PDF ("" when a bag
    does not hold exactly one, or the file is not one verify reads)."""
    if path.is_dir():
        pdfs = sorted((path / "data").glob("*.pdf"))
        if len(pdfs) != 1:
            return ""
        path = pdfs[0]
    try:
        return sha256_of(path, MAX_PDF_BYTES)
    except FileRefused:
        return ""


def verify_extension(new: str | Path, old: str | Path, trust_roots: Sequence[Path] = ()) -> VerifyReport:
    """`verify NEW --extends OLD`: both signed files, then the extension."""
    from appeal_archive.verify import verify_archive

    report = verify_archive(new, trust_roots=trust_roots)
    return check_extension(report, verify_archive(old, trust_roots=trust_roots), old)
