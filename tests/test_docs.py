"""The README and docs/ stay true: every command they show runs here, page by page, as a reader would run it.

A page's ```sh blocks run in order, in one folder of the page's own (a copy of this repository's records and
the files its commands name), each block by bash with `set -euo pipefail`; they must all succeed. ```sh ci
blocks are what CI runs (`.ci/run` must run each of their commands), ```sh bench blocks are full-size benchmark
runs (bench/run.py must accept their options), and blocks of other languages are not commands (```python and
```sparql are run by the tests of their subjects: test_manifest, test_jsonld). The URLs of the example
time-stamp authorities (tsa.example, tsa2.example: reserved for examples) stand for the test PKI's two.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import EPOCH, REAL_RECORDS, REPO, need_tool
from pki import PASSPHRASE

PAGES = ["README.md", *sorted(path.relative_to(REPO).as_posix() for path in (REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^(?P<indent>[ ]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S)
KINDS = {"sh", "sh ci", "sh bench", "text", "console", "yaml", "json", "python", "sparql"}
EXAMPLE_AUTHORITIES = ("https://tsa.example/tsr", "https://tsa2.example/tsr")
NAME = "AA-2023-05-21-belarusians-to-eu"


def blocks(page: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block of a page, its indentation removed."""
    text = (REPO / page).read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].splitlines())
        found.append((match["info"].strip(), body + "\n"))
    return found


def commands(body: str) -> list[str]:
    """The command lines of a block, without their comments."""
    return [line.split(" #", 1)[0].strip() for line in body.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_every_page_is_listed_and_every_block_is_of_a_known_kind():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"({page})" in readme for page in PAGES[1:]), "the README's list of pages misses one"
    for page in PAGES:
        kinds = {info for info, _ in blocks(page)}
        assert kinds <= KINDS, (page, kinds - KINDS)
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 400


def test_ci_runs_the_commands_shown_as_ci():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    shown = [command for page in PAGES for info, body in blocks(page) if info == "sh ci" for command in commands(body)]
    assert shown and all(re.search(rf"^{re.escape(command)}\b", ci, re.M) for command in shown), shown


def test_the_full_size_benchmarks_shown_are_ones_bench_accepts():
    shown = [command for page in PAGES for info, body in blocks(page) if info == "sh bench"
             for command in commands(body)]
    assert shown
    for command in shown:
        words = shlex.split(command)
        assert words[:2] == [".venv/bin/python", "bench/run.py"], command
        sys.path.insert(0, str(REPO / "bench"))
        try:
            import run as bench

            bench.parser().parse_args(words[2:])  # exits (SystemExit) on an option it does not know
        finally:
            sys.path.remove(str(REPO / "bench"))


def test_the_commands_of_the_pages_are_all_run():
    assert sorted(PAGE_SETUP) == sorted(page for page in PAGES if any(info == "sh" for info, _ in blocks(page)))


# --- the folders the pages' commands run in -----------------------------------------------------------------


def _project(folder: Path) -> None:
    """What a checkout gives the archivist: the records, the schema, the Makefile and the set-up environment."""
    shutil.copytree(REAL_RECORDS, folder / "records")
    shutil.copytree(REPO / "schema", folder / "schema")
    shutil.copytree(REPO / "examples", folder / "examples")
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, folder / name)  # with their times: make finds the environment set up
    _environment(folder / ".venv")


def _environment(venv: Path) -> None:
    """The set-up environment, seen from the reader's folder: its programs and libraries are this checkout's
    (linked, never changed), its set-up stamp a copy, so that a make there can neither see it outdated nor
    touch the real one."""
    real = REPO / ".venv"
    venv.mkdir()
    for name in ("bin", "lib", "include"):
        (venv / name).symlink_to(real / name)
    shutil.copy2(real / "pyvenv.cfg", venv / "pyvenv.cfg")
    stamps = list(real.glob(".installed-*"))
    assert stamps, "set up .venv first (make test does)"
    for stamp in stamps:
        shutil.copy2(stamp, venv / stamp.name)


def _checkout(target: Path) -> None:
    """A copy of this repository as a recipient would have it: the files git tracks, as they are now."""
    git = shutil.which("git")
    listed = subprocess.run([git, "-C", str(REPO), "ls-files", "-z"], capture_output=True) if git else None
    names = listed.stdout.decode().split("\0") if listed and listed.returncode == 0 else []
    if not names:
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "build", "bench", "__pycache__"))
        return
    for name in filter(None, names):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)


def _sources(folder: Path) -> None:
    """The code, its tests, tools and benchmarks, for the developer's commands (read, never changed)."""
    for name in ("src", "tests", "tools", "bench"):
        (folder / name).symlink_to(REPO / name)


