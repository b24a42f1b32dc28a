"""The BagIt transfer package: a payload and its bag-info fields -> a BagIt 1.0 bag folder (bagit-python).

What goes into the bag is declared in layout.py; this module only writes it.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from appeal_archive.layout import BAGIT_VERSION


def bagit_version() -> str:
    try:
        return version("bagit")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def make_bag(folder: Path, info: dict[str, str], payload: dict[str, bytes]) -> None:
    """A BagIt bag (SHA-256 and SHA-512 manifests) made by the Library of Congress's bagit package.

    bagit lists tag files in directory order; their manifests are sorted here so that the same
    payload gives the same bag on any file system.
    """
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    for name, data in payload.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    bagit.make_bag(str(folder), bag_info=info, checksums=["sha256", "sha512"])
    # bagit-python writes BagIt 0.97; what it writes is also BagIt 1.0 (RFC 8493), which the bag declares.
    (folder / "bagit.txt").write_text(f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n",
                                      encoding="utf-8")
    bagit.Bag(str(folder)).save(manifests=False)
    for manifest in folder.glob("tagmanifest-*.txt"):
        lines = manifest.read_text(encoding="utf-8").splitlines(True)
        manifest.write_text("".join(sorted(lines, key=lambda line: line.split(" ", 1)[1])), encoding="utf-8")
