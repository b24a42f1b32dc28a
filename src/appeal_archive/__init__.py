"""appeal-archive: faithful, verifiable and durable records of civil-society appeals.

Library API (the command line is a thin layer over it):
  validate_records(dir) -> ValidationReport       every problem in a records folder
  load_record_set(dir)  -> (report, RecordSet)    the validated records, for later stages
  make_manifest(set)    -> dict                   record digests and the root hash
  manifest_report(dir)  -> ManifestReport         validation, then the manifest
  format_records(paths) -> FmtReport              canonical YAML style, comments kept
  build_archive(dir, out) -> BuildResult          manifest, signed PDF, signed JSON-LD, bag; atomically
  verify_archive(path)  -> VerifyReport           offline check of a signed PDF, a bundle or a bag

Every report has `issues`, `ok`, `exit_code` and `to_dict()`; an AppealArchiveError means "could not run".

Names are imported on first use, so `appeal-archive validate` never pays for the PDF or RDF stack.
"""

from importlib import import_module

_EXPORTS = {
    "AppealArchiveError": "appeal_archive.errors",
    "Issue": "appeal_archive.errors",
    "FmtReport": "appeal_archive.records.fmt",
    "format_records": "appeal_archive.records.fmt",
    "RecordSet": "appeal_archive.records.recordset",
    "ValidationReport": "appeal_archive.records.validate",
    "load_record_set": "appeal_archive.records.validate",
    "validate_records": "appeal_archive.records.validate",
    "make_manifest": "appeal_archive.ledger.manifest",
    "manifest_root": "appeal_archive.ledger.manifest",
    "manifest_report": "appeal_archive.build.manifest_report",
    "BuildResult": "appeal_archive.build.archive",
    "build_archive": "appeal_archive.build.archive",
    "VerifyReport": "appeal_archive.verify",
    "verify_archive": "appeal_archive.verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'appeal_archive' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
