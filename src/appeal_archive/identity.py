"""Who signs an archive: the identity the cover prints and verify reads back from the signature.

Shared by the renderer (which prints it before signing) and the signer, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignerIdentity:
    """The signer as the cover states it; `verify --rebuild` derives the same from the signature."""

    name: str
    self_signed: bool
    fingerprint: str  # SHA-256 of the certificate, hex

    def describe(self) -> str:
        kind = "self-signed certificate" if self.self_signed else "certificate issued by a certification authority"
        return f"{self.name}; {kind}, SHA-256 fingerprint {self.fingerprint}"


UNSIGNED = SignerIdentity("not signed (unsigned build)", False, "none")
