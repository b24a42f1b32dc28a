// A detached CAdES signature (CMS SignedData) over given bytes, judged as `appeal-archive verify` (pyHanko) judges
// the archive's: its form, the signature, and the chain to the trust anchor. pkijs does the cryptography.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { hex, sha256 } from "./hashing.js";

const TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"; // id-aa-signatureTimeStampToken
const SIGNING_TIME = "1.2.840.113549.1.9.5";
const CONTENT_TYPE = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47";
const ID_DATA = "1.2.840.113549.1.7.1";
const ALGORITHM_PROTECTION = "1.2.840.113549.1.9.52"; // RFC 6211
const MAX_SIGNATURE_BYTES = 1 << 20; // as verify reads a .p7s (layout.MAX_SIGNATURE_BYTES)
const SHA256 = "2.16.840.1.101.3.4.2.1";
// What pyHanko's validation accepts, and no more: SHA-2 digests (no MD5, no SHA-1), RSA and ECDSA over them, and
// of a certificate's critical extensions only those the path validation understands.
const DIGESTS = new Set([SHA256, "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"]);
// (No RSA-PSS: pyHanko reads its parameters, which pkijs does not all honour.)
const SIGNATURES = new Set(["1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11",
                            "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.10045.4.3.2",
                            "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"]);
const CERTIFICATE_SIGNATURES = new Set([...SIGNATURES].filter((oid) => oid !== "1.2.840.113549.1.1.1"));
const UNDERSTOOD_CRITICAL = new Set(["2.5.29.19", "2.5.29.15", "2.5.29.37"]); // basic constraints, key usages
const CURVES = new Set(["P-256", "P-384", "P-521"]); // as pkijs names them
const ECDSA = new Set(["1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"]);

// An ECDSA signature value in DER exactly (OpenSSL, which verify's libraries use, refuses any other encoding; pkijs
// reads looser ones): a sequence of two minimal positive integers, with minimal lengths, and nothing after it.
function strictEcdsa(bytes) {
  const parsed = asn1js.fromBER(bytes.slice().buffer);
  if (parsed.offset !== bytes.length || !(parsed.result instanceof asn1js.Sequence)) return false;
  const integers = parsed.result.valueBlock.value;
  if (integers.length !== 2 || !integers.every((item) => item instanceof asn1js.Integer)) return false;
  const minimal = (item) => {
    const value = new Uint8Array(item.valueBlock.valueHexView);
    return value.length > 0 && !(value[0] & 0x80) && !(value.length > 1 && value[0] === 0 && !(value[1] & 0x80));
  };
  const encoded = new Uint8Array(new asn1js.Sequence({ value: integers.map((item) => new asn1js.Integer({
    valueHex: new Uint8Array(item.valueBlock.valueHexView) })) }).toBER(false));
  return integers.every(minimal) && encoded.length === bytes.length && encoded.every((byte, i) => byte === bytes[i]);
}

