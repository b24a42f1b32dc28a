"""Stage 11, build: records/ -> build/ (manifest.json and the signed <archival-id>.pdf), written atomically.

Validation comes first: any error and nothing is written. Outputs are made in a staging folder beside
the output folder and swapped in at once, so a failed or interrupted build leaves the previous build/
as it was. The unsigned PDF is a pure function of the record files, the build date and the signer
identity; `verify --rebuild` calls the same function to re-create it.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .canonical import canonical_name, sha256_hex
from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, fail
from .manifest import make_manifest
from .report import to_json
from .validate import RecordSet, ValidationReport, load_record_set

def output_names(archival_id: str) -> set[str]:
    """Everything a build of this archival unit may write into its output folder."""
    return {"manifest.json", ".gitkeep", f"{archival_id}.pdf", f"{archival_id}.jsonld", f"{archival_id}.jsonld.p7s",
            f"{archival_id}.jsonld.tst", f"{archival_id}-bag"}


def tool_name() -> str:
    try:
        return f"appeal-archive {version('appeal-archive')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "appeal-archive (unreleased)"


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


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (to_json(manifest) + "\n").encode("utf-8")


BUNDLE_THRESHOLD = 2000


def attachments_of(record_set: RecordSet, manifest_json: bytes, root: str, build_date: datetime) -> Iterator:
    """What the PDF carries: the source documents, the manifest, and every record (and archive.yaml) as
    YAML and as canonical JSON. Names are paths (records/..., canonical/...), so extraction rebuilds
    the folder. Up to BUNDLE_THRESHOLD records each file is its own attachment; larger sets carry the
    same files in two ZIP archives (records.zip, canonical.zip), which keeps the PDF small and fast.
    Yielded one by one, so a large archive is never held twice in memory."""
    from .pdfa import Attachment

    yield Attachment("manifest.json", manifest_json, "application/json", "Data", f"Manifest of the record set, root {root}")
    for document in record_set.documents:
        yield Attachment(f"records/{document.path}", _document_bytes(record_set, document), "text/plain", "Source",
                         f"Source document, SHA-256 {document.sha256}")

    def yaml_files() -> Iterator[tuple[str, bytes, str]]:
        yield "records/archive.yaml", record_set.config_raw, "Archive settings"
        for record in record_set.records:
            yield (f"records/{record.path}", _validated_bytes(record_set, record),
                   f"Record {record.id} ({record.record_type})")

    def json_files() -> Iterator[tuple[str, bytes, str]]:
        for record in record_set.records:
            yield (canonical_name(record.path), record.canonical,
                   f"RFC 8785 canonical JSON of {record.path}, SHA-256 {record.digest}")

    bundled = len(record_set.records) > BUNDLE_THRESHOLD
    if not bundled:
        yield from (Attachment(name, data, "application/yaml", "Source", text) for name, data, text in yaml_files())
        yield from (Attachment(name, data, "application/json", "Data", text) for name, data, text in json_files())
    else:
        count = len(record_set.records) + 1
        yield Attachment("records.zip", zip_archive(yaml_files(), build_date), "application/zip", "Source",
                         f"The {count} record files (YAML) in a ZIP archive")
        yield Attachment("canonical.zip", zip_archive(json_files(), build_date), "application/zip", "Data",
                         f"RFC 8785 canonical JSON of the {count - 1} records, in a ZIP archive")


def _validated_bytes(record_set: RecordSet, record) -> bytes:
    """The record file's bytes, re-read and checked to be the very bytes that were validated."""
    return _checked_read(record_set, record.path, record.raw_digest)


def _document_bytes(record_set: RecordSet, document) -> bytes:
    """A source document's bytes, re-read and checked against the SHA-256 its record states."""
    return _checked_read(record_set, document.path, bytes.fromhex(document.sha256))


def _checked_read(record_set: RecordSet, path: str, expected: bytes) -> bytes:
    data = (record_set.root / path).read_bytes()
    if hashlib.sha256(data).digest() != expected:
        raise fail("build.input-changed", f"{path} changed while the archive was being built", "run the build again")
    return data


