"""Signatures that outlive their keys, judged by the recipients' own tools: a build at each PAdES level checked
by our verify and by pyHanko's validator, the custodian CA trusted by pdfsig through an NSS database,
renewal with `extend`, judgement frozen at signing time and twenty years on, every update held to what it may
change, Info and XMP in agreement, and PDF/A-3b after signing."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attacks
import pikepdf
import pytest
from click.testing import CliRunner
from conftest import EPOCH, NAME, REAL_RECORDS, need_tool

from appeal_archive.build.archive import build_archive
from appeal_archive.cli.main import main
from appeal_archive.signing.keys import SignerConfig
from appeal_archive.verify import verify_archive
from appeal_archive.verify.updates import all_update_changes

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
TWENTY_YEARS = timedelta(days=20 * 365 + 5)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, pki, signed_build: Path) -> dict[str, Path]:
    """The real records signed by the test PKI's signer at each level (B-LTA, with both authorities, is the
    session's signed build)."""
    built = {"B-LTA": signed_build}
    for level in LEVELS[:-1]:
        out = tmp_path_factory.mktemp(level) / "build"
        authorities = () if level == "B-B" else pki.tsa_urls[:1]
        result = build_archive(REAL_RECORDS, out, environ={"SOURCE_DATE_EPOCH": EPOCH}, signer_config=SignerConfig(
            key=pki.signer_key, cert=pki.signer_cert, tsa_urls=authorities, level=level, trust_roots=(pki.root_cert,)))
        assert result.ok and result.level == f"PAdES {level}"
        built[level] = out / f"{NAME}.pdf"
    return built


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_is_what_verify_reports(level: str, builds, pki):
    report = verify_archive(builds[level], trust_roots=[pki.root_cert])
    assert report.ok and report.issues == [], report.issues
    assert report.signer.level == f"PAdES {level}"
    stamps = [evidence.kind for evidence in report.times]
    assert stamps == {"B-B": ["claim"], "B-T": ["claim", "signature"], "B-LT": ["claim", "signature"],
                      "B-LTA": ["claim", "signature", "document"]}[level]
    if level in ("B-LT", "B-LTA"):
        assert report.signer.revocation.startswith("not revoked at")
    else:
        assert report.signer.revocation is None
    if level == "B-LTA":  # the two authorities: one for the signature, the other for the document
        authorities = [evidence.authority for evidence in report.times[1:]]
        assert authorities == ["Test Time Stamp Authority 1 (appeal-archive test PKI)",
                               "Test Time Stamp Authority 2 (appeal-archive test PKI)"]


