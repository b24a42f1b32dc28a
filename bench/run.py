"""Benchmark the pipeline on synthetic record sets, printing figures (never asserting them).

    python bench/run.py [--validate SIZE ...] [--pdf SIZE ...] [--jsonld SIZE ...] [--no-reference]

--validate: `appeal-archive validate` without its cache, then filling it, with it full and after one edit;
            `manifest` and `prove` with it full; check-jsonschema on the same files (default sizes 1000 10000
            100000; --no-reference skips check-jsonschema, which is slow).
--pdf:      `appeal-archive build` (validate, PDF/A, JSON-LD, signatures) for each size (default 10000 100000),
            `verify` of its PDF, and the build again with --bag.
--jsonld:   the JSON-LD bundle alone: size, triples, time to make it, to parse it with rdflib and to
            canonicalize it with pyld's URDNA2015, offline (default 1000 10000).
--hostile:  verify on every attack of tests/cases/verify/ at the real records' size and above 2,000 records,
            and on other hostile files (zeros, huge sources): exit code, time, memory (target: 300 MB each).
--editions: the full and the public edition of SIZE signatories with every tenth restricted, then one
            withheld signatory's proof and its check (default 10000 100000).
--intake:   `intake` of a petition export of SIZE rows (every tenth signer not consenting) into a copy of the
            real records, then `validate --no-cache` of the result (default 10000 100000; targets at 100,000:
            intake <= 60 s and <= 500 MB).
--levels:   build at each PAdES level (B-B to B-LTA, with the test PKI served on 127.0.0.1) of the real
            records and of SIZE signatories (default 0: the real records only): time, PDF size, verify time.

--smoke:    every benchmark above but --hostile at a small size (200 signatories), as CI runs it: it shows
            the benchmarks run, not how fast (targets at small sizes are not judged).

Each size is a record set from bench/generate.py (one signatory and one person record per signatory).
Figures: wall time, records (or pages) per second, and the peak resident memory of the whole process
tree, worker processes included. Targets at 100k signatories: validate >= 50x check-jsonschema and <= 250 MB;
after editing one file <= 1 s and <= 5% of that; manifest with the cache full within validate's time; prove
<= 2 s; build <= 45 s and <= 500 MB; verify <= 10 s and <= 300 MB (PSS); the bundle <= 3x its YAML, the
output folder <= 5,000 files. The real records: validate <= 250 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def tree_rss(root: int) -> tuple[int, int]:
    """(resident, proportional) bytes of a process and all its descendants, from /proc. Resident memory counts
    pages that forked workers share with their parent once in each process; the proportional set size (PSS)
    divides each shared page among its sharers, so its sum is the memory the tree really holds."""
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
    return sum(rss.get(pid, 0) for pid in family), sum(_pss(pid) for pid in family)


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def measure(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS bytes, exit code) of one command."""
    elapsed, rss, _, code = measure_both(command, stdout)
    return elapsed, rss, code


def measure_pss(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int, int]:
    """(wall seconds, peak tree PSS bytes: the memory really held, pages forked workers share counted once,
    exit code) of one command."""
    elapsed, _, pss, code = measure_both(command, stdout)
    return elapsed, pss, code


