"""Reporters: a command's report -> text for people (compiler style, with hint lines) or JSON (its to_dict()).

Every report (validate, fmt, manifest, build, verify, schema) follows one protocol: `issues`, `ok`,
`exit_code` and `to_dict()`. The text reporters below read nothing else but that and the report's own
fields, so the command line holds no logic of its own.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from appeal_archive.errors import Issue


class Report(Protocol):
    issues: list[Issue]

    @property
    def ok(self) -> bool: ...

    @property
    def exit_code(self) -> int: ...

    def to_dict(self) -> dict[str, Any]: ...


def format_issue(issue: Issue) -> str:
    """`file:line:column: severity[code] pointer: message` and, on the next line, the hint."""
    location = ":".join(str(part) for part in (issue.file, issue.line, issue.column) if part is not None)
    head = f"{location}: " if location else ""
    pointer = f"{issue.pointer}: " if issue.pointer else ""
    text = f"{head}{issue.severity}[{issue.code}] {pointer}{issue.message}"
    return text + (f"\n  hint: {issue.hint}" if issue.hint else "")


def format_issues(issues: list[Issue]) -> str:
    return "\n".join(format_issue(issue) for issue in issues)


_SURROGATE = re.compile("[\ud800-\udfff]")


def as_json(data: Any) -> str:
    """The report as JSON, in UTF-8 whatever it holds: a path that is not UTF-8 (its bytes kept by Python as lone
    surrogates) is written with JSON's escapes (\\udcfe), which a JSON reader turns back into the same string,
    never as raw bytes that would make the whole output unreadable as UTF-8."""
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", json.dumps(data, indent=2, ensure_ascii=False))


def summary_line(errors: int, warnings: int, what: str) -> str:
    if not errors and not warnings:
        return f"{what}: ok"
    counts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    counts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    return f"{what}: {', '.join(counts)}"


def _counted(report: Report, what: str) -> str:
    errors = sum(issue.is_error for issue in report.issues)
    return summary_line(errors, len(report.issues) - errors, what)


def _with_issues(report: Report, lines: list[str]) -> str:
    return "\n".join(([format_issues(report.issues)] if report.issues else []) + lines)


def validation_text(report) -> str:
    return _with_issues(report, [*salted_lines(report), *restricted_lines(report.restricted),
                                 _counted(report, f"{report.records_dir}: {report.files_checked} files checked "
                                          f"({report.contents})")])


def salted_lines(report) -> list[str]:
    return [f"salted {report.salted} new file{'s' * (report.salted != 1)} in {report.records_dir}/salts.txt: commit "
            "it with them, and keep it as secret as the restricted records"] if getattr(report, "salted", 0) else []


def restricted_lines(restricted: dict[str, str], shown: int = 20) -> list[str]:
    """What is restricted and why: the first few, then how many more."""
    lines = [f"restricted: {path} ({reason})" for path, reason in sorted(restricted.items())[:shown]]
    if len(restricted) > shown:
        lines.append(f"restricted: {len(restricted) - shown} more (--format json lists them all)")
    return lines


def fmt_text(report) -> str:
    verb = "would reformat" if report.check else "reformatted"
    documents = (f"; {report.documents} source document{'s' * (report.documents != 1)} left as "
                 f"{'they are' if report.documents != 1 else 'it is'}" if report.documents else "")
    return "\n".join([f"{verb} {path}" for path in report.changed] + ([format_issues(report.issues)] if report.issues
                                                                        else [])
                     + [f"{report.checked} YAML file{'s' * (report.checked != 1)} checked, {len(report.changed)} "
                        f"{verb}{documents}"])


def salt_text(report) -> str:
    if report.issues:
        return format_issues(report.issues)
    return (f"{report.records_dir}: salted {report.added} new file{'s' * (report.added != 1)}; {report.total} in "
            f"{report.to_dict()['ledger']} (keep it secret: it holds the restricted records' salts)")


SHOWN = 20  # groups of duplicates a text report lists


def intake_text(report) -> str:
    """What intake took, as an archivist reads it: the counts, then each problem as EXPORT:ROW:COLUMN."""
    if report.issues:
        return format_issues(report.issues)
    lines = [f"{report.export}:{rejection.row}:{rejection.column or ''}: {rejection.severity}: {rejection.message} "
             f"[{rejection.code}]" + (f"\n    hint: {rejection.hint}" if rejection.hint else "")
             for rejection in [*report.rejected, *report.warnings]]
    for label, groups in (("", report.duplicates), ("possible duplicate, ", report.possible_duplicates)):
        shown = [group for group in groups if group["rows"]]
        lines += [f"{report.export}: {label}row{'s' * (len(group['rows']) > 1)} "
                  f"{', '.join(map(str, group['rows']))}: {group['reason']}" for group in shown[:SHOWN]]
        if len(shown) > SHOWN:  # 100,000 rows may give thousands: the rest are in the report as data
            lines.append(f"{report.export}: {len(shown) - SHOWN} more {label or 'duplicate '}groups in "
                         "`--format json`")
    if report.rejected and not report.skipped_invalid:
        lines.append(f"{report.export}: nothing was written: {len(report.rejected)} row problem"
                     f"{'s' * (len(report.rejected) != 1)} (fix them, or --skip-invalid to take the other rows)")
        return "\n".join(lines)
    verb = "would write" if report.dry_run else "wrote"
    lines.append(f"{report.export}: {report.rows} rows; {report.new_entries} new entr"
                 f"{'ies' if report.new_entries != 1 else 'y'} ({report.restricted} restricted), "
                 f"{report.new_persons} new persons, {report.matched_persons} matched; "
                 f"{report.already_in_archive} already in the archive, {len(report.duplicates)} duplicate rows, "
                 f"{len(report.possible_duplicates)} possible duplicates to look at")
    if report.new_entries:
        lines.append(f"{report.records_dir}: {verb} them, quoting the capture {report.capture}"
                     + ("" if report.dry_run else "; run `appeal-archive validate` to see them checked"))
    if report.reject_file:
        lines.append(f"{report.reject_file}: the {len(report.rejected)} rows left out, and why")
    return "\n".join(lines)


def new_text(report) -> str:
    return "\n".join([f"wrote {report.path} ({report.record_type} {report.id}); check or fill:",
                      *(f"  - {item}" for item in report.fill)])


def prove_text(report) -> str:
    return (f"wrote {report.out}: {report.path} is leaf {report.leaf_index} of {report.tree_size} under root "
            f"{report.root}; its audit path has {report.path_length} hashes ({report.size} bytes in all)\n"
            f"check it with: appeal-archive verify {report.out} --against SIGNED.pdf")


def consistency_text(report) -> str:
    return (f"wrote {report.out}: the tree of {report.from_size} leaves (root {report.from_root}) is the first part "
            f"of the tree of {report.to_size} (root {report.to_root}); the proof has {report.path_length} hashes")


def manifest_text(report) -> str:
    manifest = report.manifest
    if manifest is None:
        return _with_issues(report, [_counted(report, f"{report.validation.records_dir}: no manifest")])
    lines = salted_lines(report.validation)
    lines += [f"{entry['sha256']}  {entry['path']}" for entry in manifest["records"] + manifest["source_documents"]]
    documents = len(manifest["source_documents"])
    lines.append(f"root {manifest['root']} ({len(manifest['records'])} records, {documents} source document"
                 f"{'s' * (documents != 1)})")
    return _with_issues(report, lines)


def build_text(result) -> str:
    lines = [f"note: {line}" for line in salted_lines(result.report)] + [f"note: {notice}" for notice in result.notices]
    if result.ok:
        lines += [f"wrote {name}" for name in result.files]
        lines.append(f"{result.pages} pages; root {result.root}; "
                     + (f"signed by {result.signer}; {result.level}" if result.signer else "unsigned"))
    else:
        lines.append(_counted(result, f"{result.report.records_dir}: nothing written"))
    return _with_issues(result, lines)


def verify_text(report) -> str:
    """The verdict in its four parts, then the problems."""
    lines = [f"{report.file}: {'verified' if report.ok else 'FAILED'}"]
    if report.root:
        lines.append(f"  root: {report.root}")
    for part in ("integrity", "signer", "time", "completeness"):
        state = report.part(part)
        verdict = "FAILED" if not state["ok"] else "ok, with warnings" if state["issues"] else "ok"
        lines.append(f"  {part}: {verdict}")
        if part == "signer":
            for signer in report.signers:
                trust = (f"trusted: chains to {signer.anchor}" if signer.trusted
                         else "not trusted: no chain to a --trust-root given")
                lines.append(f"    {signer.describe()} ({trust})")
        if part == "time":
            for evidence in report.times:
                if evidence.authority is None:
                    lines.append(f"    {evidence.what}: {evidence.time} (a claim, not proof)")
                else:
                    proof = (f"proven: {evidence.authority} chains to {evidence.anchor}" if evidence.proven
                             else f"NOT proven: {evidence.authority} has no chain to a --trust-root given")
                    lines.append(f"    {evidence.what}: {evidence.time} ({proof})")
        if part == "completeness" and report.covered:
            lines.append(f"    {len(report.covered)} files checked against what was signed")
        if part == "completeness" and report.unsigned:
            lines.append(f"    {len(report.unsigned)} files beside it are unsigned and not checked (first: "
                         f"{report.unsigned[0]})")
        lines += [f"    ok: {check}" for check_part, check in report.checks if check_part == part]
    lines += [f"  {change['change']}: {change['path']}" for change in report.changes]
    if report.extends is not None and report.extends["ok"]:
        extends = report.extends
        lines.append(f"  extends {extends['from']}: leaves {extends['from_size']} -> {extends['to_size']}; "
                     f"{len(extends['added'])} records added, {len(extends['corrected'])} corrected, "
                     f"{len(extends['retracted'])} retracted")
        lines += [f"    corrected: {item['path']} (leaf {item['superseded']}, now leaf {item['by']}): "
                  f"{'; then: '.join(item['reasons'])}" for item in extends["corrected"]]
        lines += [f"    retracted: {item['path']} (leaf {item['index']}): {'; then: '.join(item['reasons'])}"
                  for item in extends["retracted"]]
        if extends["withheld_changes"]:
            lines.append(f"    {extends['withheld_changes']} corrections or retractions of withheld records")
        if extends["withheld_since"]:
            lines.append(f"    {extends['withheld_since']} records it published are withheld now (protected)")
    if report.issues:
        lines.append(format_issues(report.issues))
    return "\n".join(lines)


def identity_text(report) -> str:
    lines = [f"note: {notice}" for notice in report.notices]
    if report.kind is None:
        lines.append(f"{report.folder}: no signing identity yet; `appeal-archive identity --create` or the first "
                     "signed build makes one")
        return "\n".join(lines)
    kind = {"custodian": "a custodian CA and the signing certificate it issued",
            "self-signed": "a self-signed certificate (made by an earlier version)"}[report.kind]
    lines.append(f"{report.folder}: {kind}")
    for title, facts in (("signer", report.signer), ("custodian CA", report.ca)):
        if facts is not None:
            lines += [f"  {title}: {facts.subject}", f"    SHA-256 fingerprint: {facts.sha256}",
                      f"    valid {facts.valid_from} to {facts.valid_to}"]
            if facts.extended_key_usages:
                lines.append(f"    extended key usage: {', '.join(facts.extended_key_usages)}")
    if report.ca is not None:
        lines.append(f"recipients compare the custodian CA's fingerprint, {report.ca.sha256}, with the one you "
                     "publish and the one on each archive's cover, then make the CA a trust anchor")
    if report.exported:
        lines.append(f"wrote the custodian CA's certificate to {report.exported}: recipients make it a trust anchor "
                     "(docs/verifying.md, \"Without appeal-archive, with standard tools\")")
    return "\n".join(lines)


def extend_text(report) -> str:
    lines = [f"wrote {report.out} ({report.added_bytes:,} bytes added to {report.file})",
             "document time stamps, oldest first:"]
    lines += [f"  {stamp.time} by {stamp.authority} (its certificate ends {stamp.certificate_ends})"
              for stamp in report.time_stamps]
    if report.time_stamps:
        lines.append(f"renew again before {report.time_stamps[-1].certificate_ends}")
    return "\n".join(lines)


def schema_text(report) -> str:
    if report.write:
        written = report.missing + report.stale
        return "\n".join([f"wrote {report.directory}/{name}" for name in written]
                         + [f"{report.directory}: {len(written)} schema files written"])
    return _with_issues(report, [_counted(report, f"{report.directory}: schema files")])
