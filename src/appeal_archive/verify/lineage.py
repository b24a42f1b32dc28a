"""Editions over time, checked: the consistency proof an edition carries (`verify NEW`), and whether NEW keeps
every leaf of an older signed edition where it was (`verify NEW --extends OLD`), with what it added, corrected
and retracted since (ledger/lineage.py says how an edition extends another)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from appeal_archive.ledger.lineage import changes_since, edition_number, proof_between, proof_holds
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
    def marks(manifest: dict[str, Any]) -> dict[int, tuple[str, int]]:
        return {item["index"]: (item["status"], item["marked_in"])
                for item in [*manifest.get("earlier", []), *manifest["withheld"]] if "status" in item}

    was, now = marks(old), marks(new)
    unmarked = next((index for index, mark in was.items() if now.get(index) != mark), None)
    if unmarked is not None:
        return "edition.not-extended", f"leaf {unmarked}, which the older edition marks {was[unmarked][0]}, is not " \
            "marked so in the newer"
    backdated = next((index for index, (_, marked_in) in now.items()
                      if index not in was and index < old_size and marked_in <= edition_number(old)), None)
    if backdated is not None:
        return "edition.not-extended", f"the newer edition says leaf {backdated} was marked by an edition the " \
            "older one includes, which does not mark it"
    return None


def check_extension(report: VerifyReport, old_report: VerifyReport, old_file: str | Path) -> VerifyReport:
    """Add to NEW's report whether it extends OLD (both verified), and what changed since: `report.extends`."""
    old_manifest, new_manifest = old_report.manifest, report.manifest
    report.extends = {"ok": False, "from": str(old_file), "from_size": None, "to_size": None, "added": [],
                      "corrected": [], "retracted": [], "withheld_changes": 0}
    if not old_report.ok or old_manifest is None:
        report.fail("edition.previous-invalid", f"{old_file}, the edition it is said to extend, does not verify",
                    f"run `appeal-archive verify {old_file}`")
        return report
    if new_manifest is None:
        return report  # NEW's own failure is reported already
    problem = extension_problem(old_manifest, new_manifest)
    if problem:
        report.fail(problem[0], f"it does not extend {old_file}: {problem[1]}", "the newer edition was not built "
                    "with --extends from this one (or one after it), or was altered")
        return report
    changes = changes_since(old_manifest, new_manifest)
    report.extends.update(ok=True, from_size=old_manifest["tree_size"], to_size=new_manifest["tree_size"],
                          **changes.to_dict())
    report.passed("integrity", f"it extends {old_file}: the first {old_manifest['tree_size']} of its "
                  f"{new_manifest['tree_size']} leaves are that edition's, in place (RFC 9162 consistency proof "
                  f"checked); {len(changes.added)} records added, {len(changes.corrected)} corrected, "
                  f"{len(changes.retracted)} retracted since")
    return report


def verify_extension(new: str | Path, old: str | Path, trust_roots: Sequence[Path] = ()) -> VerifyReport:
    """`verify NEW --extends OLD`: both signed files, then the extension."""
    from appeal_archive.verify import verify_archive

    report = verify_archive(new, trust_roots=trust_roots)
    return check_extension(report, verify_archive(old, trust_roots=trust_roots), old)