def zip_archive(files: Iterable[tuple[str, bytes, str]], build_date: datetime) -> bytes:
    """A reproducible ZIP: members stored (the PDF compresses the whole) in the given order, all dated
    with the build date (ZIP cannot say anything before 1980), no extra fields. Written through a
    temporary file, so only the finished archive is ever in memory."""
    import zipfile

    stamp = max(build_date, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data, _ in files:
                member = zipfile.ZipInfo(name, date_time=stamp)
                member.external_attr = 0o100644 << 16
                member.create_system = 3
                archive.writestr(member, data)
        spool.seek(0)
        return spool.read()


def render_archival_pdf(record_set: RecordSet, manifest: dict[str, Any], build_date: datetime, signer,
                        tool: str, manifest_json: bytes | None = None) -> tuple[bytes, int]:
    """The unsigned PDF/A-3b file and its page count: same inputs, same bytes."""
    from .dossier import Dossier
    from .pdfa import make_pdfa
    from .render_pdf import RenderContext, render

    dossier = Dossier.from_record_set(record_set, manifest)
    identity = f"{dossier.config.archival_id}|{manifest['root']}|{build_date.isoformat()}|{signer.fingerprint}|{tool}"
    with tempfile.TemporaryDirectory(prefix="appeal-archive-") as scratch:
        # Handed over as a file: pikepdf then reads pages from disk as it needs them, instead of
        # holding a second copy of a document that can be tens of megabytes.
        drawn = Path(scratch) / "drawn.pdf"
        pdf, pages = render(dossier, RenderContext(build_date, signer, tool))
        drawn.write_bytes(pdf)
        del pdf
        release_memory()
        archival = make_pdfa(drawn, attachments_of(record_set, manifest_json or manifest_bytes(manifest),
                                                   manifest["root"], build_date),
                             title=dossier.title(), creator=dossier.config.custodian,
                             description=f"Archival record {dossier.config.archival_id}; root hash {manifest['root']}",
                             build_date=build_date, tool=tool,
                             document_id=bytes.fromhex(sha256_hex(identity.encode())[:32]))
    return archival, pages


def release_memory() -> None:
    """Return freed memory to the system between stages (glibc keeps it otherwise): large sets peak lower."""
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


@dataclass
class BuildResult:
    """What a build did: the validation report, and (when valid) what it wrote."""

    report: ValidationReport
    out_dir: str
    files: list[str] = field(default_factory=list)
    root: str | None = None
    pages: int | None = None
    signer: str | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok and bool(self.files)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "out_dir": self.out_dir, "files": self.files, "root": self.root, "pages": self.pages,
                "signer": self.signer, "notices": self.notices, "validation": self.report.to_dict()}


def build_archive(records_dir: str | os.PathLike = "records", out_dir: str | os.PathLike = "build", *,
                  unsigned: bool = False, signer_config=None, bag: bool = False, jobs: int | None = None,
                  environ: dict[str, str] | None = None) -> BuildResult:
    """Validate, render, sign and publish. Raises AppealArchiveError (exit 3) when it cannot run."""
    from .identity import UNSIGNED
    from .sign import SignerConfig, identity_of, load_key_material, sign_detached, sign_pdf, timestamp_token, utc_now

    out = Path(out_dir)
    report, record_set = load_record_set(records_dir, keep_data=True, jobs=jobs)
    result = BuildResult(report, os.fspath(out))
    if record_set is None:
        return result
    _check_output_folder(out, record_set.config["archival_id"])
    release_memory()
    now = utc_now()
    build_date = build_date_from(os.environ if environ is None else environ, now)
    config = signer_config or SignerConfig()
    manifest = make_manifest(record_set)
    material = None
    identity = UNSIGNED
    if not unsigned:
        material, result.notices = load_key_material(config, now)
        identity = identity_of(material.certificate)
    tool = tool_name()
    archival_id = record_set.config["archival_id"]
    manifest_json = manifest_bytes(manifest)
    pdf, result.pages = render_archival_pdf(record_set, manifest, build_date, identity, tool, manifest_json)
    release_memory()  # the PDF's stages are done with; the bundle's peak should not stack on them
    outputs = {"manifest.json": manifest_json, f"{archival_id}.pdf": pdf,
               f"{archival_id}.jsonld": render_bundle(record_set, manifest)}
    if material is not None:
        outputs[f"{archival_id}.pdf"] = sign_pdf(pdf, material, reason=f"Archival record {archival_id}",
                                                 tsa_url=config.tsa_url)
        bundle = outputs[f"{archival_id}.jsonld"]
        outputs[f"{archival_id}.jsonld.p7s"] = sign_detached(bundle, material)
        if config.tsa_url:
            outputs[f"{archival_id}.jsonld.tst"] = timestamp_token(bundle, config.tsa_url)
    folders = {f"{archival_id}-bag": bag_files(record_set, outputs, build_date, tool)} if bag else {}
    publish(out, outputs, folders)
    result.files = [os.fspath(out / name) for name in [*outputs, *folders]]
    result.root = manifest["root"]
    result.signer = None if unsigned else identity.describe()
    return result


