"""Stage 11, build: records/ -> build/ (manifest.json and the signed <archival-id>.pdf), written atomically.

Validation comes first: any error and nothing is written. Outputs are made in a staging folder beside
the output folder and swapped in at once, so a failed or interrupted build leaves the previous build/
as it was. The unsigned PDF is a pure function of the record files, the build date and the signer
identity; `verify --rebuild` calls the same function to re-create it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .canonical import canonical_json, sha256_hex
from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, AppealArchiveError, Issue, fail
from .manifest import make_manifest
from .records import ScannedRecord
from .report import to_json
from .validate import RecordSet, ValidationReport, load_record_set

OUTPUT_PATTERNS = ("manifest.json", "*.pdf", "*.jsonld", "*.p7s", "*.tsr", "*-bag", ".gitkeep")


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
    if not value.isdigit():
        raise fail("build.source-date-epoch", f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds",
                   "set it to seconds since 1970-01-01 UTC, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
                   exit_code=EXIT_USAGE)
    return datetime.fromtimestamp(int(value), UTC)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (to_json(manifest) + "\n").encode("utf-8")


def canonical_name(record_path: str) -> str:
    return "canonical/" + record_path.removesuffix(".yaml") + ".json"


def attachments_of(record_set: RecordSet, manifest: dict[str, Any]) -> list:
    """What the PDF carries: the source documents, archive.yaml, every record as YAML and as canonical
    JSON, and the manifest. Names are paths inside records/ (or canonical/), so extraction rebuilds it."""
    from .pdfa import Attachment

    attachments = [Attachment("records/archive.yaml", record_set.config_raw, "application/yaml", "Source",
                              "Archive settings (archival identifier, custodian)")]
    for document in record_set.documents:
        data = (record_set.root / document.path).read_bytes()
        if sha256_hex(data) != document.sha256:
            raise fail("build.source-changed", f"{document.path} changed while the archive was being built",
                       "run the build again")
        attachments.append(Attachment(f"records/{document.path}", data, "text/plain", "Source",
                                      f"Source document, SHA-256 {document.sha256}"))
    for record in record_set.records:
        attachments.append(_yaml_attachment(record))
        attachments.append(Attachment(canonical_name(record.path), canonical_json(record.data), "application/json",
                                      "Data", f"RFC 8785 canonical JSON of {record.path}, SHA-256 {record.digest}"))
    attachments.append(Attachment("manifest.json", manifest_bytes(manifest), "application/json", "Data",
                                  f"Manifest of the record set, root {manifest['root']}"))
    return attachments


def _yaml_attachment(record: ScannedRecord):
    from .pdfa import Attachment

    return Attachment(f"records/{record.path}", record.raw or b"", "application/yaml", "Source",
                      f"Record {record.id} ({record.record_type}) as kept by the archivist")


def render_archival_pdf(record_set: RecordSet, manifest: dict[str, Any], build_date: datetime, signer,
                        tool: str) -> tuple[bytes, int]:
    """The unsigned PDF/A-3b file and its page count: same inputs, same bytes."""
    from .dossier import Dossier
    from .pdfa import make_pdfa
    from .render_pdf import RenderContext, render

    dossier = Dossier.from_record_set(record_set, manifest)
    context = RenderContext(build_date, signer, tool)
    pdf, pages = render(dossier, context)
    appeals = dossier.appeals()
    title = appeals[0].title if len(appeals) == 1 else dossier.config.title
    identity = f"{dossier.config.archival_id}|{manifest['root']}|{build_date.isoformat()}|{signer.fingerprint}|{tool}"
    archival = make_pdfa(pdf, attachments_of(record_set, manifest), title=title, creator=dossier.config.custodian,
                         description=f"Archival record {dossier.config.archival_id}; root hash {manifest['root']}",
                         build_date=build_date, tool=tool, document_id=bytes.fromhex(sha256_hex(identity.encode())[:32]))
    return archival, pages


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
                  unsigned: bool = False, signer_config=None, jobs: int | None = None,
                  environ: dict[str, str] | None = None) -> BuildResult:
    """Validate, render, sign and publish. Raises AppealArchiveError (exit 3) when it cannot run."""
    from .render_pdf import UNSIGNED
    from .sign import SignerConfig, identity_of, load_key_material, sign_pdf, utc_now

    out = Path(out_dir)
    _check_output_folder(out)
    report, record_set = load_record_set(records_dir, keep_data=True, jobs=jobs)
    result = BuildResult(report, os.fspath(out))
    if record_set is None:
        return result
    now = utc_now()
    build_date = build_date_from(os.environ if environ is None else environ, now)
    manifest = make_manifest(record_set)
    material = None
    identity = UNSIGNED
    if not unsigned:
        material, result.notices = load_key_material(signer_config or SignerConfig(), now)
        identity = identity_of(material.certificate)
    tool = tool_name()
    pdf, result.pages = render_archival_pdf(record_set, manifest, build_date, identity, tool)
    if material is not None:
        config = signer_config or SignerConfig()
        pdf = sign_pdf(pdf, material, reason=f"Archival record {record_set.config['archival_id']}",
                       tsa_url=config.tsa_url)
    outputs = {"manifest.json": manifest_bytes(manifest), f"{record_set.config['archival_id']}.pdf": pdf}
    publish(out, outputs)
    result.files = [os.fspath(out / name) for name in outputs]
    result.root = manifest["root"]
    result.signer = None if unsigned else identity.describe()
    return result


# --- atomic publication -----------------------------------------------------------------------------


def _check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that holds anything but earlier build outputs."""
    if not out.exists():
        return
    if not out.is_dir():
        raise fail("build.out-not-folder", f"{out} exists and is not a folder", "give --out a folder")
    strangers = [entry.name for entry in out.iterdir() if not any(entry.match(pattern) for pattern in OUTPUT_PATTERNS)]
    if strangers:
        raise fail("build.out-not-empty", f"{out} holds files a build did not make: {', '.join(sorted(strangers)[:5])}",
                   "give --out an empty folder or an earlier build folder; builds replace the whole folder")


def publish(out: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a staging folder, then swap it in for `out` in one step."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        for name, data in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
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
