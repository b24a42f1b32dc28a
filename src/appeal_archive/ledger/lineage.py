"""Editions over time: an earlier edition's manifest and today's -> an edition that only adds to it. Pure.

An edition that extends an earlier one keeps every leaf of the earlier tree where it was (RFC 9162 trees
grow only at the end) and appends the rest in ledger order:
  - a record unchanged since keeps its leaf and its place;
  - a new record is appended;
  - a record that changed is appended as it is now, and its earlier leaf stays, marked superseded, with the
    reason its `correction_note` gives (a new one: a note the earlier edition already gave is no reason);
  - a record removed since keeps its leaf, marked retracted, with the reason records/retractions.yaml gives.
The manifest says so in "earlier" (each superseded or retracted leaf: index, leaf, path, status, reason, and
the leaf that supersedes it) and names the edition it extends in "extends", with the RFC 9162 consistency
proof from that tree to this one. The earlier leaves come from the earlier edition's manifest: nothing of an
earlier record's text is needed. A public edition withholds what it must of them like of anything else: a
superseded leaf of a restricted record, and a retracted leaf nobody published before, are withheld leaves
marked with their status. And what an earlier edition did not publish stays withheld (`Kept`), whatever the
records say now: a full edition's manifest names those places ("protected", editions.py), because the
names that made them protected may be gone with the records retracted since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from appeal_archive.errors import EXIT_INVALID, Issue, fail
from appeal_archive.layout import CONSISTENCY_PROOF_FORMAT as PROOF_FORMAT
from appeal_archive.ledger.leaves import STATUSES, leaf, root_hash, tree_leaves
from appeal_archive.ledger.merkle import consistency_proof, verify_consistency

MAX_PROOF_BYTES = 64 << 10  # a proof of a tree of 2^64 leaves holds fewer than 130 hashes


@dataclass(frozen=True)
class Predecessor:
    """The signed edition an edition extends, as verify found it."""

    manifest: dict[str, Any]
    sha256: str  # of the signed file (a bag: its PDF)
    signed_at: str  # ISO 8601: its earliest time stamp, or the signer's claimed time when it has none
    file: str  # as the user named it, for messages

    def named(self) -> dict[str, Any]:
        """How the new edition names it: in its manifest, on its cover, in its XMP and its bundle."""
        return {"archival_id": self.manifest["archival_id"], "edition": self.manifest["edition"],
                "number": edition_number(self.manifest), "tree_size": self.manifest["tree_size"],
                "root": self.manifest["root"],
                "signed_at": self.signed_at, "sha256": self.sha256}


@dataclass
class Changes:
    """What an edition adds to an earlier one of its log: paths added, corrected (path, the reasons of each
    correction since, the earlier edition's leaf, the leaf that holds the record now), retracted (path, the
    reasons, the earlier edition's leaf), and how many corrections and retractions it withholds."""

    added: list[str] = field(default_factory=list)
    corrected: list[dict[str, Any]] = field(default_factory=list)
    retracted: list[dict[str, Any]] = field(default_factory=list)
    withheld: int = 0
    withheld_since: int = 0  # entries the earlier edition published that this one withholds (restricted since)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "corrected": self.corrected, "retracted": self.retracted,
                "withheld_changes": self.withheld, "withheld_since": self.withheld_since}

    def lines(self) -> list[str]:
        """The changes in words, for the cover of the PDF."""
        said = [f"{len(self.added)} records added"]
        said += [f"{each['path']} corrected (leaf {each['superseded']}, now leaf {each['by']}): "
                 f"{'; then: '.join(each['reasons'])}" for each in self.corrected]
        said += [f"{each['path']} retracted (leaf {each['index']}): {'; then: '.join(each['reasons'])}"
                 for each in self.retracted]
        if self.withheld:
            said.append(f"{self.withheld} corrections or retractions of withheld records, withheld with them")
        if self.withheld_since:
            said.append(f"{self.withheld_since} records it published are withheld since, to protect signatories")
        return said


class Kept(NamedTuple):
    """What an edition keeps withholding because the edition it extends did not publish it: records and
    documents by path (a public edition withholds them, changed or not), earlier leaves by place."""

    paths: set[str]
    places: set[int]


