"""Who signs an archive: the identity the cover prints and verify reads back from the signature.

Shared by the renderer (which prints it before signing), the signer and the verifier, so none of them
imports another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class SignerIdentity:
    """The signer as the cover states it; `verify --rebuild` derives the same from the signature."""

    name: str
    self_signed: bool
    fingerprint: str  # SHA-256 of the certificate, hex
    issuer: str = ""  # as the certificate names it: a claim until a chain to a trust anchor is checked
    issuer_fingerprint: str = ""  # SHA-256 of the issuer's certificate (the custodian CA), when the chain has it

    def describe(self) -> str:
        if self.self_signed:
            return f"{self.name}; self-signed certificate, SHA-256 fingerprint {self.fingerprint}"
        issued = f"certificate naming {self.issuer} as its issuer, SHA-256 fingerprint {self.fingerprint}"
        anchor = (f". Compare the issuer's (the custodian CA's) SHA-256 fingerprint {self.issuer_fingerprint} with "
                  "the one the custodian publishes" if self.issuer_fingerprint else "")
        return f"{self.name}; {issued}{anchor}"


UNSIGNED = SignerIdentity("not signed (unsigned build)", False, "none")


def identity_of(certificate: x509.Certificate, others: Iterable[x509.Certificate] = ()) -> SignerIdentity:
    """How a certificate's holder is named on the cover, with its issuer's fingerprint when `others` (the chain
    the signer holds, or the certificates a signature carries) has the certificate that issued it; verify
    derives the same from the signature."""
    self_signed = certificate.issuer == certificate.subject
    issuer = None if self_signed else next((other for other in others if _issued(certificate, other)), None)
    return SignerIdentity(
        name=_named(certificate.subject),
        self_signed=self_signed,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        issuer=_named(certificate.issuer),
        issuer_fingerprint=issuer.fingerprint(hashes.SHA256()).hex() if issuer is not None else "",
    )


def _issued(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `certificate` (its name and its signature, not only its name)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _named(name: x509.Name) -> str:
    """'Common Name (Organization)', or the whole name when it has no common name."""
    def first(oid) -> str | None:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    common_name, organization = first(NameOID.COMMON_NAME), first(NameOID.ORGANIZATION_NAME)
    if not common_name:
        return name.rfc4514_string()
    return f"{common_name} ({organization})" if organization else common_name