def _signing_material(folder: Path, pki) -> None:
    """What a certification authority issued to a custodian, and the authorities' root."""
    shutil.copy(pki.signer_key, folder / "signer.key")
    shutil.copy(pki.signer_cert, folder / "signer.pem")
    shutil.copy(pki.signer_p12, folder / "signer.p12")
    shutil.copy(pki.root_cert, folder / "tsa-root.pem")


def _received(folder: Path, given) -> None:
    """A recipient's folder: a PAdES B-LTA build with its bag, signed by a custodian identity, time-stamped by
    the test PKI's two authorities; the custodian CA's certificate as the custodian exported it; the
    authorities' root; and a checkout of appeal-archive."""
    from appeal_archive.build.archive import build_archive
    from appeal_archive.signing.custodian import CA_CERT
    from appeal_archive.signing.keys import SignerConfig

    built, identity = folder.parent / "made-by-the-custodian", folder.parent / "custodian-identity"
    shutil.copytree(given.identity, identity)
    result = build_archive(REAL_RECORDS, built, bag=True, environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(identity_dir=identity, tsa_urls=given.pki.tsa_urls,
                                                      trust_roots=(given.pki.root_cert,)))
    assert result.ok and result.level == "PAdES B-LTA"
    shutil.copy(built / f"{NAME}.pdf", folder)
    shutil.copytree(built / f"{NAME}-bag", folder / f"{NAME}-bag")
    shutil.copy(identity / CA_CERT, folder / "custodian-ca.pem")
    shutil.copy(given.pki.root_cert, folder / "tsa-root.pem")
    _checkout(folder / "appeal-archive")


def _restrict_azarov(folder: Path) -> None:
    """The restriction the page shows, made in the folder's records."""
    person = folder / "records" / "persons" / "alexander-azarov.yaml"
    text = person.read_text(encoding="utf-8")
    person.write_text(text.replace("type: person\n", "type: person\naccess: restricted\n"), encoding="utf-8")


def _recipient_of_the_readme(folder: Path) -> Path:
    """The README's recipient: the PDF and the CA certificate its reader built and exported, and a checkout."""
    recipient = folder / "recipient"
    recipient.mkdir()
    shutil.copy(folder / "build" / f"{NAME}.pdf", recipient)
    shutil.copy(folder / "custodian-ca.pem", recipient)
    _checkout(recipient / "appeal-archive")
    return recipient


def _pip_cache() -> str:
    """This machine's pip cache: the reader's HOME is empty, but a reader who installs has a cache like anyone's
    (the packages come from the index all the same; only their downloads are saved, 35 s per install)."""
    found = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else str(Path.home() / ".cache" / "pip")


