"""Which appeal-archive this is: the package version and the commit it was built from.

The tool name is printed on the PDF's cover and stored in its metadata; `verify --rebuild` compares it,
because only the exact same code renders the exact same bytes.
"""

from __future__ import annotations

import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

UNKNOWN = "unknown"


def package_version() -> str:
    try:
        return version("appeal-archive")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return UNKNOWN


@cache
def source_commit() -> str:
    """The git commit of the source this package runs from, with '+changes' when its files differ from
    that commit; 'unknown' when it does not run from a git checkout (an installed wheel)."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if not commit:
        return UNKNOWN
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return commit + ("+changes" if changed else "")


def tool_name() -> str:
    """e.g. 'appeal-archive 0.1.0 (commit 1a2b3c...)'."""
    return f"appeal-archive {package_version()} (commit {source_commit()})"
