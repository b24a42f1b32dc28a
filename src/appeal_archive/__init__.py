"""appeal-archive: faithful, verifiable and durable records of civil-society appeals.

Library API (the command line is a thin layer over it):
  validate_records(dir) -> ValidationReport       every problem in a records folder
  load_record_set(dir)  -> (report, RecordSet)    the validated records, for later stages
  make_manifest(set)    -> dict                   record digests and the root hash
  format_records(paths) -> FmtReport              canonical YAML style, comments kept
  build_archive(dir, out) -> BuildResult          manifest and signed archival PDF, written atomically
  verify_archive(pdf)   -> VerifyReport           offline check of a signed archival PDF

Names are imported on first use, so `appeal-archive validate` never pays for the PDF or RDF stack.
"""

from importlib import import_module

_EXPORTS = {
    "AppealArchiveError": "errors", "Issue": "errors",
    "FmtReport": "fmt", "format_records": "fmt",
    "make_manifest": "manifest", "manifest_root": "manifest",
    "RecordSet": "validate", "ValidationReport": "validate", "load_record_set": "validate",
    "validate_records": "validate",
    "BuildResult": "build", "build_archive": "build",
    "VerifyReport": "verify", "verify_archive": "verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'appeal_archive' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