# Per page: what its folder holds before its first command, and, before a block holding a given text, the
# folder that block (and the rest) runs in; then what its output must say.
PAGE_SETUP = {
    "README.md": (lambda folder, given: _project(folder),
                  {"python3 -m venv verifier": _recipient_of_the_readme},
                  ["Signature is Valid", "ok", "extends build-march/"]),
    "docs/records.md": (lambda folder, given: _project(folder), {}, ["ok"]),
    "docs/intake.md": (lambda folder, given: _project(folder), {}, ["4 new entries (1 restricted)", "0 new entries",
                                                                   "ok"]),
    "docs/protecting.md": (lambda folder, given: (_project(folder), _restrict_azarov(folder)), {},
                           ["restricted: persons/alexander-azarov.yaml", "verified"]),
    "docs/signing.md": (lambda folder, given: (_project(folder), _signing_material(folder, given.pki)), {},
                        ["identical", "PAdES B-LTA", "PAdES B-T"]),
    "docs/verifying.md": (lambda folder, given: _received(folder, given), {},
                          ["verified", "Certificate is Trusted", "INTACT"]),
    "docs/ledger.md": (lambda folder, given: _project(folder), {}, []),
    "docs/checking-in-a-browser.md": (lambda folder, given: _project(folder), {}, ["verified"]),
    "docs/editions.md": (lambda folder, given: _project(folder), {},
                         ["first edition: a new log", "4 new entries", "1 corrected", "1 retracted", "wrote "
                          "march-to-july.json"]),
    "docs/linked-data.md": (lambda folder, given: _project(folder), {}, ["Verification successful", "verified"]),
    "docs/bagit.md": (lambda folder, given: _project(folder), {}, ["True", "is valid", "verified"]),
    "docs/development.md": (lambda folder, given: (_project(folder), _sources(folder)), {}, ["All checks passed"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(PAGE_SETUP))
def test_the_commands_a_page_shows_run(page: str, tmp_path: Path, pki, identity_template: Path):
    for tool in ("pdfsig", "certutil", "openssl", "pdfdetach", "git"):
        need_tool(tool)
    prepare, scenes, expected = PAGE_SETUP[page]
    folder = tmp_path / "reader"
    folder.mkdir()
    prepare(folder, SimpleNamespace(pki=pki, identity=identity_template))
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(tmp_path / "home"), "APPEAL_ARCHIVE_IDENTITY_DIR": str(tmp_path / "identity"),
           "SOURCE_DATE_EPOCH": EPOCH, "TZ": "UTC", "APPEAL_ARCHIVE_PASSPHRASE": PASSPHRASE,
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CACHE_DIR": _pip_cache()}
    env.pop("VIRTUAL_ENV", None)
    (tmp_path / "home").mkdir()
    output = []
    for info, body in blocks(page):
        if info != "sh":
            continue
        for marker, scene in scenes.items():
            if marker in body:
                folder = scene(folder)
        for example, local in zip(EXAMPLE_AUTHORITIES, pki.tsa_urls, strict=True):
            body = body.replace(example, local)
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=folder, env=env, capture_output=True,
                             text=True, timeout=600)
        output.append(run.stdout + run.stderr)
        assert run.returncode == 0, f"{page}: this block failed (exit {run.returncode}):\n{body}\n{output[-1]}"
        assert "Traceback" not in output[-1] and "Warning" not in run.stderr, output[-1]
    said = "\n".join(output)
    assert all(text in said for text in expected), (page, [text for text in expected if text not in said], said)


def test_each_report_has_the_fields_the_codes_page_lists(records: Path, isolated_identity: Path, tmp_path: Path):
    """docs/codes.md's table of report fields against the reports the commands print."""
    from click.testing import CliRunner

    from appeal_archive.cli.main import main

    page = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
    rows = {match[1]: set(re.findall(r"`([a-z_]+)`", match[2]))
            for match in re.finditer(r"^\| `([a-z]+)` \| (.*) \|$", page.split("## Reports as data", 1)[1], re.M)}

    def report(*args: str) -> dict:
        result = CliRunner().invoke(main, [*args, "--format", "json"])
        return json.loads(result.stdout)

    runs = {
        "validate": report("validate", "records"), "fmt": report("fmt", "--check", "records"),
        "salt": report("salt", "records"), "manifest": report("manifest", "records"),
        "build": report("build", "records", "--out", str(tmp_path / "build")),
        "prove": report("prove", "pavel-latushka", "records", "--out", str(tmp_path / "proof.json")),
        "verify": report("verify", str(tmp_path / "build" / f"{NAME}.pdf")),
        "identity": report("identity"), "schema": report("schema", "--dir", str(REPO / "schema")),
    }
    # The fields an edition that extends another adds (docs/editions.md), in the same rows.
    pdf, later = tmp_path / "build" / f"{NAME}.pdf", tmp_path / "later" / f"{NAME}.pdf"
    with open(records / "persons" / "pavel-latushka.yaml", "a", encoding="utf-8") as person:
        person.write("archivist_note: Head of the NAM.\ncorrection_note: Added his office.\n")
    built = report("build", "records", "--out", str(tmp_path / "later"), "--extends", str(pdf))
    assert built["ok"], built["issues"]
    extended = report("verify", str(later), "--extends", str(pdf))
    consistency = report("prove", "--consistency", str(pdf), str(later), "--out", str(tmp_path / "c.json"))
    from appeal_archive.ledger.lineage import Changes

    retraction = Changes(retracted=[{"path": "p", "reasons": ["r"], "index": 0}]).to_dict()  # as it prints one
    runs["verify"] = {**runs["verify"], **extended["extends"], **extended, "retracted": retraction["retracted"]}
    runs["prove"] = {**runs["prove"], **consistency}
    export = tmp_path / "export.csv"
    export.write_text("name,city,publish\nJan Kowalski,Gdańsk,yes\nJan Kowalski,Gdańsk,yes\n,Łódź,yes\n",
                      encoding="utf-8")
    runs["intake"] = report("intake", str(export), "--appeal", "appeal-of-belarusians-to-the-eu", "--skip-invalid",
                            "records")
    runs["new"] = report("new", "person", "--name", "Jan Kowalski", "records")
    from appeal_archive.build.renew import DocumentTimeStamp, ExtendReport

    runs["extend"] = ExtendReport("a.pdf", "b.pdf", 1, [DocumentTimeStamp("t", "a", "e")]).to_dict()
    assert sorted(rows) == sorted(runs)
    for command, fields in rows.items():
        printed = runs[command]
        assert {"ok", "issues"} <= set(printed), command
        nested = {key for value in printed.values() if isinstance(value, dict | list)
                  for item in (value if isinstance(value, list) else [value]) if isinstance(item, dict) for key in item}
        missing = fields - set(printed) - nested - {"path", "reason", "null"}
        assert missing == set(), (command, missing)