def extend(previous: Predecessor, manifest: dict[str, Any], notes: Mapping[str, str | None],
           retractions: Mapping[str, str], display_root: str) -> tuple[dict[str, Any], Kept]:
    """The full edition's manifest (make_manifest's, entries placed in ledger order) made to extend `previous`,
    and the paths whose unchanged leaves `previous` did not publish (withheld in a public edition, protected in a
    full one's manifest): a public edition keeps withholding them, whatever the records say now (a document that
    named a signatory since retracted still names him). `notes` is each current path's correction_note,
    `retractions` each retracted path's reason. Raises EditionRefused naming the files to mend when a change has
    no reason, or the trees cannot be joined."""
    earlier_manifest = previous.manifest
    if earlier_manifest.get("archival_id") != manifest["archival_id"]:
        raise fail("edition.other-archive", f"{previous.file} is an edition of "
                   f"{earlier_manifest.get('archival_id')!r}, not of {manifest['archival_id']!r}",
                   "give --extends an earlier edition of this archive", file=previous.file, exit_code=EXIT_INVALID)
    if earlier_manifest.get("manifest_version") != manifest["manifest_version"]:
        raise fail("edition.no-tree", f"{previous.file} was made before salted Merkle trees, which cannot be extended",
                   "build without --extends: a new log", file=previous.file, exit_code=EXIT_INVALID)
    if earlier_manifest.get("edition") == "full" and "protected" not in earlier_manifest:
        raise fail("edition.unprotected", f"{previous.file} is a full edition made before full editions named the "
                   "places their public edition withholds: what it withheld cannot be kept withheld",
                   "give --extends its public edition, or build without --extends (a new log)", file=previous.file,
                   exit_code=EXIT_INVALID)
    size = earlier_manifest["tree_size"]
    live = {entry["path"]: entry for entry in _entries(earlier_manifest)}
    protected = set(earlier_manifest.get("protected", ()))
    # What the earlier edition did not publish stays withheld, changed or not: a capture corrected since still
    # names the signer it named, whose records may be gone (and with them any sign that he is protected).
    # (An earlier leaf protected for its reason alone taints no record: it is kept hidden by its place.)
    protected_paths = {item["path"] for item in live.values() if item["index"] in protected}
    hidden_places = protected | {item["index"] for item in earlier_manifest["withheld"] if "status" in item}
    earlier = [dict(entry) for entry in earlier_manifest.get("earlier", [])]
    reasons_given = {(entry["path"], entry["reason"]) for entry in earlier}
    withheld_live = {item["leaf"]: item["index"] for item in earlier_manifest["withheld"] if "status" not in item}
    unpublished = set(withheld_live.values()) | set(earlier_manifest.get("protected", ()))
    withheld = [dict(item) for item in earlier_manifest["withheld"] if "status" in item]
    current = sorted(_entries(manifest), key=lambda entry: entry["index"])
    appended: list[dict[str, Any]] = []
    problems: list[Issue] = []
    for entry in current:
        path, now = entry["path"], leaf(entry)
        before = live.pop(path, None)
        if before is not None and leaf(before) == now:
            entry["index"] = before["index"]
        elif now in withheld_live:
            entry["index"] = withheld_live.pop(now)
        else:
            appended.append(entry)
            if before is not None:
                note = notes.get(path)
                if not note or (path, note) in reasons_given:
                    problems.append(_unexplained(display_root, path, previous, bool(note)))
                earlier.append({"index": before["index"], "leaf": leaf(before), "path": path, "status": "superseded",
                                "reason": note or "", "by": None, "marked_in": None, "_entry": entry})
    for path, before in sorted(live.items()):
        reason = retractions.get(path)
        if not reason:
            problems.append(Issue("edition.unexplained-retraction", f"{path} was published in {previous.file} "
                                  "and is no longer in the records", file=display_root + "/retractions.yaml",
                                  hint=f"restore {path}, or add it to retractions.yaml with the reason it was "
                                  "withdrawn"))
        earlier.append({"index": before["index"], "leaf": leaf(before), "path": path, "status": "retracted",
                        "reason": reason or "", "by": None, "marked_in": None})
    if withheld_live:
        problems.append(Issue("edition.withheld-changed", f"{len(withheld_live)} leaves {previous.file} withholds "
                              "match no record any more: a restricted record changed or was removed since",
                              file=previous.file, hint="extend the full edition of the same build, which names "
                              "every record (its tree is the public edition's)"))
    if problems:
        raise EditionRefused(problems)
    for offset, entry in enumerate(appended):
        entry["index"] = size + offset
    kept_withheld = {entry["path"] for entry in current  # an appended entry's index is >= size
                     if entry["index"] in unpublished or entry["path"] in protected_paths}
    for item in earlier:
        if "_entry" in item:
            item["by"] = item.pop("_entry")["index"]
        if item["marked_in"] is None:
            item["marked_in"] = edition_number(earlier_manifest) + 1
    extended = {key: value for key, value in manifest.items() if key != "root"}
    by_path = sorted(current, key=lambda entry: entry["path"])
    extended.update(records=[entry for entry in by_path if entry["kind"] == "record"],
                    source_documents=[entry for entry in by_path if entry["kind"] != "record"],
                    tree_size=size + len(appended), withheld=sorted(withheld, key=lambda item: item["index"]),
                    earlier=sorted(earlier, key=lambda item: item["index"]))
    leaves = tree_leaves(extended)
    if leaves[:size] != tree_leaves(earlier_manifest):
        raise AssertionError("an extended tree lost a leaf of the tree it extends")
    proof = consistency_proof(size, [bytes.fromhex(each) for each in leaves]) if size else []
    extended["extends"] = {**previous.named(), "proof": [node.hex() for node in proof]}
    extended["root"] = root_hash(leaves)
    return extended, Kept(kept_withheld, {item["index"] for item in earlier if item["index"] in hidden_places})


