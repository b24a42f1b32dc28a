"""Hostile input, generated: every byte of the signed ranges is covered, and no mutation of the records makes
validate or manifest exit with anything but 0 or 1 or print a traceback."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REAL_RECORDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal_archive.cli.main import main
from appeal_archive.verify import verify_archive

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


def signed_ranges(data: bytes) -> list[range]:
    first, length, second, second_length = (int(value) for value in re.search(
        rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data).groups())
    return [range(first, first + length), range(second, second + second_length)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(min_value=0, max_value=7))
def test_a_flipped_bit_anywhere_in_the_signed_ranges_is_caught(signed_build: Path, tmp_path_factory, where, bit):
    data = bytearray(signed_build.read_bytes())
    ranges = signed_ranges(bytes(data))
    offset = int(where * sum(len(part) for part in ranges))
    position = ranges[0][offset] if offset < len(ranges[0]) else ranges[1][offset - len(ranges[0])]
    data[position] ^= 1 << bit
    target = tmp_path_factory.mktemp("flip") / signed_build.name
    target.write_bytes(data)
    report = verify_archive(target)
    assert not report.ok, position
    assert not any(issue.code == "internal.error" for issue in report.issues)


FUZZ_SEED = 8_2026
INSERTS = ["~", "null", "---\n", "%YAML 1.1\n---\n", "!!python/object:os.system", "&a", "*a", "1e400", "0x" + "f" * 60,
           "9" * 5000, "\t", "\x00", "\u202e", "\ufeff", "'", '"', "{", "[", ":", "- ", "? ", "|", ">", "#", "\\x07",
           '"\\0\\e\\N\\L"', "NO", "2023-05-21", "010", "1:20", "\xff", "\n  - x\n", "\n" * 3]


def mutate(text: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    position = rng.randrange(len(text) + 1)
    if choice == 0:
        return text[:position] + rng.choice(INSERTS).encode("utf-8", "surrogatepass") + text[position:]
    if choice == 1:
        return text[:position] + text[position + rng.randrange(1, 40):]
    if choice == 2:
        lines = text.split(b"\n")
        line = rng.randrange(len(lines))
        lines.insert(line, lines[line])
        return b"\n".join(lines)
    return text[:position] + bytes([rng.randrange(256)]) + text[position + 1:]


def test_mutated_records_never_crash_validate_or_manifest(tmp_path: Path, monkeypatch):
    """A seeded, bounded fuzz: a few seconds in CI."""
    rng = random.Random(FUZZ_SEED)
    files = sorted(path.relative_to(REAL_RECORDS) for path in REAL_RECORDS.rglob("*.yaml"))
    monkeypatch.chdir(tmp_path)
    for round_number in range(60):
        folder = tmp_path / str(round_number)
        shutil.copytree(REAL_RECORDS, folder / "records")
        for _ in range(rng.randrange(1, 4)):
            target = folder / "records" / rng.choice(files)
            target.write_bytes(mutate(target.read_bytes(), rng))
        for command in ("validate", "manifest"):
            result = CliRunner().invoke(main, [command, str(folder / "records")])
            assert result.exit_code in (0, 1), (round_number, command, result.output[-500:])
            assert (result.exception is None
                    or isinstance(result.exception, SystemExit)), (round_number, result.exception)
            assert "internal.error" not in result.output and "Traceback" not in result.output
        shutil.rmtree(folder)
