"""Validation: a records/ folder -> ValidationReport and the RecordSet later stages build from.

Order matters: the source documents are read and indexed first, so every other record can check its
quotes while it is scanned. Large sets are scanned by a pool of worker processes (forked after the
indexes exist, so they share them); small sets are scanned in this process, where start-up matters more.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, AppealArchiveError, Issue, fail
from appeal_archive.layout import CONFIG_FILE, RETRACTIONS_FILE
from appeal_archive.progress import Progress
from appeal_archive.records import schema
from appeal_archive.records.access import exposure_in_file, exposure_issues, restrictions
from appeal_archive.records.cache import Fingerprint, ScanCache, context_key, encode, tool_key
from appeal_archive.records.checks import Locations, check_documents, check_set
from appeal_archive.records.recordset import RecordSet, ScannedRecord, display_path
from appeal_archive.records.retractions import read_retractions
from appeal_archive.records.salts import (
    ledger_issues,
    read_ledger,
    salt_new,
    tracked_issue,
)
from appeal_archive.records.scan import (
    ScanContext,
    discover,
    read_bytes_and_status,
    scan_bytes,
    scan_file,
    source_quote_issues,
)
from appeal_archive.workers import can_fork, forked_map, usable_cores

PARALLEL_THRESHOLD = 2000
_CHUNK = 500


@dataclass
class ValidationReport:
    """Every issue found in a records folder. `ok` when there is no error (warnings allowed)."""

    records_dir: str
    issues: list[Issue] = field(default_factory=list)
    files_checked: int = 0
    records_valid: int = 0
    contents: str = ""  # what the folder holds, e.g. "29 records, 1 source document, archive.yaml"
    restricted: dict[str, str] = field(default_factory=dict)  # path -> why (access.py)
    salted: int = 0  # files given their salt by this run (salts.py)
    from_cache: int = 0  # records whose scan the validation cache gave (cache.py)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict:
        return {
            "records_dir": self.records_dir,
            "ok": self.ok,
            "files_checked": self.files_checked,
            "contents": self.contents,
            "records_valid": self.records_valid,
            "salted": self.salted,
            "from_cache": self.from_cache,
            "restricted": [{"path": path, "reason": reason} for path, reason in sorted(self.restricted.items())],
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "issues": [issue.to_dict() for issue in self.issues],
        }


def check_records(records_dir: str | os.PathLike, keep_data: bool = False, jobs: int | None = None,
                  digests: bool = True, salt: bool = False, progress: Progress | None = None,
                  cache: bool | Path = False) -> tuple[ValidationReport, RecordSet]:
    """Run every check on a records folder. Raises AppealArchiveError only when it cannot run at all.

    The pipeline, in order: find the files; scan archive.yaml and the source records; read and index the
    source documents (every other record's quotes are checked against them); scan the other records, in
    parallel for large sets; then the checks that need the whole set. `digests=False` skips hashing
    (validation alone does not need it); `keep_data` keeps every record's bytes and data for the
    stages that render them. `salt` gives each file without a salt its salt (salts.py), as a build does.
    `cache` (True: in the user's cache folder; a folder: there) takes each unchanged record's scan from the
    validation cache (cache.py) and keeps the others' for the next run; it is not used with keep_data.
    """
    progress = progress or Progress()
    display_root = os.fspath(records_dir)
    root = Path(records_dir)
    if not root.is_dir():
        raise fail("records.not-found", f"{display_root} is not a folder",
                   "give the records folder, e.g. `appeal-archive validate records/`", file=display_root)
    listing = discover(root, display_root)
    ledger = read_ledger(root, display_root)
    retractions, retraction_issues, retractions_raw = read_retractions(root, display_root)
    salted_paths = listing.leaf_files
    salted = salt_new(root, salted_paths, ledger) if salt and not ledger.issues else []
    context = ScanContext(root, display_root, keep_data=keep_data, digests=digests)
    config = _scan_config(context, listing.config)
    sources = [scan_file(context, path, "source") for path in listing.records["source"]]
    locations = Locations(root, display_root, sources)
    context.quote_indexes, documents, document_issues = check_documents(
        sources, listing.documents, root, locations, keep_data)
    document_issues += [locations.issue(source.path, issue.pointer, issue.code, issue.message, issue.hint,
                                        issue.severity)
                        for source in sources if source.valid and source.id in context.quote_indexes
                        for issue in source_quote_issues(context, source)]
    others = [(path, record_type) for record_type, paths in listing.records.items() if record_type != "source"
              for path in paths]
    scanned = progress.counter(f"{display_root}: files checked", len(others) + len(sources))
    scanned.advance(len(sources))
    scan_cache = _open_cache(root, context, cache) if cache and not keep_data else None
    if scan_cache is None:
        records = _scan_all(context, others, jobs, scanned.advance)
    else:
        context.digests = True  # a later manifest or proof takes the digests from the cache
        records = _scan_with_cache(context, others, jobs, scanned.advance, scan_cache)
        scan_cache.save(path for path, _ in others)
    records = sorted(sources + records, key=lambda record: record.path)
    progress.stage(f"{display_root}: checking the records against each other")
    locations = Locations(root, display_root, records)
    set_issues = list(check_set(records, locations))
    restricted = restrictions(records, context.quote_indexes, root)
    set_issues += exposure_issues(records, restricted, root, locations, config)
    if restricted and (tracked := tracked_issue(root, display_root)):
        set_issues.append(tracked)
    set_issues += retraction_issues + [
        Issue("retractions.present", f"{path} is retracted, and is in the records", hint=f"remove {path} from "
              f"{RETRACTIONS_FILE}, or remove the record itself", file=display_path(display_root, RETRACTIONS_FILE))
        for path in sorted(set(retractions) & ({record.path for record in records} | set(listing.documents)))]
    if retractions and restricted and (exposed := exposure_in_file(
            records, restricted, retractions_raw, display_path(display_root, RETRACTIONS_FILE))):
        set_issues.append(exposed)

    issues = [*listing.issues, *ledger_issues(ledger, salted_paths, display_root, retractions), *config.issues,
              *document_issues, *(scan_cache.warnings if scan_cache else ()),
              *(issue for record in records for issue in record.issues), *set_issues]
    report = ValidationReport(display_root, sorted(set(issues), key=Issue.sort_key),
                              files_checked=len(records) + len(listing.documents) + (listing.config is not None),
                              records_valid=sum(record.valid for record in records), contents=listing.describe())
    present = set(salted_paths)
    salts = {path: value for path, value in ledger.salts.items() if path in present}
    report.restricted, report.salted = restricted, len(salted)
    report.from_cache = scan_cache.hits if scan_cache else 0
    return report, RecordSet(root, display_root, config, records, documents, salts, restricted,
                             retractions=retractions)


def validate_records(records_dir: str | os.PathLike = "records", jobs: int | None = None,
                     progress: Progress | None = None, cache: bool | Path = False) -> ValidationReport:
    """Check a records folder; the report lists every problem in every file (`cache`: see check_records)."""
    return check_records(records_dir, jobs=jobs, digests=False, progress=progress, cache=cache)[0]


def load_record_set(records_dir: str | os.PathLike = "records", keep_data: bool = True,
                    jobs: int | None = None, salt: bool = True, progress: Progress | None = None,
                    cache: bool | Path = False) -> tuple[ValidationReport, RecordSet | None]:
    """The validated record set, or None (with the report saying why) when the records are invalid. Files
    not yet salted are salted (salts.py) unless `salt` is False: the stages after validation build on the
    leaves."""
    report, record_set = check_records(records_dir, keep_data=keep_data, jobs=jobs, salt=salt, progress=progress,
                                       cache=cache)
    if not report.ok:
        return report, None
    for record in record_set.records:
        record.references = ()  # checked; the later stages never need them, and large sets feel it
    return report, record_set


def _scan_config(context: ScanContext, relative: str | None) -> ScannedRecord:
    """archive.yaml, scanned like a record under its own schema; a placeholder with an issue when missing."""
    if relative is None:
        placeholder = ScannedRecord(CONFIG_FILE, schema.CONFIG_TYPE)
        placeholder.issues = (Issue("config.missing", f"there is no {CONFIG_FILE}",
                                    file=display_path(context.display_root, CONFIG_FILE),
                                    hint="create records/archive.yaml with type: archive, archival_id, title and "
                                    "custodian"),)
        return placeholder
    return scan_file(context, relative, schema.CONFIG_TYPE)


# --- scanning many files ----------------------------------------------------------------------------

Scan = Callable[..., Any]  # (context, path, record type, ...) -> a result


def _scan_chunk(shared: tuple[ScanContext, Scan], chunk: list[tuple]) -> list:
    context, scan = shared
    return [scan(context, *item) for item in chunk]


def _scan_all(context: ScanContext, files: list[tuple], jobs: int | None, advance: Callable[[int], None],
              scan: Scan = scan_file) -> list:
    """`scan(context, *item)` for each item (a path and record type first), in parallel for large sets."""
    jobs = jobs or usable_cores()
    if jobs == 1 or len(files) < PARALLEL_THRESHOLD or not can_fork():
        scanned = []
        for item in files:
            scanned.append(scan(context, *item))
            advance(1)
        return scanned
    for record_type in {item[1] for item in files}:
        schema.validator(record_type)
        schema.marker_paths(record_type)
    for index in context.quote_indexes.values():
        if index is not None:
            index.prepare()
    chunks = [files[start:start + _CHUNK] for start in range(0, len(files), _CHUNK)]
    try:
        # fork: the workers inherit the loaded schemas and the source indexes instead of rebuilding them.
        _, batches = forked_map(_scan_chunk, (context, scan), chunks, jobs,
                                each_done=lambda chunk: advance(len(chunk)))
    except (OSError, RuntimeError) as error:
        raise AppealArchiveError(Issue("validate.workers", f"the worker processes failed: {error}",
                                       hint="run with --jobs 1")) from error
    return [record for batch in batches for record in batch]


# --- scanning with the validation cache ------------------------------------------------------------------

def _open_cache(root: Path, context: ScanContext, cache: bool | Path) -> ScanCache:
    texts = {source_id: None if index is None else hashlib.sha256(index.text.encode("utf-8", "surrogatepass"))
             .hexdigest() for source_id, index in context.quote_indexes.items()}
    return ScanCache.open(root, context_key(tool_key(), texts), cache if isinstance(cache, Path) else None)


def _scan_with_cache(context: ScanContext, files: list[tuple[str, str]], jobs: int | None,
                     advance: Callable[[int], None], scan_cache: ScanCache) -> list[ScannedRecord]:
    """Each file's scan: from the cache when its status shows it unchanged, or when read again it holds what
    the cache has; scanned (and remembered) otherwise."""
    records, unsure, root = [], [], os.fspath(context.root)
    for path, record_type in files:
        entry = scan_cache.entry(path, record_type)
        unchanged = entry is not None and entry.unchanged_at(os.path.join(root, path))
        recalled = scan_cache.recall(path, context.display_root) if unchanged else None
        if recalled is not None:
            records.append(recalled)
            advance(1)
        else:
            unsure.append((path, record_type, entry.content if entry is not None else None))
    for (path, record_type, _), (scanned, content, fingerprint, encoded) in zip(
            unsure, _scan_all(context, unsure, jobs, advance, _read_and_scan), strict=True):
        if scanned is None:
            scanned = scan_cache.recall(path, context.display_root, fingerprint) or scan_file(context, path,
                                                                                              record_type)
        elif content is not None and encoded is not None:
            scan_cache.remember(path, record_type, content, fingerprint, encoded)
        records.append(scanned)
    return records


def _read_and_scan(context: ScanContext, path: str, record_type: str, cached_content: bytes | None
                   ) -> tuple[ScannedRecord | None, bytes | None, Fingerprint | None, str | None]:
    """(the scan, or None when the file holds what the cache has; SHA-256 of the bytes read; the status of the
    file read, when the path named that same file before it was opened; the scan as the cache keeps it)."""
    full = os.path.join(context.root, path)
    named = Fingerprint.of(full)
    raw, status = read_bytes_and_status(full)
    if isinstance(raw, Issue) or status is None:
        return scan_bytes(context, path, record_type, raw), None, None, None
    fingerprint = named.of_the_file_read(status) if named is not None else None
    content = hashlib.sha256(raw).digest()
    if content == cached_content:
        return None, content, fingerprint, None
    scanned = scan_bytes(context, path, record_type, raw)
    return scanned, content, fingerprint, encode(scanned, display_path(context.display_root, path))