export function certificatesFrom(text) { // PEM blocks, or one DER certificate
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) || [];
  return blocks.map((block) => {
    const der = Uint8Array.from(atob(block.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
    return pkijs.Certificate.fromBER(der);
  });
}

export const fingerprint = (certificate) => hex(sha256(new Uint8Array(certificate.toSchema(true).toBER(false))));

export function subjectName(certificate) {
  const cn = certificate.subject.typesAndValues.find((item) => item.type === "2.5.4.3");
  return cn ? cn.value.valueBlock.value : "(no common name)";
}

// What `appeal-archive verify` (pyHanko) also requires of the archive's signatures: one signer, detached (pkijs
// would check an embedded copy instead of the bytes given), over id-data, with CAdES's signed attributes, the
// signing-certificate-v2 naming the very certificate that signed, and that certificate fit to sign.
function keyProblem(certificate) {
  const key = certificate.subjectPublicKeyInfo.parsedKey;
  if (key instanceof pkijs.RSAPublicKey) {
    const modulus = new Uint8Array(key.modulus.valueBlock.valueHexView);
    let first = 0;
    while (first < modulus.length && modulus[first] === 0) first += 1;
    const bits = first < modulus.length ? (modulus.length - first) * 8 - (Math.clz32(modulus[first]) - 24) : 0;
    return bits >= 2048 ? null : `an RSA key of ${bits} bits`;
  }
  if (key instanceof pkijs.ECPublicKey) return CURVES.has(key.namedCurve) ? null : "an elliptic curve verify does not accept";
  return "a key of a kind verify does not accept";
}

const basicConstraints = (certificate) => (certificate.extensions || [])
  .find((extension) => extension.extnID === "2.5.29.19")?.parsedValue;

// The chain from the signer's certificate up to an anchor, by issuer names, as far as the certificates given go;
// each CA certificate on it must allow as many CA certificates below it as there are (its pathLenConstraint),
// which pkijs's path validation does not check.
function pathProblem(signer, carried, anchors) {
  const path = [signer];
  for (let current = signer; path.length < 10;) {
    if (anchors.some((anchor) => fingerprint(anchor) === fingerprint(current))) break;
    const issuer = [...carried, ...anchors].find((candidate) => candidate.subject.isEqual(current.issuer)
      && fingerprint(candidate) !== fingerprint(current));
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  for (const [position, certificate] of path.entries()) {
    const constraint = position > 0 ? basicConstraints(certificate) : undefined;
    if (constraint && constraint.pathLenConstraint !== undefined && position - 1 > constraint.pathLenConstraint) {
      return `the certificate of ${subjectName(certificate)} allows fewer authorities below it than the chain has`;
    }
  }
  return null;
}

function algorithmProblem(signed) {
  const signerInfo = signed.signerInfos[0];
  if (![...signed.digestAlgorithms, signerInfo.digestAlgorithm].every((algorithm) => DIGESTS.has(algorithm.algorithmId))) {
    return "it uses a digest algorithm appeal-archive verify does not accept (SHA-256, -384 or -512 only)";
  }
  if (!SIGNATURES.has(signerInfo.signatureAlgorithm.algorithmId)) return "it uses a signature algorithm verify does not accept";
  if (ECDSA.has(signerInfo.signatureAlgorithm.algorithmId)
      && !strictEcdsa(new Uint8Array(signerInfo.signature.valueBlock.valueHexView))) {
    return "its signature value is not in the one encoding verify reads";
  }
  for (const certificate of signed.certificates || []) {
    if (!(certificate instanceof pkijs.Certificate)) return "it carries a certificate of another kind";
    if (!CERTIFICATE_SIGNATURES.has(certificate.signatureAlgorithm.algorithmId)
        || (ECDSA.has(certificate.signatureAlgorithm.algorithmId)
            && !strictEcdsa(new Uint8Array(certificate.signatureValue.valueBlock.valueHexView)))) {
      return `the certificate of ${subjectName(certificate)} is signed with an algorithm or encoding verify does not accept`;
    }
    const extensions = (certificate.extensions || []).map((extension) => extension.extnID);
    if (certificate.version !== 2 || new Set(extensions).size !== extensions.length) {
      return `the certificate of ${subjectName(certificate)} is not an X.509 v3 certificate with each extension once`;
    }
    if ((certificate.extensions || []).some((extension) => extension.critical && !UNDERSTOOD_CRITICAL.has(extension.extnID))) {
      return `the certificate of ${subjectName(certificate)} has a critical extension verify would not accept`;
    }
    const weak = keyProblem(certificate);
    if (weak) return `the certificate of ${subjectName(certificate)} has ${weak}`;
  }
  return null;
}

function formProblem(signed) {
  if (signed.signerInfos.length !== 1) return "it has not exactly one signer";
  if (signed.encapContentInfo.eContent !== undefined) return "it carries content of its own";
  if (signed.encapContentInfo.eContentType !== ID_DATA) return "it does not sign plain data";
  const signerInfo = signed.signerInfos[0];
  const attributes = signerInfo.signedAttrs ? signerInfo.signedAttrs.attributes : [];
  const types = attributes.map((attribute) => attribute.type);
  for (const needed of [CONTENT_TYPE, MESSAGE_DIGEST, SIGNING_CERTIFICATE_V2]) {
    if (types.filter((type) => type === needed).length !== 1) return "its signed attributes are not CAdES's";
  }
  if (new Set(types).size !== types.length || attributes.some((attribute) => attribute.values.length !== 1)) {
    return "a signed attribute of it is repeated or holds more than one value";
  }
  const contentType = attributes.find((attribute) => attribute.type === CONTENT_TYPE).values[0];
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== ID_DATA) {
    return "its content-type attribute does not name the data it signs";
  }
  const protection = attributes.find((attribute) => attribute.type === ALGORITHM_PROTECTION);
  if (protection && protectionProblem(protection.values[0], signerInfo)) {
    return "its algorithm-protection attribute names other algorithms than it uses";
  }
  const certificate = (signed.certificates || []).find((candidate) => candidate instanceof pkijs.Certificate
    && signerInfo.sid instanceof pkijs.IssuerAndSerialNumber
    && candidate.serialNumber.isEqual(signerInfo.sid.serialNumber) && candidate.issuer.isEqual(signerInfo.sid.issuer));
  if (!certificate) return "it does not carry the certificate that signed";
  const essValue = attributes.find((attribute) => attribute.type === SIGNING_CERTIFICATE_V2).values[0];
  const first = essValue.valueBlock.value[0] && essValue.valueBlock.value[0].valueBlock.value[0];
  const items = first ? first.valueBlock.value : [];
  const hashAlgorithm = items.length > 1 && items[0] instanceof asn1js.Sequence ? items[0] : null;
  const certHash = items.find((item) => item instanceof asn1js.OctetString);
  if (hashAlgorithm && hashAlgorithm.valueBlock.value[0].valueBlock.toString() !== SHA256) {
    return "its signing-certificate-v2 does not use SHA-256";
  }
  const issuerSerial = items[items.indexOf(certHash) + 1];
  if (!certHash || hex(new Uint8Array(certHash.valueBlock.valueHexView)) !== fingerprint(certificate)
      || (issuerSerial !== undefined && !sameDer(issuerSerial, expectedIssuerSerial(certificate)))) {
    return "its signing-certificate-v2 names another certificate than the one that signed";
  }
  return null;
}

function usageProblem(certificate) { // pyHanko's default for a signer: a key usage that includes non-repudiation
  const usage = (certificate.extensions || []).find((extension) => extension.extnID === "2.5.29.15");
  const bits = usage ? new Uint8Array(usage.parsedValue.valueBlock.valueHexView)[0] || 0 : 0;
  return bits & 0x40 ? null : "its key usage does not include non-repudiation";
}

const sameDer = (one, other) => hex(new Uint8Array(one.toBER(false))) === hex(new Uint8Array(other.toBER(false)));

function expectedIssuerSerial(certificate) { // IssuerSerial: the issuer as a directoryName, and the serial
  const directoryName = new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [certificate.issuer.toSchema()] });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [directoryName] }), certificate.serialNumber] });
}