class EditionRefused(Exception):
    """The records cannot extend the earlier edition: each issue names the file to mend."""

    def __init__(self, issues: list[Issue]):
        super().__init__(f"{len(issues)} problems")
        self.issues = issues


def _unexplained(display_root: str, path: str, previous: Predecessor, noted: bool) -> Issue:
    return Issue("edition.unexplained-correction",
                 f"{path} changed since {previous.file} published it, "
                 + ("and its correction_note is one that edition already gave" if noted
                    else "and it has no correction_note"),
                 file=f"{display_root}/{path}", hint="say what was corrected and why in the record's correction_note, "
                 "or undo the change")


def _entries(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(entry) for kind in ("records", "source_documents") for entry in manifest[kind]]


def withhold_earlier(manifest: dict[str, Any], withheld_paths: AbstractSet[str], published_before: AbstractSet[str],
                     exposes: Callable[[str], bool] = lambda text: False, hidden: AbstractSet[int] = frozenset()
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A public edition's earlier leaves: (those it shows, those it withholds as {index, leaf, status,
    marked_in}). A retracted leaf shows only when an earlier public edition published its record (nothing else
    tells whether a record no longer here was restricted); a superseded one when its record is published and
    its successor shows too (a published entry, or an earlier leaf shown); neither when its path or reason
    `exposes` a protected name (a reason given before the person named in it was restricted), nor when an
    earlier edition hid it (`hidden`: places; the name it hid may be known no more)."""
    earlier = sorted(manifest.get("earlier", []), key=lambda item: -item["index"])  # successors come later
    published = {entry["index"] for kind in ("records", "source_documents") for entry in manifest[kind]
                 if entry["path"] not in withheld_paths}
    shows: dict[int, bool] = {}
    for item in earlier:
        if item["index"] in hidden or exposes(f"{item['path']}\n{item['reason']}"):
            shows[item["index"]] = False
        elif item["status"] == "retracted":
            shows[item["index"]] = item["path"] in published_before
        else:
            shows[item["index"]] = item["path"] not in withheld_paths and (
                item["by"] in published or shows.get(item["by"], False))
    shown = [item for item in manifest.get("earlier", []) if shows[item["index"]]]
    withheld = [{"index": item["index"], "leaf": item["leaf"], "status": item["status"],
                 "marked_in": item["marked_in"]} for item in manifest.get("earlier", []) if not shows[item["index"]]]
    return shown, withheld


def published_paths(manifest: Mapping[str, Any]) -> set[str]:
    """The paths an edition's public edition published (entries and earlier leaves): those a public edition
    shows, or those a full one does not name as protected."""
    items = [*_entries(manifest), *manifest.get("earlier", [])]
    if manifest.get("edition") == "public":
        return {item["path"] for item in items}
    protected = set(manifest.get("protected", ()))
    return {item["path"] for item in items if item["index"] not in protected}


def published_places(manifest: Mapping[str, Any]) -> set[int]:
    """The places of the entries an edition published: a public one's entries, or a full one's but those it
    names as protected (its public edition withheld them)."""
    protected = set(manifest.get("protected", ()))
    return {entry["index"] for entry in _entries(manifest) if entry["index"] not in protected}


def edition_number(manifest: Mapping[str, Any]) -> int:
    """An edition's place in its log: 1 for a first edition, one more than the edition it extends otherwise (an
    edition that only retracts has the tree of the one before it, so its number, not its size, tells them apart)."""
    extends = manifest.get("extends")
    return 1 if extends is None else extends["number"] + 1


def changes_since(manifest: Mapping[str, Any], old_size: int, old_number: int,
                  old_published: Iterable[int] = ()) -> Changes:  # noqa: C901 - one walk
    """What `manifest` adds to the edition of its log numbered `old_number`, of `old_size` leaves: the leaves of
    that tree marked superseded or retracted by an edition after it (an earlier leaf says which: `marked_in`, its
    number), each followed to the record's leaf now; the records appended since that supersede none of those
    leaves; and how many of the entries it published (`old_published`, their places: published_places) this
    edition withholds since (restricted since: counted, never named)."""
    changes = Changes()
    marked = {item["index"]: item for item in manifest.get("earlier", [])}
    live = {entry["path"] for entry in _entries(manifest)}
    touched: set[str] = set()
    reached: set[int] = set()
    for item in manifest.get("earlier", []):
        if item["index"] >= old_size or item["marked_in"] <= old_number:
            continue
        reasons, last, seen = [item["reason"]], item, {item["index"]}
        while last["status"] == "superseded" and last["by"] in marked and last["by"] not in seen:
            last = marked[last["by"]]  # corrected again since, or retracted (each successor lies later)
            seen.add(last["index"])
            reasons.append(last["reason"])
        reached |= seen
        if last["status"] == "retracted":
            if item["path"] not in live:  # reinstated since: a record added, like any other
                changes.retracted.append({"path": item["path"], "reasons": reasons, "index": item["index"]})
        else:
            touched.add(item["path"])
            changes.corrected.append({"path": item["path"], "reasons": reasons, "superseded": item["index"],
                                      "by": last["by"]})
    # A record added since and withdrawn since is news too: its leaf stays, retracted.
    changes.retracted += [{"path": item["path"], "reasons": [item["reason"]], "index": item["index"]}
                          for item in manifest.get("earlier", []) if item["status"] == "retracted"
                          and item["index"] >= old_size and item["index"] not in reached and item["path"] not in live]
    changes.withheld = sum(1 for item in manifest["withheld"] if "status" in item and item["marked_in"] > old_number)
    bare = {item["index"] for item in manifest["withheld"] if "status" not in item}
    changes.withheld_since = len(bare.intersection(old_published))
    changes.added = sorted(entry["path"] for entry in _entries(manifest)
                           if entry["index"] >= old_size and entry["path"] not in touched)
    return changes


def proof_between(old_size: int, old_root: str, leaves: Iterable[str], root: str) -> dict[str, Any]:
    """A consistency proof from the first `old_size` of `leaves` (hex, the tree of `root`) to all of them."""
    hashes = [bytes.fromhex(each) for each in leaves]
    return {"format": PROOF_FORMAT, "from": {"tree_size": old_size, "root": old_root},
            "to": {"tree_size": len(hashes), "root": root},
            "proof": [node.hex() for node in consistency_proof(old_size, hashes)]}


def proof_holds(document: Any) -> bool:
    """Whether a consistency proof document is well formed and proves its `from` tree a prefix of its `to`
    (RFC 9162, 2.1.4.2)."""
    problem = proof_problem(document)
    if problem:
        return False
    try:
        return verify_consistency(document["from"]["tree_size"], document["to"]["tree_size"],
                                  bytes.fromhex(document["from"]["root"]), bytes.fromhex(document["to"]["root"]),
                                  [bytes.fromhex(node) for node in document["proof"]])
    except ValueError:
        return False


def proof_problem(document: Any) -> str | None:
    """What keeps `document` from being a consistency proof appeal-archive writes, or None."""
    if not isinstance(document, dict) or set(document) != {"format", "from", "to", "proof"} \
            or document["format"] != PROOF_FORMAT:
        return f"it is not a consistency proof ({PROOF_FORMAT}: format, from, to, proof)"
    for end in ("from", "to"):
        tree = document[end]
        if not isinstance(tree, dict) or set(tree) != {"tree_size", "root"} or not _hashes([tree["root"]]) \
                or not isinstance(tree["tree_size"], int) or isinstance(tree["tree_size"], bool):
            return f"its {end!r} is not a tree size and root"
    if not isinstance(document["proof"], list) or not _hashes(document["proof"]):
        return "its proof is not a list of SHA-256 hashes"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hashes(values: list[Any]) -> bool:
    return all(isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
               for value in values)


def earlier_problem(manifest: Mapping[str, Any]) -> str | None:
    """What keeps a manifest's earlier leaves and the edition it names from being what a build writes (their
    form; history_problem checks how they fit the tree)."""
    earlier, extends = manifest.get("earlier", []), manifest.get("extends")
    keys = {"index", "leaf", "path", "status", "reason", "by", "marked_in"}
    if not isinstance(earlier, list) or not all(
            isinstance(item, dict) and set(item) == keys and item["status"] in STATUSES
            and isinstance(item["path"], str) and isinstance(item["reason"], str) and item["reason"].strip()
            and _hashes([item["leaf"]]) and (item["by"] is None if item["status"] == "retracted"
                                              else _number(item["by"])) and _number(item["marked_in"])
            for item in earlier):
        return "its earlier leaves are not each an index, leaf, path, status, reason (never empty), successor and " \
            "the edition that marked it"
    protected = manifest.get("protected", [])
    if not isinstance(protected, list) or not all(_number(index) for index in protected) \
            or protected != sorted(set(protected)) or (protected and manifest.get("edition") != "full"):
        return "its protected leaves are not a sorted list of places (a full edition's)"
    if extends is None:
        return "it has earlier leaves but names no edition it extends" if earlier else None
    named = {"archival_id", "edition", "number", "tree_size", "root", "signed_at", "sha256", "proof"}
    if not isinstance(extends, dict) or set(extends) != named or not _hashes([extends["root"], extends["sha256"]]) \
            or not isinstance(extends["proof"], list) or not _hashes(extends["proof"]) \
            or not _number(extends["tree_size"]) or not _number(extends["number"]) or extends["number"] < 1 \
            or not _number(manifest.get("tree_size")) or not 0 < extends["tree_size"] <= manifest["tree_size"] \
            or extends["edition"] not in ("full", "public") or not isinstance(extends["signed_at"], str) \
            or extends["archival_id"] != manifest.get("archival_id"):
        return "the edition it names as extended is not an archival id, edition, tree size, root, time, SHA-256 " \
               "and proof of the same archive"
    return None


def history_problem(manifest: Mapping[str, Any]) -> str | None:
    """Once every place of the tree is known filled once: each earlier leaf was marked by an edition of this log
    (from the second to this one), each superseded leaf names a later leaf of the same record as its successor,
    a full edition withholds no leaf but earlier ones, and its protected places are places of its tree."""
    number, size = edition_number(manifest), manifest["tree_size"]
    paths = {entry["index"]: entry["path"] for entry in _entries(manifest)}
    paths.update((item["index"], item["path"]) for item in manifest.get("earlier", []))
    marks = [item for item in [*manifest.get("earlier", []), *manifest["withheld"]] if "status" in item]
    if any(not 2 <= item["marked_in"] <= number for item in marks):
        return f"an earlier leaf says it was marked by an edition that is not one of its log (1 to {number})"
    if any(item["status"] == "superseded" and not (item["index"] < item["by"] < size
                                                   and paths.get(item["by"]) == item["path"])
           for item in manifest.get("earlier", [])):
        return "a superseded leaf does not name a later leaf of the same record as its successor"
    if manifest.get("edition") == "full" and any("status" not in item for item in manifest["withheld"]):
        return "a full edition withholds a leaf that is not an earlier one"
    if any(index >= size for index in manifest.get("protected", [])):
        return "its protected leaves are not places of its tree"
    return None
