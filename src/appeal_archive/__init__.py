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
    "AppealArchiveError": "errors", "Issue": "errors",
    "FmtReport": "fmt", "format_records": "fmt",
    "make_manifest": "manifest", "manifest_root": "manifest", "manifest_report": "manifest",
    "RecordSet": "recordset", "ValidationReport": "validate", "load_record_set": "validate",
    "validate_records": "validate",
    "BuildResult": "build", "build_archive": "build",
    "VerifyReport": "verify", "verify_archive": "verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'appeal_archive' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
