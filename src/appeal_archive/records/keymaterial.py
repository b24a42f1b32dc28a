"""Private key material, which never belongs among the records: a key pasted or copied into the records folder
would be published with them (an attacker found a hard link to the signing key attached to a public PDF).

Found in any of the forms a key is written or copied in: PEM (PKCS#1 and #8, EC, OpenSSH, PGP; also in
UTF-16), DER (a private key or a PKCS#12 key store, with anything after it, which openssl ignores), and either
in base64 or base64url without its PEM lines (pasted into a value or a comment, its lines indented or marked),
in hexadecimal, or as a JSON Web Key. Every search is linear in the text, and at most a few hundred places
where a key could begin are parsed in each piece: a record or a document of any content is read once.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
from collections.abc import Iterator
from itertools import islice

from appeal_archive.errors import Issue
from appeal_archive.files import opened

_PEM_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_BASE64_PIECE = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")  # a line of base64 (or base64url), or most of one
_BASE64_GAP = re.compile(rb"[\s#\"'>|.,;:]{0,48}")  # what may stand between its lines in a comment or a value
_HEX_RUN = re.compile(rb"[0-9A-Fa-f][0-9A-Fa-f\s:,]{199,}")  # a hex dump, its bytes apart or together
_JWK_PRIVATE = re.compile(rb'"d"\s*:\s*"[A-Za-z0-9_-]{16,}"')  # a JSON Web Key's private exponent
_OPENSSH = b"openssh-key-v1\x00"
# Where a key in DER can begin: a SEQUENCE whose first element is a version (0 for PKCS#1 and #8, 1 for an EC
# key, 3 for PKCS#12) or, in an encrypted key, an algorithm's SEQUENCE.
_DER_START = re.compile(rb"\x30(?:\x82..|\x81.|[\x00-\x7f])(?:\x02\x01\x00[\x30\x02]|\x02\x01\x01\x04|"
                        rb"\x02\x01\x03\x30|\x30[\x00-\x7f\x81\x82]\x06)", re.S)
_TRIED = 256  # places a key could begin that are parsed, in each piece: a key pasted by mistake is among the first
MAX_KEY_BYTES = 1 << 20  # a key store in DER is kilobytes: the first megabyte of a file holds one
_WINDOW = 4 << 20  # a file is searched in pieces this large, each overlapping the last by a key's size
_OVERLAP = 64 << 10


def key_material(data: bytes) -> str | None:
    """What `data` is, or holds, when it is private key material; else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        with contextlib.suppress(UnicodeDecodeError):
            data = data.decode("utf-16").encode("utf-8")
    if _PEM_KEY.search(data):
        return "a private key in PEM"
    if _JWK_PRIVATE.search(data) and b'"kty"' in data:
        return "a private key as a JSON Web Key"
    for blob, how in ((data, ""), *((blob, ", in base64") for blob in _base64_blobs(data)),
                      *((blob, ", in hexadecimal") for blob in _hex_blobs(data))):
        if how and _OPENSSH in blob:
            return f"an OpenSSH private key{how}"
        for start in islice(_DER_START.finditer(blob), _TRIED):
            found = _der_key(blob[start.start():start.start() + MAX_KEY_BYTES])
            if found is not None:
                return found + how
    return None


def key_material_in_file(path: str | os.PathLike, limit: int) -> str | None:
    """What a file of at most `limit` bytes holds of key material, read once in overlapping pieces (a key after a
    megabyte of anything is found too); else None. FileRefused when the file cannot be read."""
    with opened(path, limit, own=True) as (descriptor, _status):
        previous = b""
        while chunk := os.read(descriptor, _WINDOW):
            found = key_material(previous + chunk) if previous else key_material(chunk)
            if found is not None:
                return found
            previous = chunk[-_OVERLAP:]
    return None


def key_material_issue(what: str) -> Issue:
    return Issue("file.key-material", f"is {what}, which never belongs among the records", line=1, column=1,
                 hint="move it out of the records folder (keys live in the identity folder, never in records/), "
                 "and replace the key if it was ever committed or published")


def _base64_blobs(data: bytes) -> Iterator[bytes]:
    """The runs of base64 of 100 letters or more in `data`, its lines joined across line breaks, comment marks
    and indentation, decoded from each of the four places a key's first letter can fall on (what stands before
    it, an id or a word, shifts it). Pieces are found by one linear search, then joined where only such marks
    stand between."""
    run: list[bytes] = []
    end = 0
    for piece in _BASE64_PIECE.finditer(data):
        if run and not _BASE64_GAP.fullmatch(data, end, piece.start()):
            yield from _decoded_base64(b"".join(run))
            run = []
        run.append(piece.group().rstrip(b"="))
        end = piece.end()
    yield from _decoded_base64(b"".join(run))


def _decoded_base64(letters: bytes) -> Iterator[bytes]:
    if len(letters) < 100:
        return
    letters = letters.translate(bytes.maketrans(b"-_", b"+/"))
    for shift in range(4):
        usable = letters[shift:]
        try:
            yield base64.b64decode(usable[:len(usable) // 4 * 4])
        except (binascii.Error, ValueError):
            continue


def _hex_blobs(data: bytes) -> Iterator[bytes]:
    for run in _HEX_RUN.finditer(data):
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", run.group())
        if len(digits) >= 200:
            for shift in range(2):
                usable = digits[shift:]
                yield bytes.fromhex(usable[:len(usable) // 2 * 2].decode("ascii"))


def _der_key(data: bytes) -> str | None:
    if not data.startswith(b"\x30"):
        return None
    from asn1crypto import keys, pkcs12

    for kind, what in ((keys.PrivateKeyInfo, "a private key in DER"), (keys.EncryptedPrivateKeyInfo,
                        "an encrypted private key in DER"), (keys.RSAPrivateKey, "an RSA private key in DER"),
                       (keys.ECPrivateKey, "an EC private key in DER"), (pkcs12.Pfx, "a PKCS#12 key store")):
        try:
            kind.load(data).native  # noqa: B018 (parses every field; what follows the structure is ignored)
        except Exception:  # noqa: BLE001, S112 - not of this kind
            continue
        return what
    return None