def pyhanko(*args: str, installed: bool = False) -> subprocess.CompletedProcess:
    """`pyhanko sign ARGS`: the installed command, as a recipient runs it, or (0.7 s of start-up spared) the
    same command line, pyHanko's click entry point, run in this process."""
    if installed:
        return subprocess.run([need_tool("pyhanko"), "sign", *args], capture_output=True, text=True, timeout=120)
    from pyhanko.cli import cli_root

    result = CliRunner().invoke(cli_root, ["sign", *args])
    return subprocess.CompletedProcess(["pyhanko", "sign", *args], result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("level", LEVELS)
def test_pyhankos_validator_trusts_each_level(level: str, builds, pki):
    """A second opinion, from pyHanko's own command line, as a recipient runs it (its revocation checks
    fetch from the test PKI's servers, as a recipient's online check would)."""
    checked = pyhanko("validate", "--trust", str(pki.root_cert), "--trust-replace", str(builds[level]),
                      installed=level == "B-LTA")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ":INTACT:TRUSTED" in checked.stdout
    if level != "B-B":
        assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in checked.stdout
    if level in ("B-LT", "B-LTA"):
        assert "EXTENDED_WITH_LTA_UPDATES" in checked.stdout


@pytest.mark.parametrize("level", LEVELS)
def test_pyhankos_ades_validation_offline_accepts_long_term_levels_only(level: str, builds, pki):
    """pyHanko's AdES validation with a fixed validation time fetches nothing: only the validation data the
    file carries counts. B-LT and B-LTA carry it; B-B and B-T do not."""
    moment = (datetime.now(UTC) + timedelta(minutes=1)).isoformat(timespec="seconds")
    checked = pyhanko("adesverify", "--trust", str(pki.root_cert), "--trust-replace", "--validation-time", moment,
                      str(builds[level]))
    if level in ("B-LT", "B-LTA"):
        assert checked.returncode == 0 and ":INTACT:TRUSTED" in checked.stdout, checked.stdout + checked.stderr
    else:
        assert checked.returncode != 0 and ":INTACT:UNTRUSTED" in checked.stdout, checked.stdout + checked.stderr


def test_b_lta_still_stands_twenty_years_on_and_b_b_does_not(builds, pki):
    lta = verify_archive(builds["B-LTA"], trust_roots=[pki.root_cert])
    stamped = datetime.fromisoformat(lta.times[1].time)
    for moment in (stamped + timedelta(seconds=1), datetime.now(UTC) + TWENTY_YEARS):
        judged = verify_archive(builds["B-LTA"], trust_roots=[pki.root_cert], at=moment)
        assert judged.ok and judged.issues == [], (moment, judged.issues)
        assert any("the signature stands by pyHanko's long-term validation" in check for _, check in judged.checks)
    # By then the signer's certificate (2031) and the first authority's (2036) have expired.
    later = datetime.now(UTC) + TWENTY_YEARS
    assert later.year > 2036
    basic = verify_archive(builds["B-B"], trust_roots=[pki.root_cert], at=later)
    assert not basic.ok and [issue.code for issue in basic.issues] == ["sig.invalid-at"]
    assert "B-LTA" in basic.issues[0].hint
    result = CliRunner().invoke(main, ["verify", "--trust-root", str(pki.root_cert), "--at", later.date().isoformat(),
                                       str(builds["B-LTA"])])
    assert result.exit_code == 0, result.output


def test_verify_at_a_date_before_the_signature_existed_fails(builds, pki):
    # Found by an attacker: the signer's certificate was valid then, but the signature's time stamp is later.
    stamped = datetime.fromisoformat(verify_archive(builds["B-LTA"], trust_roots=[pki.root_cert]).times[1].time)
    judged = verify_archive(builds["B-LTA"], trust_roots=[pki.root_cert], at=stamped - timedelta(days=1))
    assert not judged.ok and [issue.code for issue in judged.issues] == ["sig.invalid-at"]
    assert "did not yet exist" in judged.issues[0].message


def test_extend_renews_a_b_lta_file_with_a_new_document_time_stamp(builds, pki, tmp_path: Path):
    original = tmp_path / "renewed.pdf"
    shutil.copy(builds["B-LTA"], original)
    before = original.read_bytes()
    result = CliRunner().invoke(main, ["extend", str(original), "--tsa", pki.tsa_urls[0],
                                       "--trust-root", str(pki.root_cert)])
    assert result.exit_code == 0, result.output
    renewed = original.read_bytes()
    assert renewed.startswith(before) and len(renewed) > len(before)
    assert "renew again before 2036-01-01" in result.output  # the newest time stamp is the first authority's
    report = verify_archive(original, trust_roots=[pki.root_cert])
    assert report.ok and report.issues == [], report.issues
    assert report.signer.level == "PAdES B-LTA"
    documents = [evidence for evidence in report.times if evidence.kind == "document"]
    assert [evidence.what for evidence in documents] == ["document time stamp 1 of 2", "document time stamp 2 of 2"]
    assert documents[0].time < documents[1].time  # oldest first
    assert verify_archive(original, trust_roots=[pki.root_cert], at=datetime.now(UTC) + timedelta(days=365)).ok
    checked = pyhanko("validate", "--trust", str(pki.root_cert), "--trust-replace", str(original))
    assert checked.returncode == 0 and ":INTACT:TRUSTED" in checked.stdout, checked.stdout + checked.stderr


def test_extend_refuses_a_file_without_validation_data_and_writes_nothing(builds, pki, tmp_path: Path):
    copy = tmp_path / "basic.pdf"
    shutil.copy(builds["B-T"], copy)
    before = copy.read_bytes()
    result = CliRunner().invoke(main, ["extend", str(copy), "--tsa", pki.tsa_urls[1]])
    assert result.exit_code == 3 and "error[extend.no-validation-data]" in result.output
    unreachable = CliRunner().invoke(main, ["extend", str(shutil.copy(builds["B-LTA"], tmp_path / "lta.pdf")),
                                            "--tsa", "http://127.0.0.1:9/", "--trust-root", str(pki.root_cert)])
    assert unreachable.exit_code == 3 and "error[sign.tsa]" in unreachable.output
    assert copy.read_bytes() == before and (tmp_path / "lta.pdf").read_bytes() == builds["B-LTA"].read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["basic.pdf", "lta.pdf"]  # no temporary left


def test_extend_refuses_a_file_changed_after_signing(builds, pki, tmp_path: Path):
    # A fresh time stamp over a forgery would lend it credit with readers that do not judge the updates.
    shutil.copy(builds["B-LTA"], attacks.pdf_of(tmp_path))
    forged = attacks.information_swapped(tmp_path, pki).read_bytes()
    result = CliRunner().invoke(main, ["extend", str(attacks.pdf_of(tmp_path)), "--tsa", pki.tsa_urls[1],
                                       "--trust-root", str(pki.root_cert)])
    assert result.exit_code == 1 and "error[extend.not-intact]" in result.output and "Traceback" not in result.output
    assert "sig.not-whole-file" in result.output
    assert attacks.pdf_of(tmp_path).read_bytes() == forged


def test_each_update_adds_only_signatures_validation_data_and_time_stamps(builds, pki, tmp_path: Path):
    renewed = tmp_path / "renewed.pdf"
    shutil.copy(builds["B-LTA"], renewed)
    assert CliRunner().invoke(main, ["extend", str(renewed), "--tsa", pki.tsa_urls[1],
                                     "--trust-root", str(pki.root_cert)]).exit_code == 0
    for pdf in (*builds.values(), renewed):
        with pdf.open("rb") as stream:
            changes = all_update_changes(stream)
        assert changes and all(found == [] for found in changes.values()), (pdf, changes)
    with renewed.open("rb") as stream:
        assert len(all_update_changes(stream)) >= 6  # signature, DSS, time stamp (and DSS), renewal


def revisions_of(data: bytes) -> list[bytes]:
    """The file as it was after each update (each revision ends with %%EOF)."""
    ends, start = [], 0
    while (found := data.find(b"%%EOF", start)) >= 0:
        start = found + 5
        while data[start:start + 1] in (b"\r", b"\n"):
            start += 1
        ends.append(start)
    return [data[:end] for end in ends]


def test_info_and_xmp_agree_after_every_update(builds, pki, tmp_path: Path):
    """What the document information dictionary states, the XMP states too, in every revision: the producer
    and the modification date live in the XMP, and pyHanko rewrites them there at each update."""
    renewed = tmp_path / "renewed.pdf"
    shutil.copy(builds["B-LTA"], renewed)
    assert CliRunner().invoke(main, ["extend", str(renewed), "--tsa", pki.tsa_urls[1],
                                     "--trust-root", str(pki.root_cert)]).exit_code == 0
    revisions = revisions_of(renewed.read_bytes())
    assert len(revisions) >= 6
    for number, data in enumerate(revisions):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            info, xmp = pdf.docinfo, pdf.open_metadata()
            assert "/ModDate" not in info, number
            if "/Producer" in info:
                assert str(info["/Producer"]) == xmp["pdf:Producer"], number
            assert str(info["/Title"]) == xmp["dc:title"] and str(info["/Creator"]) == xmp["xmp:CreatorTool"]
            assert pikepdf.Name.Metadata in pdf.Root


def test_the_signed_file_is_pdfa_3b_but_for_the_signature_machinery_pikepdf_does_not_judge(builds):
    """pikepdf's PDF/A validator refuses to judge signature fields, the DSS and the PAdES extension; with
    them removed in memory, the rest of the signed file (its last revision: fonts, attachments, XMP)
    passes PDF/A-3b."""
    from pikepdf import pdfa

    with pikepdf.open(builds["B-LTA"]) as pdf:
        assert pdfa.check(pdf, "3b").verdict == "not_checked"
        for key in ("/AcroForm", "/DSS", "/Perms"):
            if key in pdf.Root:
                del pdf.Root[key]
        extensions = pdf.Root.get("/Extensions")
        if extensions is not None:
            del pdf.Root["/Extensions"]
        for page in pdf.pages:
            if "/Annots" in page.obj:
                kept = [annot for annot in page.obj.Annots if annot.get("/FT") != pikepdf.Name.Sig]
                if kept:
                    page.obj.Annots = pikepdf.Array(kept)
                else:
                    del page.obj["/Annots"]
        report = pdfa.check(pdf, "3b")
        assert report.verdict == "pass", [finding.message for finding in report.findings][:5]


def test_pdfsig_trusts_the_custodian_once_its_ca_is_in_the_nss_database(records: Path, custodian_identity, pki,
                                                                         tmp_path: Path):
    """The default identity, at B-LTA with the test PKI's authorities: pdfsig (poppler, with NSS) reports the
    signature valid and, once the exported custodian CA is trusted for S/MIME in its database, the
    certificate trusted."""
    result = CliRunner().invoke(main, ["build", "records", "--tsa", pki.tsa_urls[0], "--tsa", pki.tsa_urls[1],
                                       "--trust-root", str(pki.root_cert)])
    assert result.exit_code == 0 and "PAdES B-LTA" in result.output, result.output
    ca = tmp_path / "custodian-ca.pem"
    assert CliRunner().invoke(main, ["identity", "--export-ca", str(ca)]).exit_code == 0
    pdf = Path("build") / f"{NAME}.pdf"
    report = verify_archive(pdf, trust_roots=[ca, pki.root_cert])
    assert report.ok and report.issues == [] and report.signer.level == "PAdES B-LTA", report.issues
    assert report.signer.revocation.startswith("not revoked")  # by the custodian CA's own CRL, offline
    pdfsig, certutil = need_tool("pdfsig"), need_tool("certutil")
    database = tmp_path / "nss"
    database.mkdir()
    subprocess.run([certutil, "-N", "-d", f"sql:{database}", "--empty-password"], check=True, capture_output=True)
    untrusted = subprocess.run([pdfsig, "-nssdir", f"sql:{database}", str(pdf)], capture_output=True, text=True)
    assert "Signature is Valid." in untrusted.stdout and "Certificate is Trusted." not in untrusted.stdout
    subprocess.run([certutil, "-A", "-d", f"sql:{database}", "-n", "custodian", "-t", ",C,", "-i", str(ca)],
                   check=True, capture_output=True)
    trusted = subprocess.run([pdfsig, "-nssdir", f"sql:{database}", str(pdf)], capture_output=True, text=True)
    first = trusted.stdout.split("Signature #2")[0]
    assert "Signature Validation: Signature is Valid." in first, trusted.stdout
    assert "Certificate Validation: Certificate is Trusted." in first, trusted.stdout


@pytest.mark.parametrize("options, message", [
    (["--level", "B-LT"], "needs a time-stamp authority"),
    (["--level", "B-B", "--tsa", "http://127.0.0.1:9/"], "has no time stamp"),
    (["--tsa", "http://a.invalid/", "--tsa", "http://b.invalid/", "--tsa", "http://c.invalid/"], "at most two"),
])
def test_levels_the_authorities_do_not_allow_are_usage_errors(options, message, records: Path, isolated_identity):
    result = CliRunner().invoke(main, ["build", "records", *options])
    assert result.exit_code == 2 and "error[sign.usage]" in result.output and message in result.output
    assert not Path("build").exists() and not isolated_identity.exists()
