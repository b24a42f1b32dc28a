"""Benchmark: `appeal-archive validate` and `manifest` beside check-jsonschema on the same synthetic files.

    python bench/run.py [SIZE ...]        default sizes: 1000 10000 100000 signatories

Each size is a record set from bench/generate.py (one signatory and one person record per signatory).
Prints wall time, records per second and the peak resident memory of the whole process tree (workers
included) for each command, and how much faster than check-jsonschema validate is. Targets (issue 2):
validate + manifest of 100k signatories <= 15 s and <= 500 MB; validate of the real records <= 250 ms.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    family, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in family)


def measure(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS bytes, exit code) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, peak, process.returncode


def check_jsonschema(records: Path) -> tuple[float, int]:
    """check-jsonschema over every signatory and person file, in batches that fit the command line."""
    total, peak = 0.0, 0
    for folder, record_type in (("signatories", "signatory"), ("persons", "person")):
        files = sorted(str(path) for path in (records / folder).iterdir())
        schema_file = REPO / "schema" / f"{record_type}.schema.json"
        for start in range(0, len(files), 20_000):
            elapsed, rss, code = measure([str(BIN / "check-jsonschema"), "--schemafile", str(schema_file),
                                          "--base-uri", schema_file.as_uri(), *files[start:start + 20_000]])
            if code != 0:
                raise SystemExit(f"check-jsonschema rejected {folder} (exit {code})")
            total += elapsed
            peak = max(peak, rss)
    return total, peak


def main(sizes: list[int]) -> None:
    cli = str(BIN / "appeal-archive")
    elapsed, rss, code = measure([cli, "validate", str(REPO / "records")])
    print(f"real records: validate {elapsed * 1000:.0f} ms, peak {rss / 1e6:.0f} MB, exit {code}")
    print(f"{'signatories':>11} {'files':>7} | {'validate':>14} {'rec/s':>7} {'MB':>5} | "
          f"{'manifest':>14} {'rec/s':>7} {'MB':>5} | {'check-jsonschema':>16} {'MB':>5} | ratio")
    for size in sizes:
        target = HERE / "out" / str(size) / "records"
        if not (target / "appeals" / "synthetic-appeal.yaml").exists():
            generate.write(size, target)
        files = sum(len(files) for _, _, files in os.walk(target))
        validate_s, validate_rss, code = measure([cli, "validate", str(target)])
        assert code == 0, f"validate failed on {target}"
        manifest_s, manifest_rss, code = measure([cli, "manifest", str(target)])
        assert code == 0, f"manifest failed on {target}"
        reference_s, reference_rss = check_jsonschema(target) if shutil.which("check-jsonschema", path=str(BIN)) else (0, 0)
        ratio = f"{reference_s / validate_s:.1f}x" if reference_s else "n/a"
        print(f"{size:>11,} {files:>7,} | {validate_s:>12.2f} s {files / validate_s:>7,.0f} {validate_rss / 1e6:>5.0f} | "
              f"{manifest_s:>12.2f} s {files / manifest_s:>7,.0f} {manifest_rss / 1e6:>5.0f} | "
              f"{reference_s:>14.2f} s {reference_rss / 1e6:>5.0f} | {ratio}", flush=True)


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [1000, 10_000, 100_000])
