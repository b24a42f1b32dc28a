"""site/verify.html in a real browser (Debian's Chromium, driven by Playwright): the genuine bundle verifies
with the root `verify` gives; generated alterations of the bundle and of its signature are never called
verified where `appeal-archive verify` refuses them; another custodian's CA gives "untrusted"; what the page
cannot judge (a PDF, a time-stamped signature) is "not-judged"; the drop zone answers the keyboard; and the
page is rebuilt from its pinned sources byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EPOCH, NAME, REAL_RECORDS, REPO
from cryptography import x509

from appeal_archive.build.archive import build_archive
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive
from appeal_archive.views.verifier import LICENCES, SCRIPT, verify_page

pytestmark = pytest.mark.slow

BUNDLE, SIGNATURE = f"{NAME}.jsonld", f"{NAME}.jsonld.p7s"


@pytest.fixture(scope="module")
def public(tmp_path_factory, pki) -> Path:
    out = tmp_path_factory.mktemp("verifier") / "public"
    result = build_archive(REAL_RECORDS, out, edition="public", environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert, level="B-B"))
    assert result.ok, result.issues
    return out


@pytest.fixture
def judge(browser):
    """judge(page, files, anchor=None, pin="") -> the page's verdict (data-verdict) and its text (browser.py)."""
    return browser.judge


def test_the_genuine_bundle_is_verified_with_the_root_verify_gives(public: Path, judge, pki):
    verdict, said = judge(public / "site" / "verify.html", [public / BUNDLE, public / SIGNATURE])
    root = verify_archive(public / BUNDLE, trust_roots=[pki.root_cert]).root
    assert verdict == "verified" and f"Root: {root}" in said, said
    index = (public / "site" / "index.html").read_text(encoding="utf-8")
    assert hashlib.sha256((public / "site" / "verify.html").read_bytes()).hexdigest() in index


def test_the_genuine_pdf_is_verified_with_the_root_verify_gives(public: Path, judge, pki):
    verdict, said = judge(public / "site" / "verify.html", [public / f"{NAME}.pdf"])
    root = verify_archive(public / f"{NAME}.pdf", trust_roots=[pki.root_cert]).root
    assert verdict == "verified" and f"Root: {root}" in said, said


def test_no_alteration_the_command_refuses_is_verified_by_the_page(public: Path, judge, pki, tmp_path: Path):
    """A differential over generated alterations (seeded): bytes of the bundle and of its signature changed, a
    line of the bundle repeated, dropped or swapped. The page may refuse more than the command; never less."""
    bundle, signature = (public / BUNDLE).read_bytes(), (public / SIGNATURE).read_bytes()
    chance = random.Random(20230521)
    cases: list[tuple[str, bytes, bytes]] = []
    for _ in range(10):
        where = chance.randrange(len(bundle))
        cases.append((f"bundle byte {where}", bundle[:where] + bytes([bundle[where] ^ (1 << chance.randrange(7))])
                      + bundle[where + 1:], signature))
    for _ in range(4):
        where = chance.randrange(len(signature))
        cases.append((f"signature byte {where}", bundle, signature[:where] + bytes([signature[where] ^ 1])
                      + signature[where + 1:]))
    lines = bundle.split(b"\n")
    graph = [index for index, line in enumerate(lines) if line.startswith(b"    {")]
    first, second = chance.sample(graph, 2)
    swapped = list(lines)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    # The signature made to check something other than the bundle given: the bundle it signed embedded in it,
    # beside an altered one (a reader that checks embedded content would verify the altered one), and two signers.
    from asn1crypto import cms

    embedded = cms.ContentInfo.load(signature)
    embedded["content"]["encap_content_info"]["content"] = bundle
    twice = cms.ContentInfo.load(signature)
    twice["content"]["signer_infos"] = [twice["content"]["signer_infos"][0], twice["content"]["signer_infos"][0]]
    altered_demand = bundle.replace(b"Immediately impose maximum", b"Immediately lift the", 1)
    assert altered_demand != bundle
    cases += [("the signed bundle embedded beside an altered one", altered_demand, embedded.dump(force=True)),
              ("two signers", bundle, twice.dump(force=True))]
    cases += [("a node repeated", b"\n".join(lines[:graph[1]] + [lines[graph[1]]] + lines[graph[1]:]), signature),
              ("a node dropped", b"\n".join(lines[:graph[2]] + lines[graph[2] + 1:]), signature),
              ("two nodes swapped", b"\n".join(swapped), signature)]
    kinder = []
    for number, (what, altered, altered_signature) in enumerate(cases):
        folder = tmp_path / f"case-{number}"
        folder.mkdir()
        (folder / BUNDLE).write_bytes(altered)
        (folder / SIGNATURE).write_bytes(altered_signature)
        command = verify_archive(folder / BUNDLE, trust_roots=[pki.root_cert]).ok
        page, _ = judge(public / "site" / "verify.html", [folder / BUNDLE, folder / SIGNATURE])
        if page == "verified" and not command:
            kinder.append(what)
    assert kinder == []


