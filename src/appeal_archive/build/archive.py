"""Build: records/ -> build/ (manifest, signed PDF, signed JSON-LD bundle, bag), written atomically.

Validation comes first: any error and nothing is written. Each record file is read, parsed and hashed
once; the dossier is built once and every view reads it. Outputs are made in a staging folder beside the
output folder and swapped in at once, so a failed or interrupted build leaves the previous build/ as it
was. What the folder holds is declared in layout.py.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from appeal_archive.build.publish import Staging
from appeal_archive.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Issue, fail
from appeal_archive.files import refuse_records_folder, write_failure
from appeal_archive.layout import (
    CONSISTENCY_PROOF,
    MANIFEST,
    PLACEHOLDER,
    VERIFIER_PAGE,
    bag_info,
    consistency_proof,
    manifest_bytes,
    proof_bytes,
    write_zip,
    zipped,
)
from appeal_archive.ledger.manifest import make_manifest
from appeal_archive.progress import Progress
from appeal_archive.records.validate import ValidationReport, load_record_set
from appeal_archive.views.crate import CrateFile, crate_bytes, crate_file, crate_of
from appeal_archive.views.registry import (
    CRATE,
    LINKED_ART,
    LINKED_ART_FORMS,
    LINKED_ART_ZIP,
    SITE,
    Outputs,
    bag_payload,
)


def build_date_from(environ: dict[str, str] | os._Environ, clock: datetime) -> datetime:
    """SOURCE_DATE_EPOCH (UTC) when set, as reproducible-builds.org defines it; the clock otherwise."""
    value = environ.get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return clock.astimezone(UTC).replace(microsecond=0)
    try:
        if not value.isdigit():
            raise ValueError(value)
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise fail("build.source-date-epoch", f"SOURCE_DATE_EPOCH={value!r} is not a date's whole number of "
                   "seconds since 1970", "set it to seconds since 1970-01-01 UTC, e.g. "
                   "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)", exit_code=EXIT_USAGE) from error


@dataclass
class BuildResult:
    """What a build did: the validation report, and (when valid) what it wrote."""

    report: ValidationReport
    out_dir: str
    files: list[str] = field(default_factory=list)
    root: str | None = None
    pages: int | None = None
    signer: str | None = None
    level: str | None = None  # the PAdES level the PDF was signed at
    notices: list[str] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        return self.report.issues

    @property
    def ok(self) -> bool:
        return self.report.ok and bool(self.files)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "out_dir": self.out_dir, "files": self.files, "root": self.root, "pages": self.pages,
                "signer": self.signer, "level": self.level, "notices": self.notices,
                "validation": self.report.to_dict(), "issues": [issue.to_dict() for issue in self.issues]}


def build_archive(records_dir: str | os.PathLike = "records", out_dir: str | os.PathLike = "build", *,
                  unsigned: bool = False, signer_config=None, bag: bool = False, jobs: int | None = None,
                  environ: dict[str, str] | None = None, edition: str = "full", linked_art: str = "auto",
                  extends: str | os.PathLike | None = None, progress: Progress | None = None) -> BuildResult:
    """Validate, render, sign and publish the full edition (everything) or the public one (editions.py).
    The Linked Art view is a folder of documents or one ZIP of them (`linked_art`: LINKED_ART_FORMS).
    `extends`: a signed earlier edition (PDF, bundle or bag) this one only adds to (ledger/lineage.py); it must
    verify, against the signer configuration's trust roots. Raises AppealArchiveError (exit 3) when it cannot
    run, and (exit 1) when the edition to extend does not verify."""
    from appeal_archive.build.extending import extended_manifest, read_predecessor
    from appeal_archive.identity import UNSIGNED, identity_of
    from appeal_archive.ledger.editions import edition_of
    from appeal_archive.ledger.lineage import EditionRefused, published_paths
    from appeal_archive.memory import release_memory
    from appeal_archive.signing.keys import SignerConfig, load_key_material, utc_now
    from appeal_archive.signing.sign import choose_level, sign_bundle, sign_pdf
    from appeal_archive.version import tool_name
    from appeal_archive.views.bag import bagit_version, make_bag
    from appeal_archive.views.dossier import Dossier
    from appeal_archive.views.jsonld import Bundle, write_bundle
    from appeal_archive.views.linkedart import linked_art_documents
    from appeal_archive.views.pdf import render_archival_pdf
    from appeal_archive.views.site import site_facts, site_pages
    from appeal_archive.views.verifier import trust_anchor, verify_page

    out = Path(out_dir)
    refuse_records_folder(out)
    if linked_art not in LINKED_ART_FORMS:
        raise fail("build.linked-art-form", f"the Linked Art view cannot be written as {linked_art!r}",
                   f"give one of {', '.join(LINKED_ART_FORMS)}", exit_code=EXIT_USAGE)
    progress = progress or Progress()
    config = signer_config or SignerConfig()
    previous = read_predecessor(extends, config.trust_roots) if extends is not None else None
    report, record_set = load_record_set(records_dir, keep_data=True, jobs=jobs, progress=progress)
    result = BuildResult(report, os.fspath(out))
    if record_set is None:
        return result
    names = Outputs(record_set.config["archival_id"])
    _check_output_folder(out, names)
    now = utc_now()
    build_date = build_date_from(os.environ if environ is None else environ, now)
    material, identity = None, UNSIGNED
    if not unsigned:
        level = choose_level(config.level, config.tsa_urls)
        material, result.notices = load_key_material(config, now)
        identity = identity_of(material.certificate, material.chain)
    tool = tool_name()
    manifest = make_manifest(record_set)
    kept = None
    if previous is None:
        result.notices.append(f"a first edition: a new log of {manifest['tree_size']} leaves (--extends names an "
                              "earlier edition this one only adds to)")
    else:
        try:
            manifest, kept = extended_manifest(record_set, manifest, previous)
        except EditionRefused as refused:
            report.issues.extend(refused.issues)
            return result
        result.notices.append(f"extends {previous.file} ({previous.manifest['tree_size']} leaves, root "
                              f"{previous.manifest['root']}) to {manifest['tree_size']} leaves")
    record_set, manifest, edition_notices = edition_of(
        record_set, manifest, edition, published_paths(previous.manifest) if previous else set(), kept)
    result.notices += edition_notices
    dossier = Dossier.from_record_set(record_set, manifest)
    # The page that checks this edition, trusting the CA the signer's chain ends in: signed inside the PDF.
    checker = verify_page(trust_anchor(material.certificate, material.chain)) if material else None
    try:
        with Staging(out, names.names()) as staging:
            progress.stage("rendering the archival PDF")
            pdf, result.pages = render_archival_pdf(dossier, build_date, identity, tool, scratch=staging.folder,
                                                    verifier=checker)
            release_memory(len(pdf))  # the PDF's stages are done with; the bundle's peak should not stack on them
            # Each output is written as soon as it is made and let go: only what the crate says of it is kept.
            described: list[CrateFile] = []
            written: list[str] = []

            def keep(name: str, data: bytes, durable: bool = True) -> None:
                staging.write(name, data, durable)
                described.append(crate_file(name, data))
                if durable:
                    written.append(name)

            @contextlib.contextmanager
            def streamed(name: str) -> Iterator[BinaryIO]:
                """keep, for an output written to its file as it is made (hundreds of megabytes at 100,000)."""
                with staging.open(name) as handle:
                    yield handle
                described.append(crate_file(name, staging.folder / name))
                written.append(name)

            keep(MANIFEST, manifest_bytes(manifest))
            if (proof := consistency_proof(manifest)) is not None:
                keep(CONSISTENCY_PROOF, proof_bytes(proof))
            if material is not None:
                progress.stage(f"signing (PAdES {level})")
                pdf = sign_pdf(pdf, material, reason=f"Archival record {names.archival_id}", level=level,
                               tsa_urls=config.tsa_urls, trust_roots=config.trust_roots)
            keep(names.pdf, pdf)
            del pdf
            progress.stage("writing the JSON-LD bundle")
            with streamed(names.bundle) as handle:  # and signed from the file
                write_bundle(handle, dossier, build_date, names.distribution(bag, extending=proof is not None))
            if material is not None:
                with open(staging.folder / names.bundle, "rb") as bundle:
                    signature = sign_bundle(bundle, material, config.tsa_urls[0] if config.tsa_urls else None)
                keep(names.bundle_signature, signature)
            progress.stage("writing the Linked Art view")
            packed = packs_linked_art(linked_art, len(record_set.records))
            if packed:
                with streamed(LINKED_ART_ZIP) as handle:
                    write_zip(handle, linked_art_documents(dossier), build_date)
            else:
                for name, data in linked_art_documents(dossier):  # written as made, never all held
                    keep(name, data, durable=False)
            if edition == "public":  # made from the public edition's dossier alone (site.py)
                progress.stage("writing the site")
                graph = Bundle(dossier, build_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               names.distribution(bag, extending=proof is not None))
                facts = site_facts(graph, identity, build_date.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                   tuple(name for name in written if name != LINKED_ART_ZIP), checker)
                for name, data in site_pages(dossier, graph, facts):
                    keep(f"{SITE}/{name}", data, durable=False)
                if checker is not None:
                    keep(f"{SITE}/{VERIFIER_PAGE}", checker, durable=False)
            staging.write(CRATE, crate_bytes(record_set.config, manifest, build_date, described))
            written.append(CRATE)
            described.clear()
            if bag:
                progress.stage("writing the BagIt bag")
                payload = bag_payload(record_set, {name: staging.folder / name for name in written})
                payload[CRATE] = crate_of(record_set.config, manifest, build_date, payload)
                make_bag(staging.folder / names.bag, bag_info(record_set.config, build_date, tool, bagit_version()),
                         payload)
            staging.publish(keep=(PLACEHOLDER,))
    except OSError as error:
        raise write_failure(error, out) from error
    result.files = [os.fspath(out / name) for name in [*written, *([] if packed else [LINKED_ART]),
                                                        *([SITE] if edition == "public" else []),
                                                        *([names.bag] if bag else [])]]
    result.root = manifest["root"]
    if not unsigned:
        result.signer, result.level = identity.describe(), f"PAdES {level}"
        if level == "B-B" and material is not None:
            result.notices.append(
                f"the PDF's signature is PAdES B-B: it can be verified only while the signing certificate is valid "
                f"(until {material.certificate.not_valid_after_utc:%Y-%m-%d}). For evidence that outlives it, "
                "build with a time-stamp authority (--tsa URL gives B-LTA) and renew it with `appeal-archive "
                "extend` before its time stamp's certificate ends")
    return result


def packs_linked_art(form: str, record_count: int) -> bool:
    """Whether the Linked Art view is one ZIP: asked for, or by default past the size where the PDF packs its
    records too (a folder of 100,000 small files took 413 MB on disk for 48 MB of documents)."""
    return form == "zip" or (form == "auto" and zipped(record_count))


# --- atomic publication -----------------------------------------------------------------------------


def _check_output_folder(out: Path, names: Outputs) -> None:
    """Refuse to replace a folder that holds anything but what builds of this unit write (or of the unit
    its manifest.json names, when the archival id changed since)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise fail("build.out-not-folder", f"{out} exists and is not a folder", "give --out a folder")
    allowed = names.names()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        allowed |= Outputs(json.loads((out / MANIFEST).read_bytes())["archival_id"]).names()
    strangers = sorted(entry.name for entry in out.iterdir() if entry.name not in allowed)
    if strangers:
        raise fail("build.out-not-empty", f"{out} holds files a build did not make: {', '.join(strangers[:5])}",
                   "give --out an empty folder or an earlier build folder; builds replace the whole folder")
