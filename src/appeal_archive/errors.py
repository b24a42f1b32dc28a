"""Issues and the one exception type: every problem carries a stable code, its location as data and a hint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the records or in an archive.

    `message` is one sentence with no location in it; the location is `file`, 1-based `line` and
    `column`, and the JSON `pointer` into the record. `hint` says what to do about it.
    """

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None
    hint: str | None = None
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def in_file(self, file: str) -> Issue:
        return replace(self, file=file)

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.pointer or "", self.message)

    def to_dict(self) -> dict:
        return asdict(self)


def json_pointer(tokens) -> str:
    """RFC 6901 JSON pointer of keys and list indexes, e.g. ['participants', 'value'] -> /participants/value."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens)


class AppealArchiveError(Exception):
    """A check or a build could not run (unreadable input, missing key, broken tool).

    Invalid records are not exceptions: they are issues in a report. This error means "could not check".
    """

    def __init__(self, issues: Issue | list[Issue], exit_code: int = EXIT_CANNOT_RUN):
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        self.exit_code = exit_code
        super().__init__("; ".join(issue.message for issue in self.issues))

    def __reduce__(self):  # travels between processes (verify runs in a jailed child) with its issues
        return (type(self), (self.issues, self.exit_code))


def fail(code: str, message: str, hint: str | None = None, file: str | None = None,
         exit_code: int = EXIT_CANNOT_RUN) -> AppealArchiveError:
    """Build the exception for a check that cannot run; callers `raise fail(...)`."""
    return AppealArchiveError(Issue(code, message, file=file, hint=hint), exit_code)
