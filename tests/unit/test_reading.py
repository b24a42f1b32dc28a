"""One reading of the updates after the signature (verify/reading.py): each of its two layers refuses the
duplicate-entry forgery on its own, and neither refuses what pyHanko's own updates write."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import attacks
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from appeal_archive.verify import reading


def _changes(pdf: Path, layer) -> list:
    if layer is reading._tables_differ:
        data = pdf.read_bytes()
        return layer(io.BytesIO(data), PdfFileReader(io.BytesIO(data), strict=True))
    data = pdf.read_bytes()
    reader = PdfFileReader(io.BytesIO(data), strict=True)
    return layer(io.BytesIO(data), reader, reader.embedded_regular_signatures[0].signed_revision)


@pytest.mark.parametrize("attack", ["catalog_listed_twice", "validation_data_listed_twice"])
def test_each_layer_alone_refuses_an_object_listed_twice(attack: str, build_copy: Path, pki):
    forged = attacks.ATTACKS[attack](build_copy, pki)
    assert "lists object" in str(_changes(forged, reading._ambiguous_sections))
    assert "reads otherwise in qpdf than in pyHanko" in str(_changes(forged, reading._readers_disagree))


@pytest.mark.parametrize("attack", ["startxref_twice", "xref_offset_with_an_underscore"])
def test_qpdf_and_pyhanko_must_place_every_object_alike(attack: str, build_copy: Path, pki):
    """Found in the second attack round: each file makes the two readers take different tables; comparing
    where each places every object refuses both, whatever the tail looks like."""
    forged = attacks.ATTACKS[attack](build_copy, pki)
    data = forged.read_bytes()
    reader = PdfFileReader(io.BytesIO(data), strict=True)
    found = str(reading._tables_differ(io.BytesIO(data), reader))
    assert "from different places" in found or "must repair" in found, found


def test_a_renewed_file_reads_one_way(signed_build: Path, tmp_path: Path):
    """pyHanko's own updates (a signature's validation data, two document time stamps) read the same in qpdf."""
    copy = tmp_path / signed_build.name
    shutil.copy(signed_build, copy)
    assert _changes(copy, reading.reading_changes) == [] and _changes(copy, reading._tables_differ) == []
    reader = PdfFileReader(io.BytesIO(copy.read_bytes()), strict=True)
    assert reader.xrefs.total_revisions - reader.embedded_regular_signatures[0].signed_revision >= 3
