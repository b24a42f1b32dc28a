"""Signing with pyHanko: the PDF as PAdES (B-B, B-T, B-LT or B-LTA), the bundle as CAdES, and the
renewal of a signed PDF with a new document time stamp.

Levels, each adding to the one before (ETSI EN 319 142-1):
  B-B    the signature, with the signer's certificate chain and its signing-certificate-v2 attribute;
  B-T    a time stamp on the signature from a time-stamp authority (the first --tsa);
  B-LT   the validation data (certificates, CRLs or OCSP responses) for the signer and that authority, in
         the PDF's /DSS, so that the signature can be checked after the certificates expire;
  B-LTA  a document time stamp over all of that (from the second --tsa when two are given), which
         `extend` renews before its authority's certificate expires.
Every change is an incremental update: the signed file starts with the rendered bytes. Failures write
nothing: the result is returned whole or an error is raised.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from appeal_archive.errors import EXIT_USAGE, AppealArchiveError, fail
from appeal_archive.layout import SIGNATURE_FIELD, TIME_STAMP_FIELD
from appeal_archive.signing.keys import KeyMaterial

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
TSA_TIMEOUT = 20


def choose_level(requested: str | None, tsa_urls: tuple[str, ...]) -> str:
    """The PAdES level to sign at: the one asked for, or the highest the time-stamp authorities allow."""
    if len(tsa_urls) > 2:
        raise fail("sign.usage", f"{len(tsa_urls)} time-stamp authorities were given; at most two are used",
                   "give --tsa once (it stamps the signature and the document) or twice (the first stamps the "
                   "signature, the second the document)", exit_code=EXIT_USAGE)
    if requested is None:
        return "B-LTA" if tsa_urls else "B-B"
    if requested not in LEVELS:
        raise fail("sign.usage", f"{requested} is not a PAdES baseline level", f"choose one of {', '.join(LEVELS)}",
                   exit_code=EXIT_USAGE)
    if requested != "B-B" and not tsa_urls:
        raise fail("sign.usage", f"PAdES {requested} needs a time-stamp authority", "give --tsa URL (or --level B-B)",
                   exit_code=EXIT_USAGE)
    if requested == "B-B" and tsa_urls:
        raise fail("sign.usage", "--tsa was given with --level B-B, which has no time stamp",
                   "leave out --level (the highest level the authorities allow), or --tsa", exit_code=EXIT_USAGE)
    return requested


def _asn1(certificate: x509.Certificate):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def pyhanko_signer(material: KeyMaterial):
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class LoadedKeySigner(signers.SimpleSigner):
        """pyHanko re-reads, and so re-validates, the private key for every raw signature: 0.1 s for RSA-3072,
        three times a build. An RSA PKCS#1 v1.5 signature is made with the key already loaded instead."""

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            try:
                pkcs1 = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo == "rsassa_pkcs1v15"
            except ValueError:
                pkcs1 = False
            if pkcs1 and isinstance(material.private_key, rsa.RSAPrivateKey):
                return material.private_key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)

    der = serialization.Encoding.DER
    return LoadedKeySigner(
        signing_cert=_asn1(material.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(material.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(certificate) for certificate in material.chain]),
    )


def public_roots() -> list:
    """The roots of Mozilla's programme (certifi's bundle): the public time-stamp authorities chain to one."""
    import certifi
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    # Read with asn1crypto, as pyHanko will: `cryptography` warns of the few roots with a negative serial number.
    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(Path(certifi.where()).read_bytes(),
                                                                          multiple=True)]


def collection_context(anchors: Iterable, crls: Iterable[x509.CertificateRevocationList] = (),
                       extra_roots: Iterable[Path] = ()):
    """The validation context under which validation data is collected while signing: revocation data is
    required (fetched from the certificates' own servers, or the CRLs given) for every certificate below a
    root. It judges nothing for the recipient; it only decides what goes into the /DSS."""
    from asn1crypto import crl as asn1_crl
    from pyhanko_certvalidator import ValidationContext

    roots = [*anchors, *(_asn1(certificate) for path in extra_roots for certificate in _read_roots(path)),
             *public_roots()]
    return ValidationContext(
        trust_roots=roots, allow_fetching=True, revocation_mode="require",
        crls=[asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER)) for crl in crls])


