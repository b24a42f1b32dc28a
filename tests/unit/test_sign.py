"""Signing: PAdES B-T against a local RFC 3161 authority, checked by openssl; incremental update."""

from __future__ import annotations

import subprocess
from pathlib import Path

from appeal_archive.build import build_archive
from appeal_archive.sign import SignerConfig
from appeal_archive.verify import verify_archive
from conftest import need_tool
from pki import local_tsa


def test_b_t_signature_with_a_local_tsa_that_openssl_accepts(records: Path, pki, isolated_identity, tmp_path: Path,
                                                             monkeypatch):
    import appeal_archive.render_pdf as render_module

    captured = {}
    original = render_module.render_archival_pdf

    def capture(*args, **kwargs):
        captured["unsigned"] = original(*args, **kwargs)[0]
        return captured["unsigned"], 6

    monkeypatch.setattr(render_module, "render_archival_pdf", capture)
    with local_tsa(pki) as url:
        result = build_archive("records", "build", signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert,
                                                                              tsa_url=url))
    assert result.ok
    pdf = Path("build/AA-2023-05-21-belarusians-to-eu.pdf")
    signed = pdf.read_bytes()
    assert signed.startswith(captured["unsigned"])  # the signature is an incremental update
    from appeal_archive.pdfa import pdfa_findings

    assert pdfa_findings(captured["unsigned"]) == []

    report = verify_archive(pdf, trust_roots=[pki.root_cert])
    assert report.ok, report.issues
    assert report.timestamp is not None
    assert any("time stamp" in check for check in report.checks)

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