def measure_both(command: list[str], stdout=subprocess.DEVNULL, stdin=None) -> tuple[float, int, int, int]:
    """(wall seconds, peak RSS sum, peak PSS sum, exit code) of one command and its child processes."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, stdin=stdin)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = tree_rss(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, peak, peak_pss, process.returncode


def check_jsonschema(records: Path) -> tuple[float, int]:
    """check-jsonschema over every signatory and person file, in batches that fit the command line."""
    total, peak = 0.0, 0
    for folder, record_type in (("signatories", "signatory"), ("persons", "person")):
        files = sorted(str(path) for path in (records / folder).iterdir())
        schema_file = REPO / "schema" / f"{record_type}.schema.json"
        for start in range(0, len(files), 20_000):
            elapsed, rss, code = measure([str(BIN / "check-jsonschema"), "--schemafile", str(schema_file),
                                          *files[start:start + 20_000]])
            if code != 0:
                raise SystemExit(f"check-jsonschema rejected {folder} (exit {code})")
            total += elapsed
            peak = max(peak, rss)
    return total, peak


def synthetic(size: int, restricted_every: int = 0) -> Path:
    """The record set of `size` signatories (every n-th restricted), salted as an archivist's would be, made
    again when the generator changed since it was made."""
    target = HERE / "out" / (f"{size}-restricted-{restricted_every}" if restricted_every else str(size)) / "records"
    stamp = target.parent / "generator.sha256"
    made_by = hashlib.sha256((HERE / "generate.py").read_bytes() + b"salted").hexdigest()
    if not stamp.exists() or stamp.read_text() != made_by:
        shutil.rmtree(target.parent, ignore_errors=True)
        generate.write(size, target, restricted_every=restricted_every)
        subprocess.run([str(BIN / "appeal-archive"), "salt", str(target)], check=True, capture_output=True)
        stamp.write_text(made_by)
    return target


def header() -> None:
    """When, on which commit and on what machine the figures below were measured (docs quote them with it)."""
    from datetime import UTC, datetime

    def git(*args: str) -> str:
        run = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    changed = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"bench run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}{changed}, Python "
          f"{sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, {memory:.0f} GiB", flush=True)


def judge(what: str, value: float, limit: float, unit: str) -> None:
    """A target, and whether this run met it."""
    print(f"  target: {what} <= {limit:g} {unit}: {value:.2f} {unit}, {'met' if value <= limit else 'NOT met'}",
          flush=True)


def bench_validate(sizes: list[int], reference: bool) -> None:
    """validate without the cache, then with it: empty (filling it), full (nothing changed), after one file was
    edited; manifest and prove with it full; check-jsonschema on the same files."""
    cli = str(BIN / "appeal-archive")
    elapsed, rss, code = measure([cli, "validate", "--no-cache", str(REPO / "records")])
    print(f"real records: validate {elapsed * 1000:.0f} ms, peak {rss / 1e6:.0f} MB, exit {code}")
    judge("validate of the real records", elapsed * 1000, 250, "ms")
    print("(MB: peak PSS of the process tree)")
    print(f"{'signatories':>11} {'files':>7} | {'no cache':>8} {'MB':>5} | {'filling':>8} {'MB':>5} | {'full':>6} | "
          f"{'1 edit':>6} | {'manifest':>8} {'MB':>5} | {'prove':>6} | {'check-jsonschema':>16} {'MB':>5} | ratio")
    outer = os.environ.get("APPEAL_ARCHIVE_CACHE_DIR")
    for size in sizes:
        target = synthetic(size)
        files = sum(len(files) for _, _, files in os.walk(target))
        with tempfile.TemporaryDirectory() as cache:
            os.environ["APPEAL_ARCHIVE_CACHE_DIR"] = cache  # empty at first: the cold runs
            runs = {}
            records = str(target)
            for label, command in (("no cache", ["validate", "--no-cache", records]),
                                   ("filling", ["validate", records]), ("full", ["validate", records]),
                                   ("1 edit", ["validate", records]),
                                   ("manifest", ["manifest", records]),
                                   ("prove", ["prove", "p0000001", records, "--out", str(Path(cache) / "proof.json")])):
                edited = target / "signatories" / "s0000001.yaml" if label == "1 edit" else None
                before = edited.read_bytes() if edited else b""
                if edited:
                    edited.write_bytes(before + b"# an archivist's note\n")
                try:
                    runs[label] = measure_pss([cli, *command])
                finally:
                    if edited:
                        edited.write_bytes(before)
                assert runs[label][2] == 0, f"{label} failed on {target}"
            os.environ.pop("APPEAL_ARCHIVE_CACHE_DIR")
            if outer is not None:
                os.environ["APPEAL_ARCHIVE_CACHE_DIR"] = outer
        use_reference = reference and shutil.which("check-jsonschema", path=str(BIN))
        reference_s, reference_rss = check_jsonschema(target) if use_reference else (0, 0)
        cold = runs["no cache"][0]
        ratio = f"{reference_s / cold:.1f}x" if reference_s else "n/a"
        print(f"{size:>11,} {files:>7,} | {cold:>6.2f} s {runs['no cache'][1] / 1e6:>5.0f} | "
              f"{runs['filling'][0]:>6.2f} s {runs['filling'][1] / 1e6:>5.0f} | {runs['full'][0]:>4.2f} s | "
              f"{runs['1 edit'][0]:>4.2f} s | {runs['manifest'][0]:>6.2f} s {runs['manifest'][1] / 1e6:>5.0f} | "
              f"{runs['prove'][0]:>4.2f} s | {reference_s:>14.2f} s {reference_rss / 1e6:>5.0f} | {ratio}", flush=True)
        if size == 100_000:
            if reference_s:
                print(f"  target: validate >= 50x check-jsonschema: {reference_s / cold:.1f}x, "
                      f"{'met' if reference_s / cold >= 50 else 'NOT met'}", flush=True)
            judge("validate's peak memory, without the cache", runs["no cache"][1] / 1e6, 250, "MB")
            judge("validate after editing one file", runs["1 edit"][0], 1, "s")
            judge("the same, as a share of validate without the cache", 100 * runs["1 edit"][0] / cold, 5, "%")
            judge("manifest with the cache full, against validate without it", runs["manifest"][0], cold, "s")
            judge("prove one record with the cache full", runs["prove"][0], 2, "s")


def bench_pdf(sizes: list[int]) -> None:
    """A signed build (B-B, the local identity), verify of its PDF, then the same build with --bag."""
    cli = str(BIN / "appeal-archive")
    print(f"{'signatories':>11} | {'build':>9} {'pages':>6} {'pages/s':>8} {'PDF MB':>7} {'peak MB':>8} | "
          f"{'verify':>8} {'RSS sum':>8} {'PSS sum':>8} | {'with --bag':>10} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as identity:
        os.environ.update(APPEAL_ARCHIVE_IDENTITY_DIR=identity, SOURCE_DATE_EPOCH="1684627200")
        for size in sizes:
            target = synthetic(size)
            out = target.parent / "build"
            shutil.rmtree(out, ignore_errors=True)  # a build replacing an earlier one would time its removal too
            os.sync()  # and a build's own sync would wait for the earlier runs' writes
            with tempfile.TemporaryFile() as log:
                build_s, build_pss, code = measure_pss([cli, "build", str(target), "--out", str(out)], stdout=log)
                log.seek(0)
                output = log.read().decode()
            assert code == 0, output
            pages = int(re.search(r"(\d+) pages", output).group(1))
            pdf = next(out.glob("*.pdf"))
            sized_for_people(target, out)
            verify_s, verify_rss, verify_pss, code = measure_both([cli, "verify", str(pdf)])
            assert code == 0, f"verify failed on {pdf}"
            shutil.rmtree(out)
            os.sync()
            bag_s, bag_pss, code = measure_pss([cli, "build", str(target), "--out", str(out), "--bag"])
            assert code == 0, "the build with --bag failed"
            print(f"{size:>11,} | {build_s:>7.2f} s {pages:>6,} {pages / build_s:>8,.0f} "
                  f"{pdf.stat().st_size / 1e6:>7.1f} {build_pss / 1e6:>8.0f} | {verify_s:>6.2f} s "
                  f"{verify_rss / 1e6:>8.0f} {verify_pss / 1e6:>8.0f} | {bag_s:>8.2f} s {bag_pss / 1e6:>8.0f}",
                  flush=True)
            if size == 100_000:
                judge(f"build of {size:,} signatories", build_s, 45, "s")
                judge("its peak memory (PSS)", build_pss / 1e6, 500, "MB")
                judge("verify of its PDF", verify_s, 10, "s")
                judge("verify's memory (PSS)", verify_pss / 1e6, 300, "MB")
                judge("what --bag adds to the build", 100 * (bag_s - build_s) / build_s, 10, "%")


def sized_for_people(records: Path, out: Path) -> None:
    """The outputs as a reader meets them: the bundle against the YAML it describes, how many files the output
    folder holds, the manifest's form."""
    yaml_bytes = sum(path.stat().st_size for path in records.rglob("*.yaml"))
    bundle = next(out.glob("*.jsonld"))
    files = sum(1 for path in out.rglob("*") if path.is_file())
    manifest = out / "manifest.json"
    print(f"  outputs: bundle {bundle.stat().st_size / 1e6:.1f} MB for {yaml_bytes / 1e6:.1f} MB of YAML; "
          f"{files:,} files in the output folder; manifest {manifest.stat().st_size / 1e6:.1f} MB", flush=True)
    judge("the bundle against its YAML", bundle.stat().st_size / yaml_bytes, 3, "x")
    judge("files in the output folder", files, 5000, "files")


