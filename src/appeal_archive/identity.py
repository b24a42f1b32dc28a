"""Who signs an archive: the identity the cover prints and verify reads back from the signature.

Shared by the renderer (which prints it before signing), the signer and the verifier, so none of them
imports another.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class SignerIdentity:
    """The signer as the cover states it; `verify --rebuild` derives the same from the signature."""

    name: str
    self_signed: bool
    fingerprint: str  # SHA-256 of the certificate, hex
    issuer: str = ""  # as the certificate names it: a claim until a chain to a trust anchor is checked

    def describe(self) -> str:
        kind = "self-signed certificate" if self.self_signed else f"certificate naming {self.issuer} as its issuer"
        return f"{self.name}; {kind}, SHA-256 fingerprint {self.fingerprint}"


UNSIGNED = SignerIdentity("not signed (unsigned build)", False, "none")


def identity_of(certificate: x509.Certificate) -> SignerIdentity:
    """How a certificate's holder is named on the cover; verify derives the same from the signature."""
    return SignerIdentity(
        name=_named(certificate.subject),
        self_signed=certificate.issuer == certificate.subject,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        issuer=_named(certificate.issuer),
    )


def _named(name: x509.Name) -> str:
    """'Common Name (Organization)', or the whole name when it has no common name."""
    def first(oid) -> str | None:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    common_name, organization = first(NameOID.COMMON_NAME), first(NameOID.ORGANIZATION_NAME)
    if not common_name:
        return name.rfc4514_string()
    return f"{common_name} ({organization})" if organization else common_name
