"""The capture of a petition export: the text the entries intake writes quote, and its source record.

The capture holds each row intake could read with its mapped cells only, in the export's row order, under a
heading that says what it is; its record names the original export (file name, size, SHA-256, row count, the
columns left out), so that whoever holds the original can match it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from appeal_archive.records.exports import Export
from appeal_archive.records.signatures import TEXT_FIELDS, ColumnMap, Signature


def capture_text(taken: list[Signature], export: Export, mapping: ColumnMap, today: str) -> str:
    """A heading, then each valid row of the export with its mapped cells, in row order."""
    fields = [name for name in TEXT_FIELDS if name in taken[0].cells] if taken else ["name"]
    joined = "given_name" in mapping.columns
    lines = [f"Capture of the petition export {export.name} made by appeal-archive intake on {today}.",
             f"It holds the mapped columns of each row the export holds that intake could read ({len(taken)} "
             f"of {export.row_count}), in the export's row order; the other columns were left out.",
             "Columns: " + ", ".join(f"{name} ({_header(mapping, name)})" for name in fields)
             + (" - the name joined from the given and family names, with one space." if joined else "."), ""]
    for signature in taken:
        lines.append(f"Row {signature.row}")
        for name in fields:
            value = signature.cells.get(name, "")
            lines.append(f"  {name}:" + (" " + value.replace("\n", "\n    ") if value else ""))
        lines.append("")
    return "\n".join(lines)


def _header(mapping: ColumnMap, name: str) -> str:
    if name == "name" and "given_name" in mapping.columns:
        return f"{mapping.columns['given_name']} + {mapping.columns['family_name']}"
    return mapping.columns[name]


def capture_source(capture_id: str, document: bytes, export: Export, mapping: ColumnMap, today: str
                   ) -> dict[str, Any]:
    """The capture's source record."""
    used = set(mapping.columns.values())
    return {"id": capture_id, "type": "source",
            "title": f"Petition export {export.name}: the mapped columns of its rows",
            "file": f"{capture_id}.txt", "sha256": hashlib.sha256(document).hexdigest(),
            "media_type": "text/plain; charset=utf-8", "language": "und",
            "capture": {"kind": "petition-export",
                        "description": "Made by appeal-archive intake from the export: each row's mapped "
                                       "columns, as the export has them, in its row order.",
                        "publisher_url": "unknown", "captured_on": today,
                        "export": {"file_name": export.name, "size": export.size, "sha256": export.sha256,
                                   "rows": export.row_count,
                                   "dropped_columns": [header for header in export.header
                                                       if header and header not in used]}}}


def export_date(environ: dict[str, str] | os._Environ) -> str:
    """The capture's date: SOURCE_DATE_EPOCH's day when set (reproducible records), else today (UTC)."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d")