def bench_levels(sizes: list[int]) -> None:
    """Signing at each PAdES level, with the test PKI's two time-stamp authorities on 127.0.0.1."""
    sys.path.insert(0, str(REPO / "tests"))
    from pki import serve_pki

    cli = str(BIN / "appeal-archive")
    print(f"{'records':>11} {'level':>6} | {'build':>8} {'PDF bytes':>12} {'added by signing':>17} | {'verify':>8} "
          f"{'PSS sum':>8}")
    with tempfile.TemporaryDirectory() as scratch, serve_pki(Path(scratch) / "pki") as pki:
        os.environ.update(APPEAL_ARCHIVE_IDENTITY_DIR=str(Path(scratch) / "identity"), SOURCE_DATE_EPOCH="1684627200")
        for size in sizes:
            target = synthetic(size) if size else REPO / "records"
            unsigned = Path(scratch) / f"unsigned-{size}"
            subprocess.run([cli, "build", str(target), "--out", str(unsigned), "--unsigned"], check=True,
                           capture_output=True)
            base = next(unsigned.glob("*.pdf")).stat().st_size
            for level, authorities in (("B-B", []), ("B-T", pki.tsa_urls[:1]), ("B-LT", pki.tsa_urls[:1]),
                                       ("B-LTA", pki.tsa_urls)):
                out = Path(scratch) / f"{level}-{size}"
                options = [option for url in authorities for option in ("--tsa", url)]
                build_s, _, code = measure([cli, "build", str(target), "--out", str(out), "--level", level,
                                            "--key", str(pki.signer_key), "--cert", str(pki.signer_cert),
                                            "--trust-root", str(pki.root_cert), *options], stdout=subprocess.DEVNULL)
                assert code == 0, f"build at {level} failed"
                pdf = next(out.glob("*.pdf"))
                verify_s, _, verify_pss, code = measure_both([cli, "verify", "--trust-root", str(pki.root_cert),
                                                              str(pdf)])
                assert code == 0, f"verify of {level} failed"
                label = f"{size:,}" if size else "real"
                print(f"{label:>11} {level:>6} | {build_s:>6.2f} s {pdf.stat().st_size:>12,} "
                      f"{pdf.stat().st_size - base:>17,} | {verify_s:>6.2f} s {verify_pss / 1e6:>8.0f}", flush=True)


