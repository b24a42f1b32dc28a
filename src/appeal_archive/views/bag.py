"""The BagIt transfer package: a payload and its bag-info fields -> a BagIt 1.0 bag folder (bagit-python).

What goes into the bag is declared in layout.py; this module only writes it.
"""

from __future__ import annotations

import logging
import os
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from appeal_archive.layout import BAGIT_VERSION


def bagit_version() -> str:
    try:
        return version("bagit")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


CHECKSUMS = ("sha256", "sha512")


def make_bag(folder: Path, info: dict[str, str], payload: dict[str, bytes | Path]) -> None:
    """A BagIt 1.0 bag (SHA-256 and SHA-512 manifests) made with the Library of Congress's bagit package.

    Its steps, not its `make_bag`: that one moves a finished folder into data/ and then loads the bag it made,
    judging every manifest line it has just written as if it came from someone else (two `realpath` calls a
    line: 47 s for 200,000 files), and writes BagIt 0.97, which would then be declared 1.0 and loaded again.
    bagit lists tag files in directory order; their manifests are sorted here so that the same payload gives
    the same bag on any file system.
    """
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    for name, data in payload.items():  # bytes, or a file already written (copied, never all held at once)
        target = folder / "data" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            shutil.copyfile(data, target)
    # bagit writes the payload manifests into the folder it runs in, as its own make_bag does
    previous = os.getcwd()
    os.chdir(folder)
    try:
        total_bytes, total_files = bagit.make_manifests("data", 1, algorithms=list(CHECKSUMS), encoding="utf-8")
        (folder / "bagit.txt").write_text(f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n",
                                          encoding="utf-8")
        bagit._make_tag_file("bag-info.txt", {**info, "Payload-Oxum": f"{total_bytes}.{total_files}"})
        for algorithm in CHECKSUMS:
            bagit._make_tagmanifest_file(algorithm, str(folder), encoding="utf-8")
    finally:
        os.chdir(previous)
    for manifest in folder.glob("tagmanifest-*.txt"):
        lines = manifest.read_text(encoding="utf-8").splitlines(True)
        manifest.write_text("".join(sorted(lines, key=lambda line: line.split(" ", 1)[1])), encoding="utf-8")