def test_another_custodians_ca_gives_untrusted(public: Path, judge, custodian_identity: Path, tmp_path: Path):
    from appeal_archive.signing.custodian import CA_CERT

    rogue = x509.load_pem_x509_certificate((custodian_identity / CA_CERT).read_bytes())  # not the PKI's root
    page = tmp_path / "verify.html"
    page.write_bytes(verify_page(rogue))
    verdict, said = judge(page, [public / BUNDLE, public / SIGNATURE])
    assert verdict == "untrusted", said


def test_what_the_page_cannot_judge_is_not_judged(public: Path, signed_build_dir: Path, pki, tmp_path: Path, judge):
    # (signed_build_dir before judge: pyHanko signs with asyncio, which Playwright's running loop would refuse)
    page = public / "site" / "verify.html"
    # A PDF with validation data and document time stamps after its signed revision (PAdES B-LTA)
    anchor = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    timed = tmp_path / "verify.html"
    timed.write_bytes(verify_page(anchor))
    verdict, said = judge(timed, [signed_build_dir / f"{NAME}.pdf"])
    assert verdict == "not-judged" and "appeal-archive verify" in said, said
    assert judge(page, [public / f"{NAME}.pdf", public / "manifest.json", public / BUNDLE])[0] == "not-judged"
    # A bundle whose signature carries a time stamp (PAdES B-LTA build, CAdES-T bundle), with its own root trusted.
    verdict, said = judge(timed, [signed_build_dir / BUNDLE, signed_build_dir / SIGNATURE])
    assert verdict == "not-judged" and "appeal-archive verify" in said, said


def test_the_drop_zone_answers_the_keyboard(public: Path, browser):
    def keyboard(chrome) -> bool:
        page = chrome.new_page()
        try:
            page.goto((public / "site" / "verify.html").as_uri())
            page.keyboard.press("Tab")
            assert page.locator("#drop:focus").count() == 1
            with page.expect_file_chooser() as chooser:
                page.locator("#drop").press("Enter")  # the key, on the zone Tab reached
            return chooser.value.is_multiple()
        finally:
            page.close()

    assert browser.run(keyboard)


def test_the_page_script_is_rebuilt_from_its_pinned_sources_byte_for_byte(tmp_path: Path):
    npm = shutil.which("npm")
    if npm is None or not (REPO / "web" / "node_modules" / ".bin" / "esbuild").exists():
        if os.environ.get("CI"):
            pytest.fail("npm and web/node_modules are missing (`make test` runs npm ci --prefix web)")
        pytest.skip("npm ci --prefix web has not been run (`make test` runs it when npm is there)")
    out = tmp_path / "verifier.js"
    package = json.loads((REPO / "web" / "package.json").read_text(encoding="utf-8"))
    command = package["scripts"]["build"].split(" && ")[0].replace(
        "--outfile=../src/appeal_archive/views/verifier.js", f"--outfile={out}")
    tools = f"{REPO / 'web' / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(command, shell=True, cwd=REPO / "web", check=True, capture_output=True,
                   env={**os.environ, "PATH": tools})
    assert out.read_bytes() == SCRIPT.read_bytes()


def test_the_page_shows_the_licences_of_the_code_it_runs(public: Path):
    page = (public / "site" / "verify.html").read_text(encoding="utf-8")
    assert "Licences of the code this page runs" in page
    for package_name in ("pkijs", "asn1js", "bytestreamjs", "canonicalize", "@noble/hashes", "pvtsutils"):
        assert f"{package_name} " in LICENCES.read_text(encoding="utf-8") and f"{package_name} " in page
