"""Signing: PAdES B-T against a local RFC 3161 authority, checked by openssl; incremental update."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import need_tool

from appeal_archive.verify import verify_archive


def test_b_t_signature_is_an_incremental_update_with_a_token_openssl_accepts(signed_build: Path, pki, tmp_path: Path):
    """The session's build was signed with a time stamp from a local authority (conftest)."""
    from datetime import UTC, datetime

    from conftest import EPOCH, dossier_of
    from cryptography import x509

    from appeal_archive.identity import identity_of
    from appeal_archive.version import tool_name
    from appeal_archive.views.pdf import render_archival_pdf
    from appeal_archive.views.pdfa import pdfa_findings
    from appeal_archive.views.verifier import trust_anchor, verify_page

    certificate, *chain = x509.load_pem_x509_certificates(pki.signer_cert.read_bytes())
    signer = identity_of(certificate, chain)
    assert signer.issuer_fingerprint  # the cover names the issuer's fingerprint, which the signature carries
    page = verify_page(trust_anchor(certificate, tuple(chain)))  # a signed build attaches its verifier page
    unsigned = render_archival_pdf(dossier_of(), datetime.fromtimestamp(int(EPOCH), UTC), signer, tool_name(),
                                   verifier=page)[0]
    signed = signed_build.read_bytes()
    assert signed.startswith(unsigned)  # the signature is an incremental update
    assert pdfa_findings(unsigned) == []

    report = verify_archive(signed_build, trust_roots=[pki.root_cert])
    assert report.ok, report.issues
    assert report.timestamp is not None
    assert any("time stamp" in check for part, check in report.checks if part == "time")

    token, signature_value = timestamp_token(signed)
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "signature.bin").write_bytes(signature_value)
    openssl = subprocess.run(
        [need_tool("openssl"), "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
         "-data", str(tmp_path / "signature.bin"), "-CAfile", str(pki.root_cert), "-untrusted", str(pki.tsa_cert)],
        capture_output=True, text=True)
    assert openssl.returncode == 0, openssl.stdout + openssl.stderr
    assert "Verification: OK" in openssl.stdout


def timestamp_token(signed: bytes) -> tuple[bytes, bytes]:
    """The RFC 3161 token in the signature's unsigned attributes, and the signature value it stamps."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures[0]
    signer_info = signature.signer_info
    for attribute in signer_info["unsigned_attrs"]:
        if attribute["type"].native == "signature_time_stamp_token":
            return attribute["values"][0].dump(), signer_info["signature"].native
    raise AssertionError("no time stamp token")