def render_bundle(record_set: RecordSet, manifest: dict[str, Any]) -> bytes:
    """The JSON-LD bundle of the record set: same records and base IRI, same bytes."""
    from .dossier import Dossier
    from .jsonld import bundle_bytes

    return bundle_bytes(Dossier.from_record_set(record_set, manifest))


def bag_files(record_set: RecordSet, outputs: dict[str, bytes], build_date: datetime, tool: str) -> dict:
    """What goes into the BagIt package: its bag-info fields and payload (the outputs and the records)."""
    payload = dict(outputs)
    payload["records/archive.yaml"] = record_set.config_raw
    for record in record_set.records:
        payload[f"records/{record.path}"] = _validated_bytes(record_set, record)
    for document in record_set.documents:
        payload[f"records/{document.path}"] = _document_bytes(record_set, document)
    info = {"Source-Organization": record_set.config["custodian"],
            "External-Identifier": record_set.config["archival_id"],
            "External-Description": record_set.config["title"],
            "Bagging-Date": build_date.strftime("%Y-%m-%d"),
            "Bag-Software-Agent": f"{tool} (bagit-python {_bagit_version()})"}
    return {"info": info, "payload": payload}


def _bagit_version() -> str:
    try:
        return version("bagit")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def make_bag(folder: Path, info: dict[str, str], payload: dict[str, bytes]) -> None:
    """A BagIt 1.0 bag (SHA-256 and SHA-512 manifests) made by the Library of Congress's bagit package.

    bagit lists tag files in directory order; their manifests are sorted here so that the same
    payload gives the same bag on any file system.
    """
    import logging

    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    for name, data in payload.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    bagit.make_bag(str(folder), bag_info=info, checksums=["sha256", "sha512"])
    for manifest in folder.glob("tagmanifest-*.txt"):
        lines = manifest.read_text(encoding="utf-8").splitlines(True)
        manifest.write_text("".join(sorted(lines, key=lambda line: line.split(" ", 1)[1])), encoding="utf-8")


# --- atomic publication -----------------------------------------------------------------------------


def _check_output_folder(out: Path, archival_id: str) -> None:
    """Refuse to replace a folder that holds anything but what builds of this unit write (or of the unit
    its manifest.json names, when the archival id changed since)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise fail("build.out-not-folder", f"{out} exists and is not a folder", "give --out a folder")
    allowed = output_names(archival_id)
    try:
        allowed |= output_names(json.loads((out / "manifest.json").read_bytes())["archival_id"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    strangers = sorted(entry.name for entry in out.iterdir() if entry.name not in allowed)
    if strangers:
        raise fail("build.out-not-empty", f"{out} holds files a build did not make: {', '.join(strangers[:5])}",
                   "give --out an empty folder or an earlier build folder; builds replace the whole folder")


def publish(out: Path, files: dict[str, bytes], bags: dict[str, dict] | None = None) -> None:
    """Write `files` (and BagIt `bags`) into a staging folder, then swap it in for `out` in one step."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        for name, data in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for name, bag in (bags or {}).items():
            make_bag(staging / name, bag["info"], bag["payload"])
        if (out / ".gitkeep").exists():
            shutil.copy2(out / ".gitkeep", staging / ".gitkeep")
        os.chmod(staging, 0o755)
        if out.exists():
            _exchange(staging, out)
        else:
            os.rename(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders atomically (Linux renameat2); elsewhere, two renames in quick succession."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
            return
    aside = second.with_name(second.name + ".previous")
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(second, aside)
    os.rename(first, second)
    os.rename(aside, first)
