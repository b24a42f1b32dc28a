"""Reading the files to verify: what cannot be read means the check cannot run (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import fail


def read_input(path: Path) -> bytes:
    """The bytes of a file to verify; unreadable means the check cannot run (exit 3)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise fail("verify.unreadable", f"cannot read {path}: {error.strerror}", "check the path",
                   file=str(path)) from error


def read_json(path: Path) -> Any:
    """A JSON file beside or inside what is verified, as data; None when it is not JSON."""
    try:
        return json.loads(read_input(path))
    except ValueError:
        return None
