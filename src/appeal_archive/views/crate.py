"""The RO-Crate 1.2 metadata of an edition: `ro-crate-metadata.json`, describing the edition's folder (or the
bag's payload) as a Dataset and each file in it with its size, SHA-256 and format, so that research data
repositories take the build or the bag in as it is.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

CONTEXT = "https://w3id.org/ro/crate/1.2/context"
CONFORMS_TO = "https://w3id.org/ro/crate/1.2"
LICENCES = {  # name and description of the licences archives commonly choose
    "https://creativecommons.org/licenses/by/4.0/": (
        "Creative Commons Attribution 4.0 International",
        "Anyone may share and adapt the records, for any purpose, giving appropriate credit."),
    "https://creativecommons.org/publicdomain/zero/1.0/": (
        "CC0 1.0 Universal", "The records are dedicated to the public domain."),
}


class CrateFile(NamedTuple):
    """One file the crate describes: its path inside the crate, size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


def crate_file(path: str, content: bytes | Path) -> CrateFile:
    """What the crate says of a file, given by its bytes or where they are written (read a piece at a time)."""
    if isinstance(content, bytes):
        return CrateFile(path, len(content), hashlib.sha256(content).hexdigest())
    digest = hashlib.sha256()
    with open(content, "rb") as handle:
        size = 0
        while piece := handle.read(1 << 20):
            digest.update(piece)
            size += len(piece)
    return CrateFile(path, size, digest.hexdigest())


def crate_of(config: dict[str, Any], manifest: dict[str, Any], build_date: datetime,
             files: dict[str, bytes | Path]) -> bytes:
    """The crate's metadata file for files given by name and content (or where it is written)."""
    return crate_bytes(config, manifest, build_date, [crate_file(name, content) for name, content in files.items()])


def crate_bytes(config: dict[str, Any], manifest: dict[str, Any], build_date: datetime,
                files: list[CrateFile]) -> bytes:
    """The crate's metadata file for `files`; each file's format and description follow from its name
    (registry.file_format), so verify can make the same bytes from a bag it has checked."""
    from appeal_archive.views.registry import CRATE, file_format

    custodian = config.get("custodian_id") or "#custodian"
    licence = config.get("license")
    parts = [{"@id": file.path, "@type": "File", "name": file.path.rsplit("/", 1)[-1],
              "description": description, "encodingFormat": media_type, "contentSize": str(file.size),
              "sha256": file.sha256} for file in sorted(files) for media_type, description in [file_format(file.path)]]
    root = {"@id": "./", "@type": "Dataset", "identifier": {"@id": "#archival-id"}, "name": config["title"],
            "description": config.get("description") or config["title"],
            "datePublished": build_date.strftime("%Y-%m-%dT%H:%M:%SZ"), "publisher": {"@id": custodian},
            "hasPart": [{"@id": part["@id"]} for part in parts],
            "version": f"{manifest['edition']} edition, root {manifest['root']}"}
    contact = config["contact"]
    organization = {"@id": custodian, "@type": "Organization", "name": config["custodian"],
                    "contactPoint": {"@id": "#contact"}}
    if config.get("custodian_url"):
        organization["url"] = config["custodian_url"]
    graph = [{"@id": CRATE, "@type": "CreativeWork", "conformsTo": {"@id": CONFORMS_TO},
              "about": {"@id": "./"}}, root, *parts, organization,
             {"@id": "#contact", "@type": "ContactPoint", "contactType": "archive custodian", "name": contact["name"],
              "email": contact["email"]},
             {"@id": "#archival-id", "@type": "PropertyValue", "name": "Archival identifier",
              "propertyID": "archival identifier",
              "value": config["archival_id"]}]
    if licence:
        name, description = LICENCES.get(licence, (licence, f"The licence at {licence}."))
        root["license"] = {"@id": licence}
        graph.append({"@id": licence, "@type": "CreativeWork", "name": name, "description": description})
    return json.dumps({"@context": CONTEXT, "@graph": graph}, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