def bench_editions(sizes: list[int]) -> None:
    """The full and the public edition of SIZE signatories with every tenth restricted (signed with a local
    identity, B-B), then one withheld signatory's proof, and the public edition's site. Targets: public <= 1.2 x
    full; a proof's audit path under 1 KB; no page of the site over 2 MB, and a few thousand pages at most."""
    cli = str(BIN / "appeal-archive")
    print(f"{'records':>9} | {'validate':>8} {'full':>8} {'public':>8} {'ratio':>5} {'PSS public':>10} | "
          f"{'withheld':>8} | {'prove':>7} {'path':>5} {'path bytes':>10} {'proof file':>10} {'verify':>7}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(APPEAL_ARCHIVE_IDENTITY_DIR=str(Path(scratch) / "identity"), SOURCE_DATE_EPOCH="1684627200")
        subprocess.run([cli, "identity", "--create"], check=True, capture_output=True)
        for size in sizes:
            target = synthetic(size, restricted_every=10)
            subprocess.run([cli, "salt", str(target)], check=True, capture_output=True)  # once, like a commit
            validate_s, _, code = measure([cli, "validate", str(target)])
            assert code == 0, "the synthetic set does not validate"
            full_s, _, code = measure([cli, "build", str(target), "--out", str(Path(scratch) / "full")])
            assert code == 0, "the full build failed"
            public_s, _, public_pss, code = measure_both([cli, "build", str(target), "--edition", "public", "--out",
                                                          str(Path(scratch) / "public")])
            assert code == 0, "the public build failed"
            manifest = json.loads((Path(scratch) / "public" / "manifest.json").read_text())
            proof = Path(scratch) / "proof.json"
            prove_s, _, code = measure([cli, "prove", "p0000010", str(target), "--out", str(proof)])
            assert code == 0, "prove failed"
            nodes = json.loads(proof.read_text())["audit_path"]
            pdf = next((Path(scratch) / "public").glob("*.pdf"))
            verify_s, _, code = measure([cli, "verify", str(proof), "--against", str(pdf)])
            assert code == 0, "verify --against failed"
            print(f"{size:>9,} | {validate_s:>6.1f} s {full_s:>6.1f} s {public_s:>6.1f} s {public_s / full_s:>5.2f} "
                  f"{public_pss / 1e6:>7.0f} MB | {len(manifest['withheld']):>8,} | {prove_s:>5.1f} s {len(nodes):>5} "
                  f"{32 * len(nodes):>8} B {proof.stat().st_size:>8,} B {verify_s:>5.1f} s", flush=True)
            pages = [path for path in (Path(scratch) / "public" / "site").rglob("*.html")]
            largest = max(path.stat().st_size for path in pages)
            print(f"  site: {len(pages):,} pages, {sum(path.stat().st_size for path in pages) / 1e6:.1f} MB, the "
                  f"largest {largest / 1e6:.2f} MB", flush=True)
            if size >= 10_000:
                judge("the site's largest page", largest / 1e6, 2, "MB")
                judge("the site's pages", len(pages), 5000, "files")
            public = Path(scratch) / "public"
            bundle = next(public.glob("*.jsonld"))
            _, _, idle_pss = measured_page(public / "site" / "verify.html", [])
            print(f"  Chromium with verify.html open, nothing given: {idle_pss / 1e6:.0f} MB PSS", flush=True)
            for what, files in (("PDF", [pdf]), ("bundle", [bundle, Path(f"{bundle}.p7s")])):
                page_s, verdict, page_pss = measured_page(public / "site" / "verify.html", files)
                cli_s, _, cli_pss, code = measure_both([cli, "verify", str(files[0])])
                print(f"  the {what}: verify.html {verdict} in {page_s:.1f} s, {page_pss / 1e6:.0f} MB PSS (Chromium "
                      f"from file:, with its driver); appeal-archive verify exit {code} in {cli_s:.1f} s, "
                      f"{cli_pss / 1e6:.0f} MB PSS", flush=True)
                if what == "PDF" and size == 10_000:
                    judge("verify.html on the 10,000-signatory PDF", page_s, PAGE_LIMIT_S, "s")


PAGE_LIMIT_S = 30  # the stated time for the page to judge the 10,000-signatory PDF


def measured_page(page: Path, files: list[Path]) -> tuple[float, str, int]:
    """(seconds from giving the files to the verdict, the verdict, peak PSS of the browser, its driver and this
    script's child that runs them), from a process of its own so that its memory is the browser's."""
    command = [sys.executable, str(Path(__file__)), "--page-verify", str(page), *map(str, files)]
    with tempfile.TemporaryFile() as out:
        _, _, pss, code = measure_both(command, stdout=out)
        out.seek(0)
        seconds, verdict = out.read().decode().split()
    assert code == 0, "the page could not be driven"
    return float(seconds), verdict, pss


def page_verify(page: Path, files: list[Path]) -> tuple[float, str]:
    """Seconds from giving the files to site/verify.html to its verdict, in Debian's Chromium (Playwright)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return float("nan"), "not measured (no Chromium)"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            if not files:  # the browser with the page open and nothing given: what the figures above start from
                return 0.0, "idle"
            started = time.perf_counter()
            tab.set_input_files("#files", [str(file) for file in files])
            tab.wait_for_selector('#verdict:not([data-verdict=""])', state="attached", timeout=600_000)
            return time.perf_counter() - started, tab.get_attribute("#verdict", "data-verdict") or ""
        finally:
            browser.close()


HOSTILE_LIMIT = 300_000_000  # bytes of PSS, summed over verify's processes


def bench_hostile() -> None:
    """verify on every attack of tests/cases/verify/, on a B-LTA build of the real records and of the same
    records above 2,000 (where they travel in ZIPs), then on hostile files of other kinds, and validate on huge
    sources: exit code, time, and peak memory (the sums of RSS and of PSS over the process tree). Targets: the
    attack's expected exit, and every one within 300 MB."""
    sys.path.insert(0, str(REPO / "tests"))
    import attacks
    from pki import serve_pki

    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.keys import SignerConfig

    cli = str(BIN / "appeal-archive")
    worst, missed = 0, []
    print(f"{'hostile input':<66} | {'exit':>4} {'time':>8} {'RSS sum':>8} {'PSS sum':>8}")
    with tempfile.TemporaryDirectory() as scratch, serve_pki(Path(scratch) / "pki") as pki:
        folder = Path(scratch)
        os.environ.update(APPEAL_ARCHIVE_IDENTITY_DIR=str(folder / "identity"), SOURCE_DATE_EPOCH="1684627200")
        builds = {}
        for size, records in (("seed", REPO / "records"),
                              ("2,034 records", generate.beside_real_records(REPO / "records", 1000,
                                                                             folder / "large" / "records"))):
            builds[size] = folder / f"build-{len(builds)}"
            result = build_archive(records, builds[size], bag=True, environ=dict(os.environ),
                                   signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert,
                                                              tsa_urls=pki.tsa_urls, trust_roots=(pki.root_cert,)))
            assert result.ok, result.issues[:3]

        def fresh(name: str, size: str = "seed") -> Path:
            copy = folder / "attacks" / size / name / "build"
            shutil.copytree(builds[size], copy)
            return copy

        def run(label: str, command: list, expected: int | None = None) -> None:
            nonlocal worst
            elapsed, rss, pss, code = measure_both([cli, *map(str, command)])
            worst = max(worst, pss)
            if pss > HOSTILE_LIMIT or (expected is not None and code != expected):
                missed.append(label)
            print(f"{label[:66]:<66} | {code:>4} {elapsed:>6.2f} s {rss / 1e6:>8.0f} {pss / 1e6:>8.0f}", flush=True)

        for case in sorted((REPO / "tests" / "cases" / "verify").iterdir()):
            spec = json.loads((case / "case.json").read_text())
            for size in builds:
                target = attacks.ATTACKS[spec["attack"]](fresh(case.name, size), pki)
                options = (["--trust-root", pki.root_cert] if spec["trust_root"] else []) + \
                    (["--rebuild"] if spec.get("rebuild") else [])
                run(f"{case.name} ({size})", ["verify", *options, target], spec["exit"])

        def zeros_pdf(size: int) -> Path:
            path = folder / f"zeros-{size >> 20}MiB.pdf"
            with open(path, "wb") as handle:
                handle.write(b"%PDF-1.7\n")
                handle.write(b"\0" * min(size, 1 << 27))
                handle.truncate(size)  # the rest sparse: a gigabyte costs no disk, and reads as zeros
            return path

        def big_source(megabytes: int) -> Path:
            records = folder / f"source-{megabytes}MB" / "records"
            shutil.copytree(REPO / "records", records)
            document = records / "sources" / "appeal-of-belarusians-to-the-eu.txt"
            line = ("Лукашэнка line of text number " * 20 + "\n").encode()
            with open(document, "ab") as handle:
                handle.write(line * (megabytes * 1_000_000 // len(line)))
            capture = records / "sources" / "appeal-of-belarusians-to-the-eu-capture.yaml"
            capture.write_text(re.sub(r"sha256: [0-9a-f]{64}",
                                      "sha256: " + hashlib.sha256(document.read_bytes()).hexdigest(),
                                      capture.read_text()))
            return records

        run("100 MiB of zeros after %PDF-", ["verify", zeros_pdf(100 << 20)], 1)
        run("1 GiB of zeros after %PDF-", ["verify", zeros_pdf(1 << 30)], 1)
        run("validate: a 100 MB source text", ["validate", big_source(100)], 1)
        run("validate: a 31 MB source text (valid: the largest allowed)", ["validate", big_source(31)], 0)
    print(f"worst PSS sum {worst / 1e6:.0f} MB (target: every case within {HOSTILE_LIMIT / 1e6:.0f} MB, with its "
          f"expected exit): {'met' if not missed else 'NOT met: ' + ', '.join(missed)}")


def bench_jsonld(sizes: list[int]) -> None:
    import json

    import rdflib
    from pyld import jsonld

    from appeal_archive.ledger.manifest import make_manifest
    from appeal_archive.records.validate import load_record_set
    from appeal_archive.views.dossier import Dossier
    from appeal_archive.views.jsonld import bundle_bytes

    def offline(url, options=None):
        raise jsonld.JsonLdError(f"offline: {url}", "jsonld.LoadDocumentError", code="loading document failed")

    print(f"{'signatories':>11} | {'bundle MB':>9} {'triples':>9} | {'make':>7} {'rdflib':>7} {'URDNA2015':>9}")
    for size in sizes:
        record_set = load_record_set(synthetic(size))[1]
        started = time.perf_counter()
        data = bundle_bytes(Dossier.from_record_set(record_set, make_manifest(record_set)))
        made = time.perf_counter()
        triples = len(rdflib.Graph().parse(data=data, format="json-ld"))
        parsed = time.perf_counter()
        jsonld.normalize(json.loads(data), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                            "documentLoader": offline})
        done = time.perf_counter()
        print(f"{size:>11,} | {len(data) / 1e6:>9.1f} {triples:>9,} | {made - started:>5.2f} s {parsed - made:>5.2f} s "
              f"{done - parsed:>7.2f} s", flush=True)


def petition_export(rows: int, target: Path) -> Path:
    """A petition export as a web form writes it (csv module, UTF-8): unique names in Latin and Cyrillic, every
    tenth signer not consenting, e-mail and IP columns intake must leave out."""
    import csv

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Full name", "E-mail", "City", "Country", "Date signed", "Comment", "Publish my name",
                         "IP address"])
        for number, (_, name, _) in enumerate(generate.entries(rows, 2023), 1):
            writer.writerow([name, f"signer{number}@mail.example", generate.CITIES[number % len(generate.CITIES)],
                             "BY", f"{number % 28 + 1:02d}.06.2023", "Free them all" if number % 5 == 0 else "",
                             "no" if number % 10 == 0 else "yes", f"10.{number >> 16 & 255}.{number >> 8 & 255}."
                             f"{number & 255}"])
    return target