def _read_roots(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise fail("sign.cert-invalid", f"cannot read the root certificate {path}",
                   "give a PEM file with the root certificate", exit_code=EXIT_USAGE) from error


def _self_signed(certificates: Iterable[x509.Certificate]) -> list:
    return [_asn1(certificate) for certificate in certificates if certificate.issuer == certificate.subject]


def _run(coroutine, *contexts):
    """Run one pyHanko operation; close the HTTP sessions its validation contexts opened, in the same loop."""
    from appeal_archive.quiet import quiet_pyhanko

    quiet_pyhanko()

    async def run():
        try:
            return await coroutine
        finally:
            for context in contexts:
                if context is not None:
                    await context.aclose()

    return asyncio.run(run())


def _causes(error: BaseException) -> list[BaseException]:
    chain = [error]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    return chain


def signing_failure(error: Exception, step: str, tsa_url: str | None) -> AppealArchiveError:
    """pyHanko's exception, as the exit-3 error a user can act on. `step` names what was being done."""
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator.errors import InsufficientRevinfoError, PathBuildingError

    chain = _causes(error)
    detail = "; ".join(dict.fromkeys(str(cause) for cause in chain if str(cause)))[:400]
    if any(isinstance(cause, TimestampRequestError) for cause in chain):
        return fail("sign.tsa", f"{step}: the time-stamp authority {tsa_url} did not answer usefully ({detail})",
                    "check the --tsa URL and the network; nothing was written")
    if any(isinstance(cause, InsufficientRevinfoError) for cause in chain):
        return fail("sign.revocation-missing", f"{step}: no revocation data (CRL or OCSP) could be found for a "
                    f"certificate in the chain ({detail})", "check the network (the certificates name their CRL and "
                    "OCSP servers), or sign at --level B-T, which needs none; nothing was written")
    if any(isinstance(cause, PathBuildingError) for cause in chain):
        return fail("sign.chain-incomplete", f"{step}: a certificate does not chain to a known root ({detail})",
                    "give --trust-root ROOT.pem with the signer's or the time-stamp authority's root; nothing was "
                    "written")
    return fail("sign.failed", f"{step} failed: {type(error).__name__}: {detail}",
                "check the key, the certificate and the --tsa URL; nothing was written")


def sign_pdf(pdf_bytes: bytes, material: KeyMaterial, *, reason: str, level: str = "B-B",
             tsa_urls: tuple[str, ...] = (), trust_roots: tuple[Path, ...] = ()) -> bytes:
    """PAdES-sign the PDF at `level` as incremental updates: the result starts with exactly `pdf_bytes`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    long_term = level in ("B-LT", "B-LTA")
    two_authorities = level == "B-LTA" and len(tsa_urls) == 2
    context = collection_context(_self_signed((material.certificate, *material.chain)), material.crls,
                                 trust_roots) if long_term else None
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", reason=reason, subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=long_term, use_pades_lta=level == "B-LTA" and not two_authorities,
        timestamp_field_name=TIME_STAMP_FIELD.format(1), validation_context=context)
    timestamper = HTTPTimeStamper(tsa_urls[0], timeout=TSA_TIMEOUT) if level != "B-B" else None
    pdf_signer = signers.PdfSigner(metadata, signer=pyhanko_signer(material), timestamper=timestamper)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    try:
        signed = _run(pdf_signer.async_sign_pdf(writer, output=io.BytesIO()), context).getvalue()
    except Exception as error:  # noqa: BLE001 - pyHanko raises many types for network, TSA and PKI failures
        raise signing_failure(error, f"signing at PAdES {level}", tsa_urls[0] if tsa_urls else None) from error
    if two_authorities:
        signed = add_document_timestamp(signed, tsa_urls[1], trust_roots)
    if not signed.startswith(pdf_bytes):  # pragma: no cover - pyHanko always appends
        raise fail("sign.not-incremental", "the signed file does not start with the unsigned bytes",
                   "this is a bug; please report it")
    return signed


def _dss_roots(reader) -> list:
    """The self-signed certificates a signed PDF's /DSS carries (the roots of the chains it validates)."""
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        certificates = DocumentSecurityStore.read_dss(reader).load_certs()
    except NoDSSFoundError:
        return []
    return [certificate for certificate in certificates if certificate.self_signed != "no"]


def add_document_timestamp(pdf_bytes: bytes, tsa_url: str, trust_roots: tuple[Path, ...] = ()) -> bytes:
    """Add the validation data of the file's time-stamp authorities and a document time stamp (B-LT -> B-LTA)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    context = collection_context(_dss_roots(writer.prev), extra_roots=trust_roots)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT),
                                     field_name=TIME_STAMP_FIELD.format(1))
    try:
        return _run(stamper.async_timestamp_pdf(writer, "sha256", validation_context=context, output=io.BytesIO()),
                    context).getvalue()
    except Exception as error:  # noqa: BLE001
        raise signing_failure(error, "adding the document time stamp", tsa_url) from error


def extend_pdf(pdf_bytes: bytes, tsa_url: str, trust_roots: tuple[Path, ...] = ()) -> bytes:
    """Renew a B-LT or B-LTA file: the validation data of its newest time stamp as of now, then a new document
    time stamp over everything, in one incremental update. What an archive does before the newest time
    stamp's certificate expires, or when its hash algorithm weakens. (pyHanko's own renewal goes on when
    that validation data cannot be had; this refuses.)"""
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    # Validation reads the XMP metadata into its reader's cache in a form pyHanko's writer then replaces with
    # an empty one: the time stamp is validated on a reader of its own, and the writer gets a fresh one.
    reader = _signed_writer(pdf_bytes).prev
    writer = _signed_writer(pdf_bytes)
    stamps = reader.embedded_timestamp_signatures
    context = collection_context(_dss_roots(reader), extra_roots=trust_roots)
    try:
        if stamps:
            newest = validate_pdf_timestamp(stamps[-1], context)
            if not newest.trusted:
                raise fail("sign.revocation-missing", "the newest document time stamp's authority cannot be "
                           "validated now (no revocation data, or no chain to a known root)", "check the network, "
                           "or give --trust-root with that authority's root; nothing was written")
            DocumentSecurityStore.supply_dss_in_writer(writer, stamps[-1].pkcs7_content,
                                                       paths=(newest.validation_path,), validation_context=context)
        taken = {stamp.field_name for stamp in reader.embedded_signatures}
        name = next(TIME_STAMP_FIELD.format(number) for number in range(len(stamps) + 1, len(taken) + len(stamps) + 3)
                    if TIME_STAMP_FIELD.format(number) not in taken)
        stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT), field_name=name)
        return _run(stamper.async_timestamp_pdf(writer, "sha256", validation_context=context, output=io.BytesIO()),
                    context).getvalue()
    except AppealArchiveError:
        raise
    except Exception as error:  # noqa: BLE001
        raise signing_failure(error, "renewing the time stamps", tsa_url) from error


def _signed_writer(pdf_bytes: bytes):
    """A writer appending to a signed PDF that carries validation data (B-LT or B-LTA), or the reason not."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        signed = bool(writer.prev.embedded_regular_signatures)
        DocumentSecurityStore.read_dss(writer.prev)
    except NoDSSFoundError as error:
        raise fail("extend.no-validation-data", "the file has no validation data (/DSS): it is PAdES B-B or B-T, "
                   "which a new time stamp cannot make long-term", "build again with --tsa (PAdES B-LTA by "
                   "default) while the signer's certificate is valid") from error
    except Exception as error:  # noqa: BLE001 - a damaged file
        raise fail("extend.unreadable", f"the file cannot be read as a PDF ({type(error).__name__})",
                   "check that it is the signed archive") from error
    if not signed:
        raise fail("extend.unsigned", "the file carries no signature", "extend renews a signed archive")
    return writer


def sign_bundle(data: bytes | BinaryIO, material: KeyMaterial, tsa_url: str | None = None) -> bytes:
    """A detached CAdES baseline signature (DER) over `data` (bytes, or a file read a piece at a time from
    where it stands): signing-certificate-v2 among the signed
    attributes, the chain, and with an authority, the signature time stamp as an unsigned attribute
    (CAdES-T). `openssl cms -verify -binary -content FILE` accepts it."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT) if tsa_url else None
    try:
        signed = _run(pyhanko_signer(material).async_sign_general_data(
            data, "sha256", detached=True, use_cades=True, timestamper=timestamper))
    except Exception as error:  # noqa: BLE001
        raise signing_failure(error, "signing the bundle", tsa_url) from error
    return signed.dump()
