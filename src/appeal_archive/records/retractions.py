"""records/retractions.yaml: the records an archive has withdrawn since an edition published them, each with
the reason. A build that extends that edition (ledger/lineage.py) keeps each one's leaf, marked retracted,
with this reason; without it, a record that disappeared fails the build.

    - path: signatories/appeal-of-belarusians-to-the-eu-0012.yaml   # as the manifest names it
      reason: The signatory asked for the signature to be withdrawn (e-mail of 2023-06-02).

Like the records, the file is the archive's own: never attached, bagged or published as it is (a public
edition shows a reason only for a record an earlier public edition published).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from appeal_archive.errors import Issue
from appeal_archive.files import FileRefused, read_regular
from appeal_archive.layout import RETRACTIONS_FILE
from appeal_archive.records.loader import MAX_RECORD_BYTES, load
from appeal_archive.records.recordset import display_path

_PATH = re.compile(r"[A-Za-z0-9._-]+/[A-Za-z0-9._-]+")
_HINT = ("write a list of `- path: <folder>/<file>` (as the manifest names the record) and `reason: <why it was "
         "withdrawn>`")


class Retractions(NamedTuple):
    """The retracted paths and their reasons, what is wrong with the file, and its bytes as read (validate
    searches them for protected names: a reason may be published)."""

    reasons: dict[str, str]
    issues: list[Issue]
    raw: bytes = b""


def read_retractions(root: Path, display_root: str) -> Retractions:
    """records/retractions.yaml as read (no file: nothing retracted)."""
    where = display_path(display_root, RETRACTIONS_FILE)
    if not os.path.lexists(root / RETRACTIONS_FILE):
        return Retractions({}, [])
    try:
        raw = read_regular(root / RETRACTIONS_FILE, MAX_RECORD_BYTES)
    except FileRefused as refused:
        return Retractions({}, [refused.issue.in_file(where)])
    loaded = load(raw)
    issues = [issue.in_file(where) for issue in loaded.issues]
    if loaded.data is None:
        return Retractions({}, issues, raw)
    if not isinstance(loaded.data, list):
        return Retractions({}, [*issues, Issue("retractions.shape", f"{RETRACTIONS_FILE} is not a list", file=where,
                                               hint=_HINT)], raw)
    retracted: dict[str, str] = {}
    for number, item in enumerate(loaded.data):
        pointer = f"/{number}"
        if not isinstance(item, dict) or set(item) != {"path", "reason"} or not all(
                isinstance(item[key], str) for key in item):
            issues.append(Issue("retractions.shape", f"item {number + 1} is not a path and a reason", file=where,
                                pointer=pointer, hint=_HINT))
        elif not _PATH.fullmatch(item["path"]) or not item["path"].endswith(".yaml") and \
                not item["path"].startswith("sources/"):
            issues.append(Issue("retractions.shape", f"item {number + 1}: {item['path']!r} is not a record's path",
                                file=where, pointer=pointer + "/path", hint="give the path as the manifest names "
                                "it, e.g. signatories/appeal-of-belarusians-to-the-eu-0012.yaml"))
        elif not item["reason"].strip():
            issues.append(Issue("retractions.no-reason", f"{item['path']} is retracted without a reason", file=where,
                                pointer=pointer + "/reason", hint="say why the record was withdrawn"))
        elif item["path"] in retracted:
            issues.append(Issue("retractions.repeated", f"{item['path']} is retracted twice", file=where,
                                pointer=pointer, hint="keep one item for it"))
        else:
            retracted[item["path"]] = item["reason"]
    return Retractions(retracted, issues, raw)