INTAKE_MAP = REPO / "examples" / "petition-map.yaml"  # the README's map: its columns are the export's


def bench_intake(sizes: list[int]) -> None:
    """`intake` of an export of SIZE rows into a copy of the real records, then `validate` of the result."""
    cli = str(BIN / "appeal-archive")
    print(f"{'rows':>9} | {'intake':>8} {'PSS MB':>7} | {'validate':>8} {'PSS MB':>7}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            records = Path(folder) / "records"
            shutil.copytree(REPO / "records", records)
            export = petition_export(size, Path(folder) / "export.csv")
            shutil.copy(INTAKE_MAP, Path(folder) / "map.yaml")
            os.sync()
            intake_s, intake_pss, code = measure_pss([cli, "intake", str(export), "--appeal",
                                                      "appeal-of-belarusians-to-the-eu", "--map",
                                                      str(Path(folder) / "map.yaml"), str(records)])
            assert code == 0, "intake failed"
            validate_s, validate_pss, code = measure_pss([cli, "validate", "--no-cache", str(records)])
            assert code == 0, "validate failed on what intake wrote"
            print(f"{size:>9,} | {intake_s:>6.2f} s {intake_pss / 1e6:>7.0f} | {validate_s:>6.2f} s "
                  f"{validate_pss / 1e6:>7.0f}", flush=True)
            if size == 100_000:
                judge(f"intake of {size:,} rows", intake_s, 60, "s")
                judge("its peak memory (PSS)", intake_pss / 1e6, 500, "MB")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validate", nargs="*", type=int, metavar="SIZE")
    parser.add_argument("--pdf", nargs="*", type=int, metavar="SIZE")
    parser.add_argument("--jsonld", nargs="*", type=int, metavar="SIZE")
    parser.add_argument("--hostile", action="store_true", help="verify and validate on hostile input")
    parser.add_argument("--levels", nargs="*", type=int, metavar="SIZE", help="signing at each PAdES level")
    parser.add_argument("--editions", nargs="*", type=int, metavar="SIZE",
                        help="full and public edition with every tenth signatory restricted, and a proof")
    parser.add_argument("--intake", nargs="*", type=int, metavar="SIZE",
                        help="intake of a petition export of SIZE rows, then validate of the result")
    parser.add_argument("--no-reference", action="store_true", help="skip check-jsonschema")
    parser.add_argument("--smoke", action="store_true", help="every benchmark but --hostile, at 200 signatories")
    # measured_page's child: PAGE [FILE...]
    parser.add_argument("--page-verify", nargs="+", metavar="FILE", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    options = parser().parse_args()
    if options.page_verify:
        seconds, verdict = page_verify(Path(options.page_verify[0]), [Path(file) for file in options.page_verify[1:]])
        print(f"{seconds:.3f} {verdict or 'none'}")
        return
    header()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["APPEAL_ARCHIVE_CACHE_DIR"] = cache  # never the user's own; each --validate size has its own
        run(options)


def run(options: argparse.Namespace) -> None:
    if options.smoke:
        bench_validate([200], reference=False)
        bench_pdf([200])
        bench_jsonld([200])
        bench_levels([0])
        bench_editions([200])
        bench_intake([200])
        return
    everything = (options.validate is None and options.pdf is None and options.jsonld is None and not options.hostile
                  and options.levels is None and options.editions is None and options.intake is None)
    if options.validate is not None or everything:
        bench_validate(options.validate or [1000, 10_000, 100_000], reference=not options.no_reference)
    if options.pdf is not None or everything:
        bench_pdf(options.pdf or [10_000, 100_000])
    if options.jsonld is not None or everything:
        bench_jsonld(options.jsonld or [1000, 10_000])
    if options.hostile or everything:
        bench_hostile()
    if options.levels is not None or everything:
        bench_levels(options.levels or [0])
    if options.editions is not None or everything:
        bench_editions(options.editions or [10_000, 100_000])
    if options.intake is not None or everything:
        bench_intake(options.intake or [10_000, 100_000])


if __name__ == "__main__":
    main()
