"""The archive layout and the views' registry are one contract: a build writes exactly the views the registry
declares, every file it writes is one that verify checks (or names as unsigned, as the registry says), and
verify expects nothing that a build does not write."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from conftest import NAME

from appeal_archive import layout
from appeal_archive.verify import verify_archive
from appeal_archive.views.registry import CRATE, LINKED_ART, VIEWS, Outputs, file_format, unsigned_views


def files_in(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_every_file_of_a_build_is_checked_by_verify(signed_build_dir: Path, pki):
    outputs = Outputs(NAME)
    # Small: the Linked Art folder, not its ZIP; a first edition: no consistency proof (test_lineage.py has one);
    # the full edition: no site (test_site.py).
    written_views = [view for view in VIEWS if view.form_of is None and not view.extending and not view.public_only]
    assert {entry.name for entry in signed_build_dir.iterdir()} == {view.name_for(NAME) for view in written_views}
    written = files_in(signed_build_dir)
    bag_files = {f"{outputs.bag}/{name}" for name in files_in(signed_build_dir / outputs.bag)}
    views = {name for name in written if name.startswith(LINKED_ART + "/")}
    top = written - bag_files
    assert top - views == {view.name_for(NAME) for view in written_views if not view.folder}
    assert len(views) > 20 and {name.split("/")[0] for name in top} <= outputs.names()
    assert all(file_format(name)[0] != "application/octet-stream" for name in top)

    covered, unsigned = set(), set()
    for name in (outputs.pdf, outputs.bundle):
        report = verify_archive(signed_build_dir / name, trust_roots=[pki.root_cert])
        assert report.ok, report.issues
        covered |= set(report.covered)
        unsigned |= set(report.unsigned)
    with pikepdf.open(signed_build_dir / outputs.pdf) as pdf:
        attachments = {f"{outputs.pdf}#{name}" for name in pdf.attachments}
    assert covered == (top - views) | attachments
    # The Linked Art view: named, never counted as checked (nothing signs it), as the registry says of it.
    assert unsigned == views and [view.key for view in unsigned_views()] == ["linked_art", "linked_art_zip",
                                                                                  "site"]

    bag = verify_archive(signed_build_dir / outputs.bag, trust_roots=[pki.root_cert])
    assert bag.ok, bag.issues
    assert {name for name in bag.covered if "#" not in name} == files_in(signed_build_dir / outputs.bag)


def test_verify_expects_exactly_what_build_attaches(signed_build_dir: Path):
    report = verify_archive(signed_build_dir / f"{NAME}.pdf")
    with pikepdf.open(signed_build_dir / f"{NAME}.pdf") as pdf:
        attached = set(pdf.attachments)
    assert layout.expected_pdf_files(report.manifest, signed=True) == attached


def test_bag_payload_is_the_build_and_its_records(signed_build_dir: Path):
    outputs = Outputs(NAME)
    payload = files_in(signed_build_dir / outputs.bag / "data")
    records = {name for name in payload if name.startswith(layout.RECORDS)}
    outside = files_in(signed_build_dir) - {f"{outputs.bag}/{name}"
                                            for name in files_in(signed_build_dir / outputs.bag)}
    # The bag carries the evidence and its own crate; the Linked Art view is a view of it, made again at will.
    assert payload - records == {name for name in outside if not name.startswith(LINKED_ART + "/")}
    assert payload - records == {view.name_for(NAME) for view in VIEWS if view.in_bag and not view.extending} >= {CRATE}
    with pikepdf.open(signed_build_dir / outputs.pdf) as pdf:
        assert records == {name for name in pdf.attachments if name.startswith(layout.RECORDS)}
