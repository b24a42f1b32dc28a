"""Reporters: a report -> text for people (compiler style, with hint lines) or JSON (the report's to_dict)."""

from __future__ import annotations

import json
from typing import IO, Any

from .errors import Issue


def format_issue(issue: Issue) -> str:
    """`file:line:column: severity[code] pointer: message` and, on the next line, the hint."""
    location = ":".join(str(part) for part in (issue.file, issue.line, issue.column) if part is not None)
    head = f"{location}: " if location else ""
    pointer = f"{issue.pointer}: " if issue.pointer else ""
    text = f"{head}{issue.severity}[{issue.code}] {pointer}{issue.message}"
    return text + (f"\n  hint: {issue.hint}" if issue.hint else "")


def format_issues(issues: list[Issue]) -> str:
    return "\n".join(format_issue(issue) for issue in issues)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def write_json(data: Any, stream: IO[bytes]) -> None:
    """Write JSON to a binary stream in large pieces, without building the whole text in memory.

    The manifest of 100,000 records is tens of megabytes; joining it first would double peak memory.
    """
    pending: list[str] = []
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data):
        pending.append(chunk)
        if len(pending) >= 50_000:
            stream.write("".join(pending).encode("utf-8"))
            pending.clear()
    pending.append("\n")
    stream.write("".join(pending).encode("utf-8"))
    stream.flush()


def summary_line(errors: int, warnings: int, what: str) -> str:
    if not errors and not warnings:
        return f"{what}: ok"
    counts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    counts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    return f"{what}: {', '.join(counts)}"
