"""The public edition's site/: what its pages show, that their JSON-LD is the signed bundle's own, that nothing
in them reaches the network, and the same in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import EPOCH, NAME, REAL_RECORDS, REPO

from appeal_archive.build.archive import build_archive
from appeal_archive.records.intake import intake
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive
from appeal_archive.views import site

pytestmark = pytest.mark.slow

APPEAL = "appeal-of-belarusians-to-the-eu"
PROTECTED = ("Alexander Azarov", "alexander-azarov", "Ivan Piatrou")
SCRIPT = re.compile(rb'<script type="application/ld\+json">(.*?)</script>', re.S)


def public_site(base: Path, pki, page_size: int | None = None, monkeypatch=None) -> Path:
    """The real records with Alexander Azarov restricted and the example export taken in (Ivan Piatrou did
    not consent), built as the public edition."""
    records = base / "records"
    shutil.copytree(REAL_RECORDS, records)
    person = records / "persons" / "alexander-azarov.yaml"
    person.write_text(person.read_text().replace("type: person\n", "type: person\naccess: restricted\n"))
    assert intake(REPO / "examples" / "petition-export.csv", APPEAL, records,
                  map_path=REPO / "examples" / "petition-map.yaml", environ={"SOURCE_DATE_EPOCH": EPOCH}).ok
    if page_size is not None and monkeypatch is not None:
        monkeypatch.setattr(site, "PAGE_SIZE", page_size)
    result = build_archive(records, base / "public", edition="public", environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert, level="B-B"))
    assert result.ok, result.issues
    return base / "public"


@pytest.fixture(scope="module")
def public(tmp_path_factory, pki) -> Path:
    return public_site(tmp_path_factory.mktemp("site"), pki)


def pages(public: Path) -> dict[str, bytes]:
    return {path.relative_to(public / "site").as_posix(): path.read_bytes()
            for path in (public / "site").rglob("*.html")}


def test_the_index_shows_the_appeal_as_printed_and_how_to_check_it(public: Path):
    index = html.unescape((public / "site" / "index.html").read_text(encoding="utf-8"))
    text = re.sub(r"<[^>]+>", " ", index)
    assert "Appeal of Belarusians to the EU" in text and "European External Action Service" in text
    assert len(re.findall(r"<li value=\"\d\">", index)) == 5  # the five demands, numbered as printed
    assert "more than 1,000 participants in the demonstration" in text and "about 300" in text
    assert "Entry withheld to protect the signatory" in text and 'id="entry-3"' in index
    manifest = json.loads((public / "manifest.json").read_text())
    assert manifest["root"] in text and "Maria Nowak" in text and "Warszawa" in text
    assert "<bdi>Maria Nowak</bdi>" in index  # a record's text is isolated: a right-to-left name reorders nothing
    signer_hashes = {entry["sha256"] for entry in manifest["records"] if entry["path"].startswith("signatories/")}
    assert sum(digest in text for digest in signer_hashes) == len(signer_hashes)
    assert {"persons/pavel-latushka.html", "organizations/bypol.html", "rallies/warsaw-2023-05-21.html"} <= set(
        pages(public))
    published = {entry["path"].removesuffix(".yaml") + ".html" for entry in manifest["records"]
                 if entry["path"].startswith("persons/")}
    assert published == {name for name in pages(public) if name.startswith("persons/")}  # up to 1,000: everyone


def test_each_pages_json_ld_is_the_signed_bundles_own_lines(public: Path):
    bundle = (public / f"{NAME}.jsonld").read_bytes()
    lines = {line.strip().rstrip(b",") for line in bundle.splitlines()}
    context = json.loads(bundle)["@context"]
    for name, page in pages(public).items():
        if name == "verify.html":
            continue  # the checker: no record of its own (test_verifier.py)
        blocks = SCRIPT.findall(page)
        assert len(blocks) == 1, name
        embedded = json.loads(blocks[0])
        assert embedded["@context"] == context
        assert b"<" not in blocks[0]
        for node in embedded["@graph"]:
            line = json.dumps(node, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
            assert line in lines, (name, node["@id"])


def test_no_page_reaches_outside_the_edition_or_shows_a_protected_name(public: Path):
    links_stay_inside(public)


def links_stay_inside(public: Path) -> None:
    for name, page in pages(public).items():
        text = page.decode("utf-8")
        assert re.search("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                         "(script-src 'sha256-[^']+'; )?style-src 'sha256-", text), name
        assert not re.search(r"\b(src|action|srcset)=", text), name
        for target in re.findall(r'href="([^"]*)"', text):
            parsed = urlparse(html.unescape(target))
            assert not parsed.scheme and not parsed.netloc, (name, target)
            if parsed.path:
                assert ((public / "site" / name).parent / unquote(parsed.path)).resolve().is_file(), (name, target)
        plain = html.unescape(text)
        assert not [secret for secret in PROTECTED if secret in plain], name


def test_the_site_is_described_beside_the_signed_files_and_never_counted_as_checked(public: Path, pki):
    report = verify_archive(public / f"{NAME}.pdf", trust_roots=[pki.root_cert])
    assert report.ok
    assert {name for name in report.unsigned if name.startswith("site/")} == {f"site/{name}" for name in pages(public)}


def test_a_long_list_is_cut_into_pages_with_a_name_index(tmp_path: Path, pki, monkeypatch):
    public = public_site(tmp_path, pki, page_size=3, monkeypatch=monkeypatch)
    names = pages(public)
    assert {"signatories-1.html", "signatories-4.html", "signatories-7.html", "signatories-10.html",
            "names-1.html"} <= set(names)
    index = names["index.html"].decode()
    assert 'href="signatories-4.html"' in index and "Entries 4 to 6" in index and 'href="names-1.html"' in index
    assert b'id="entry-3" value="3" class="withheld"' in names["signatories-1.html"]
    listed = re.findall(r'href="(signatories-\d+\.html#entry-\d+)"', "".join(
        page.decode() for name, page in names.items() if name.startswith("names-")))
    # 12 entries: 2 withheld, 1 naming no person (People's Embassy), 9 names, each linked to its entry.
    assert len(listed) == 9 and all(link.split("#")[1].encode() in names[link.split("#")[0]] for link in listed)
    # Past the page size in persons, one known from a single entry under one name has that entry as their page.
    assert not any(name.startswith(f"persons/{APPEAL}-signer") for name in names)
    assert "persons/pavel-latushka.html" in names  # his Cyrillic spelling, added by the archivist: a page
    links_stay_inside(public)


def test_a_real_browser_loads_every_page_from_file_with_no_request_and_no_violation(public: Path, browser):
    axe = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"

    def load_every_page(chrome) -> None:
        # Each page as its CSP has it (a violation is a console message), then again with the CSP set aside for axe
        # alone, which the test puts in (the pages allow no script but their own).
        context, checking = chrome.new_context(), chrome.new_context(bypass_csp=True)
        try:
            requests, problems = [], []
            context.on("request", lambda request: requests.append(request.url))
            page, audit = context.new_page(), checking.new_page()
            page.on("console", lambda message: problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            for name in sorted(pages(public)):
                url = (public / "site" / name).as_uri()
                page.goto(url)
                assert page.title(), name
                if axe.is_file():
                    audit.goto(url)
                    audit.evaluate(axe.read_text(encoding="utf-8"))
                    found = audit.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
                                           "'wcag21aa']}).then(result => result.violations.map(v => v.id))")
                    assert found == [], (name, found)
                elif __import__("os").environ.get("CI"):
                    pytest.fail("axe-core is missing (`make test` installs it with npm ci in web/)")
            assert problems == []
            assert requests and all(url.startswith("file:") for url in requests), requests
        finally:
            context.close()
            checking.close()

    browser.run(load_every_page)
