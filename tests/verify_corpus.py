"""The attack corpus of tests/cases/verify/, shared by the modules that run it at each size: each case tampers
with a copy of a fresh signed build the way its attack does, and `appeal-archive verify` must give its exit code
and name its causes, with no traceback; `extend` must refuse every PDF verify refuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attacks
import pytest
from click.testing import CliRunner
from conftest import CASES

from appeal_archive.cli.main import main

VERIFY_CASES = sorted((CASES / "verify").iterdir())
# The builds an attack is made on: the session's B-LTA build of the real records, the same above 2,000 records
# (where the records travel in ZIPs), and the B-B build (as `make build` signs) where a case asks for it.
BUILDS = {"B-LTA": "signed_build_dir", "B-LTA-large": "large_build_dir", "B-B": "basic_build_dir"}
CASES_AND_BUILDS = [(case, build) for case in VERIFY_CASES
                    for build in json.loads((case / "case.json").read_text()).get("builds", ["B-LTA", "B-LTA-large"])]


def cases_on(builds: set[str]) -> dict:
    """pytest.mark.parametrize's arguments for the cases made on `builds`."""
    chosen = [(case, build) for case, build in CASES_AND_BUILDS if build in builds]
    return {"argnames": "case, build", "argvalues": chosen,
            "ids": [f"{case.name}-{build}" if build != "B-LTA" else case.name for case, build in chosen]}


def copy_of(build: str, request: pytest.FixtureRequest, folder: Path) -> Path:
    """A private copy of one of the session's builds, for an attack to tamper with."""
    copy = folder / "build"
    shutil.copytree(request.getfixturevalue(BUILDS[build]), copy)
    return copy


def check_page_refuses(target: Path, request: pytest.FixtureRequest) -> None:
    """What verify refuses, site/verify.html (trusting the same PKI) never calls verified: it refuses it, or
    says it cannot judge it. Without a browser (outside CI) only this part is skipped."""
    try:
        browser = request.getfixturevalue("browser")
    except pytest.skip.Exception:
        return
    if target.is_dir():
        files = sorted(path for path in target.iterdir() if path.is_file() and not path.is_symlink())
    elif target.suffix == ".jsonld" and Path(f"{target}.p7s").is_file():
        files = [target, Path(f"{target}.p7s")]
    else:
        files = [target]
    verdict, said = browser.judge(request.getfixturevalue("verifier_page"), files)
    assert verdict in ("failed", "untrusted", "not-judged"), said


def check_attack(case: Path, build: str, request: pytest.FixtureRequest, pki, tmp_path: Path) -> None:
    """The attack of `case` on a copy of `build`: verify's exit and causes; then, on a PDF verify refuses, extend
    refuses too (it runs the whole of verify first), writing nothing and printing no traceback."""
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    build_copy = copy_of(build, request, tmp_path)
    target = attacks.ATTACKS[spec["attack"]](build_copy, pki)
    options = ["--trust-root", str(pki.root_cert)] if spec["trust_root"] else []
    result = CliRunner().invoke(main, ["verify", "--format", "json", *options,
                                       *(["--rebuild"] if spec.get("rebuild") else []), str(target)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.output)
    found = {issue["code"] for issue in report["issues"]}
    assert result.exit_code == spec["exit"], (found, report["issues"][:3])
    assert set(spec.get("codes", [])) <= found, found
    assert not spec.get("any") or set(spec["any"]) & found, found
    assert "internal.error" not in found
    if spec["exit"] == 0:
        assert report["time"]["proven"] is None  # a made-up authority's time is never presented as proven
    if "sig.gap-invalid" in found:
        assert report["time"]["claimed"] is None  # nothing read from the unsigned gap is reported
    assert not (build_copy.parent / "victim.txt").exists()  # nothing is ever written outside a scratch folder
    if result.exit_code != 0:
        check_page_refuses(target, request)
    if spec["exit"] == 1 and target.suffix == ".pdf":
        before, renewed = target.read_bytes(), tmp_path / "renewed.pdf"
        result = CliRunner().invoke(main, ["extend", str(target), "--tsa", pki.tsa_urls[1], "--out", str(renewed),
                                           *options])
        assert result.exit_code in (1, 3), result.output  # 3: a file pyHanko's writer cannot even read
        assert "Traceback" not in result.output + result.stderr
        assert "error[extend." in result.stderr and "internal.error" not in result.stderr, result.stderr
        assert not renewed.exists() and target.read_bytes() == before