function protectionProblem(value, signerInfo) {
  const parts = value instanceof asn1js.Sequence ? value.valueBlock.value : [];
  const oid = (item) => (item && item.valueBlock && item.valueBlock.value && item.valueBlock.value[0]
    instanceof asn1js.ObjectIdentifier ? item.valueBlock.value[0].valueBlock.toString() : null);
  const signature = parts.find((item) => item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 1);
  return parts.length < 1 || oid(parts[0]) !== signerInfo.digestAlgorithm.algorithmId
    || parts.some((item) => item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 2)
    || (signature !== undefined && oid(signature) !== signerInfo.signatureAlgorithm.algorithmId);
}

// The judgement of `der` as a detached signature over `data` by a certificate chaining to one of `anchors`:
// {problem} when it is not a signature of the archive's form, else {holds, chains, distrust (why the chain is not
// trusted although it may chain), signer, claimedTime, stamped}.
export async function judgeSignature(data, der, anchors) {
  let signed;
  if (der.length > MAX_SIGNATURE_BYTES) return { problem: "it is larger than any signature appeal-archive makes" };
  const parsed = asn1js.fromBER(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength));
  if (parsed.offset !== der.byteLength) return { problem: "it has bytes after the signature" };
  try {
    const info = pkijs.ContentInfo.fromBER(der);
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    return { problem: "it is not a CMS signature" };
  }
  const problem = formProblem(signed);
  if (problem) return { problem };
  const signerInfo = signed.signerInfos[0];
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const check = async (options) => {
    try {
      return await signed.verify({ signer: 0, data: buffer, extendedMode: true, ...options });
    } catch (error) {
      return error; // pkijs reports a failed check as an error carrying what it found
    }
  };
  // The signature over the bytes first, on its own; then whether its certificate chains to an anchor.
  const result = await check({ checkChain: false });
  const holds = Boolean(result && result.signatureVerified === true);
  const trusted = anchors.length ? await check({ trustedCerts: anchors, checkChain: true }) : null;
  const certificate = result && result.signerCertificate;
  // What pyHanko's validation also refuses, which pkijs lets through: weak algorithms and keys, path lengths.
  const distrust = algorithmProblem(signed) || (certificate ? usageProblem(certificate) : null)
    || (certificate ? pathProblem(certificate, (signed.certificates || []).filter((each) => each instanceof pkijs.Certificate), anchors) : null);
  const chains = holds && !distrust
    && Boolean(trusted && trusted.signatureVerified === true && trusted.signerCertificateVerified === true);
  const signer = certificate ? { name: subjectName(certificate), fingerprint: fingerprint(certificate) } : null;
  const unsigned = signerInfo.unsignedAttrs ? signerInfo.unsignedAttrs.attributes : [];
  const signedAt = signerInfo.signedAttrs.attributes.find((attribute) => attribute.type === SIGNING_TIME);
  return { problem: null, holds, chains, distrust, signer, stamped: unsigned.some((attribute) => attribute.type === TIME_STAMP_TOKEN),
           claimedTime: signedAt ? signedAt.values[0].toDate().toISOString() : null };
}
