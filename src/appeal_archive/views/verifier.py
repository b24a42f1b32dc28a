"""site/verify.html: a page that checks what a reader drops on it, offline, in any browser, with the trust
anchor it carries (the root of the signer's chain: the custodian's CA). Pure: the anchor in, the page out.

The checking is web/src/verifier.js, bundled with its libraries (pkijs, asn1js, canonicalize, @noble/hashes) by
esbuild into verifier.js beside this module, their licences into verifier-licences.txt, which the page shows:
`npm ci --prefix web && npm run build --prefix web` makes both again, byte for byte (a test does, and
compares). The page runs that one script, allowed by its hash in the Content-Security-Policy, and nothing
else: no request leaves the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

SCRIPT = Path(__file__).with_name("verifier.js")
LICENCES = Path(__file__).with_name("verifier-licences.txt")  # of the packages the script bundles
STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111;"
         "background:#fff}#drop{border:3px dashed #555;padding:2rem;text-align:center;margin:1rem 0}"
         "#drop:focus{outline:3px solid #0645ad}#verdict p{margin:.3rem 0}"
         "[data-verdict=verified]{color:#0b6623}[data-verdict=failed]{color:#a00}"
         "[data-verdict=untrusted],[data-verdict=not-judged]{color:#7a4d00}code{word-break:break-all}")


def _hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def trust_anchor(certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> x509.Certificate:
    """The certificate the page trusts: the root of the signer's chain (the custodian's CA: the certificate that
    issued itself), or its last when none did, or the signer's own when it has no chain (self-signed). The same
    from the chain a build signs with as from the certificates its signature carries (verify --rebuild)."""
    others = [each for each in chain if each != certificate]
    return next((each for each in others if each.issuer == each.subject), others[-1] if others else certificate)


def verify_page(anchor: x509.Certificate) -> bytes:
    """The page, carrying `anchor` as the one certificate a signer must chain to."""
    script = SCRIPT.read_text(encoding="utf-8")
    pem = anchor.public_bytes(Encoding.PEM).decode("ascii")
    fingerprint = hashlib.sha256(anchor.public_bytes(Encoding.DER)).hexdigest()
    csp = f"default-src 'none'; script-src 'sha256-{_hash(script)}'; style-src 'sha256-{_hash(STYLE)}'"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Check a signed file of this archive</title><style>{STYLE}</style>"
            f'<script type="application/x-pem-file" id="anchors">{pem}</script></head><body><main>'
            "<h1>Check a signed file of this archive</h1>"
            "<p>Give the archive's signed PDF, or its JSON-LD bundle (<code>.jsonld</code>) together with its "
            "signature (<code>.jsonld.p7s</code>); either may come with an inclusion proof (<code>.json</code>) "
            "that <code>appeal-archive prove</code> wrote. Nothing leaves this page: the files are checked here, "
            "offline. The page trusts one certificate authority, the custodian's, SHA-256 fingerprint "
            f"<code>{fingerprint}</code>: compare it with the one the custodian publishes, or pin it below. What "
            "this page cannot judge (a bag, a PDF with validation data or time stamps added after its signature, "
            "an edition that extends another) it says so: run <code>appeal-archive verify FILE</code>.</p>"
            '<div id="drop" role="button" tabindex="0" aria-describedby="drop-help">Drop the files here, or press '
            'Enter to choose them</div><p id="drop-help"><label for="files">Files to check:</label> '
            '<input type="file" id="files" multiple></p>'
            "<details id=\"trust\"><summary>Trust another authority, or pin its fingerprint</summary>"
            '<p><label for="anchor">The certificate of the authority to trust instead (PEM or DER):</label> '
            '<input type="file" id="anchor"></p>'
            '<p><label for="pin">The SHA-256 fingerprint the trusted authority must have:</label> '
            '<input type="text" id="pin" size="64" autocomplete="off" spellcheck="false"></p></details>'
            '<div id="verdict" role="status" aria-live="polite" data-verdict=""></div>'
            "</main><footer><details><summary>Licences of the code this page runs</summary><pre>"
            f"{html.escape(LICENCES.read_text(encoding='utf-8'))}</pre></details></footer>"
            f"<script>{script}</script></body></html>\n").encode()
