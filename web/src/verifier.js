// The site's verifier (site/verify.html): the files a reader drops are judged in the page, offline, never more
// kindly than `appeal-archive verify`. This first version judges a JSON-LD bundle with its detached CAdES
// signature (.p7s) signed at CAdES B-B; everything it cannot judge (a PDF, a bag, a bundle whose signature
// carries a time stamp, anything else) gets the verdict "not-judged", naming the command that can.
// Libraries, not hand-made: pkijs (CMS and certificate paths), canonicalize (RFC 8785), @noble/hashes (SHA-256).
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import canonicalize from "canonicalize";
import { sha256 } from "@noble/hashes/sha256";

const MAX_BYTES = 256 * 1024 * 1024;
const TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"; // id-aa-signatureTimeStampToken
const SIGNING_TIME = "1.2.840.113549.1.9.5";
const CONTENT_TYPE = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47";
const ID_DATA = "1.2.840.113549.1.7.1";
const MAX_LINE = 1 << 20; // verify's limits (layout.MAX_BUNDLE_LINE, inputs.parse_json)
const MIN_BYTES_PER_VALUE = 24;
const RECORD_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SALT = /^(?:[0-9a-f]{2}){16,64}$/;
// What this page does not judge yet: editions that extend another, and a full edition's protected places.
const LINEAGE_KEYS = ["editionRoot", "earlierPath", "leafStatus", "markedIn", "protectedLeaf", "protectedLeafCount",
                      "wasRevisionOf", "earlierLeaf"];
export class NotJudged extends Error {}
const TYPES = { appeals: "appeal", persons: "person", organizations: "organization", rallies: "rally",
                signatories: "signatory", sources: "source" };
const PART_NAMES = ["integrity", "signer", "time", "completeness"];

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

// --- the record set's root (docs/ledger.md) ------------------------------------------------------------------

export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), new TextEncoder().encode(canonicalize(entry))));
}

export function treeHash(leaves) { // RFC 9162 2.1.1, level by level, an odd last node carried up
  if (leaves.length === 0) return sha256(new Uint8Array());
  let level = leaves;
  while (level.length > 1) {
    const paired = [];
    for (let i = 0; i + 1 < level.length; i += 2) paired.push(sha256(concat(Uint8Array.of(1), level[i], level[i + 1])));
    if (level.length % 2) paired.push(level[level.length - 1]);
    level = paired;
  }
  return level[0];
}

function sortedJson(value) { // as the bundle writes a node: keys sorted, compact, UTF-8 (views/jsonld.py)
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${sortedJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const isHash = (value) => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
const isPlace = (value) => Number.isInteger(value) && value >= 0;

// The manifest a bundle states, from its node lines; each line must be exactly what a build writes for its node,
// which also refuses a repeated key (it would not survive the round trip). Throws with the reason otherwise.
export function bundleRoot(text) {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line === '  "@graph": [');
  if (!text.startsWith("{\n  \"@context\": ") || start < 0 || !text.endsWith("\n  ]\n}\n")) {
    throw new Error("it is not laid out as a bundle appeal-archive writes");
  }
  const body = lines.slice(start + 1, lines.length - 3);
  const places = new Map();
  let dataset = null;
  const encoder = new TextEncoder();
  if (lines.some((line) => encoder.encode(line).length > MAX_LINE)) throw new Error("a line is longer than any node");
  for (const [number, raw] of body.entries()) {
    const line = raw.replace(/^    /, "").replace(/,$/, "");
    const values = (line.match(/[,[{]/g) || []).length;
    if (values * MIN_BYTES_PER_VALUE > encoder.encode(line).length + 4 * MIN_BYTES_PER_VALUE) {
      throw new Error(`node ${number + 1} is denser than any node appeal-archive writes`);
    }
    const node = JSON.parse(line);
    if (LINEAGE_KEYS.some((key) => key in node)) {
      throw new NotJudged("it is an edition that extends another, or a full edition naming protected places");
    }
    if (sortedJson(node) !== line || raw !== `    ${line}${number < body.length - 1 ? "," : ""}`) {
      throw new Error(`node ${number + 1} is not written as appeal-archive writes a node`);
    }
    const place = (index, leafValue) => {
      if (!isPlace(index) || places.has(index)) throw new Error(`a leaf's place ${index} is not one free place`);
      places.set(index, leafValue);
    };
    if ("recordPath" in node) {
      const path = node.recordPath;
      const type = typeof path === "string" ? TYPES[path.split("/")[0]] : undefined;
      if (!type || !isHash(node.recordSha256) || typeof node.recordSalt !== "string" || !SALT.test(node.recordSalt)
          || typeof node.identifier !== "string" || !RECORD_ID.test(node.identifier)
          || path !== `${path.split("/")[0]}/${node.identifier}.yaml`) throw new Error(`the record node ${node["@id"]} is malformed`);
      place(node.leafIndex, leafHash({ kind: "record", path, id: node.identifier, type, sha256: node.recordSha256,
                                       salt: node.recordSalt }));
    }
    if ("documentPath" in node) {
      const name = typeof node.documentPath === "string" ? node.documentPath.slice("sources/".length) : "";
      if (!isHash(node.sha256) || typeof node.documentSalt !== "string" || !SALT.test(node.documentSalt)
          || !node.documentPath.startsWith("sources/") || ["", ".", ".."].includes(name) || /[/\\]/.test(name)
          || /[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new Error(`the document node ${node["@id"]} is malformed`);
      place(node.documentLeafIndex, leafHash({ kind: "source-document", path: node.documentPath, sha256: node.sha256,
                                               salt: node.documentSalt }));
    }
    if ("leafHash" in node) {
      if (!isHash(node.leafHash)) throw new Error(`the leaf node ${node["@id"]} is malformed`);
      place(node.leafIndex, Uint8Array.from(node.leafHash.match(/../g), (byte) => parseInt(byte, 16)));
    }
    if ("rootHash" in node) {
      if (dataset !== null) throw new Error("two nodes state a root");
      dataset = node;
    }
  }
  if (dataset === null || !isHash(dataset.rootHash) || dataset.manifestVersion !== 2 || !isPlace(dataset.treeSize)
      || !["full", "public"].includes(dataset.edition)) {
    throw new Error("it states no root of a salted Merkle tree (manifest_version 2)");
  }
  const leaves = [];
  for (let index = 0; index < dataset.treeSize; index += 1) {
    if (!places.has(index)) throw new Error(`the place ${index} of its tree is empty`);
    leaves.push(places.get(index));
  }
  if (places.size !== dataset.treeSize) throw new Error("it places leaves outside its tree");
  const root = hex(treeHash(leaves));
  return { stated: dataset.rootHash, recomputed: root, treeSize: dataset.treeSize, edition: dataset.edition };
}

// --- the detached CAdES signature ------------------------------------------------------------------------------

function pemCertificates(pem) {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) || [];
  return blocks.map((block) => {
    const der = Uint8Array.from(atob(block.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
    return pkijs.Certificate.fromBER(der);
  });
}

async function fingerprint(certificate) {
  return hex(sha256(new Uint8Array(certificate.toSchema(true).toBER(false))));
}

function subjectName(certificate) {
  const cn = certificate.subject.typesAndValues.find((item) => item.type === "2.5.4.3");
  return cn ? cn.value.valueBlock.value : "(no common name)";
}

// What `appeal-archive verify` (pyHanko) also requires of the bundle's signature: one signer, detached (pkijs
// would check an embedded copy instead of the bundle given), over id-data, with CAdES's signed attributes, the
// signing-certificate-v2 naming the very certificate that signed, and that certificate fit to sign.
function cadesProblem(signed) {
  if (signed.signerInfos.length !== 1) return "it has not exactly one signer";
  if (signed.encapContentInfo.eContent !== undefined) return "it carries content of its own";
  if (signed.encapContentInfo.eContentType !== ID_DATA) return "it does not sign plain data";
  const signerInfo = signed.signerInfos[0];
  const attributes = signerInfo.signedAttrs ? signerInfo.signedAttrs.attributes : [];
  const types = attributes.map((attribute) => attribute.type);
  for (const needed of [CONTENT_TYPE, MESSAGE_DIGEST, SIGNING_CERTIFICATE_V2]) {
    if (types.filter((type) => type === needed).length !== 1) return "its signed attributes are not CAdES's";
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
  if (hashAlgorithm && hashAlgorithm.valueBlock.value[0].valueBlock.toString() !== "2.16.840.1.101.3.4.2.1") {
    return "its signing-certificate-v2 does not use SHA-256";
  }
  const own = sha256(new Uint8Array(certificate.toSchema(true).toBER(false)));
  if (!certHash || hex(new Uint8Array(certHash.valueBlock.valueHexView)) !== hex(own)) {
    return "its signing-certificate-v2 names another certificate than the one that signed";
  }
  const usage = (certificate.extensions || []).find((extension) => extension.extnID === "2.5.29.15");
  if (usage) {
    const bits = new Uint8Array(usage.parsedValue.valueBlock.valueHexView)[0] || 0;
    if (!(bits & 0x80) && !(bits & 0x40)) return "the certificate that signed may not sign (its key usage)";
  }
  return null;
}

export async function judgeBundle(bundle, signature, anchorsPem) {
  const parts = Object.fromEntries(PART_NAMES.map((name) => [name, { ok: null, said: [] }]));
  const verdict = { verdict: "failed", root: null, parts, signer: null };
  let manifest;
  try {
    manifest = bundleRoot(new TextDecoder("utf-8", { fatal: true }).decode(bundle));
  } catch (error) {
    if (error instanceof NotJudged) {
      return notJudged(`This page does not judge this bundle yet (${error.message}): run \`appeal-archive verify\`.`);
    }
    parts.integrity.ok = false;
    parts.integrity.said.push(`The bundle cannot be read as one appeal-archive made: ${error.message}.`);
    return verdict;
  }
  verdict.root = manifest.stated;
  const rootHolds = manifest.recomputed === manifest.stated;
  parts.integrity.said.push(rootHolds ? `The record hashes give the stated root ${manifest.stated}.`
    : `The record hashes give the root ${manifest.recomputed}, not the stated ${manifest.stated}: the bundle was altered.`);
  let signed;
  try {
    const info = pkijs.ContentInfo.fromBER(signature);
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    parts.integrity.ok = false;
    parts.integrity.said.push("The signature file is not a CMS signature.");
    return verdict;
  }
  const form = cadesProblem(signed);
  if (form) {
    parts.integrity.ok = false;
    parts.integrity.said.push(`The signature is not a detached CAdES signature as appeal-archive makes: ${form}.`);
    return verdict;
  }
  const signerInfo = signed.signerInfos[0];
  const unsigned = signerInfo && signerInfo.unsignedAttrs ? signerInfo.unsignedAttrs.attributes : [];
  const stamped = unsigned.some((attribute) => attribute.type === TIME_STAMP_TOKEN);
  const anchors = pemCertificates(anchorsPem);
  const data = bundle.buffer.slice(bundle.byteOffset, bundle.byteOffset + bundle.byteLength);
  const check = async (options) => {
    try {
      return await signed.verify({ signer: 0, data, extendedMode: true, ...options });
    } catch (error) {
      return error; // pkijs reports a failed check as an error carrying what it found
    }
  };
  // The signature over the bundle first, on its own; then whether its certificate chains to the anchor.
  const result = await check({ checkChain: false });
  const trusted = await check({ trustedCerts: anchors, checkChain: true });
  const signatureHolds = result && result.signatureVerified === true;
  const chainHolds = signatureHolds && trusted && trusted.signatureVerified === true
    && trusted.signerCertificateVerified === true;
  parts.integrity.ok = rootHolds && signatureHolds;
  parts.integrity.said.push(signatureHolds ? "The signature is intact and covers the whole bundle."
    : "The signature does not hold for this bundle: the bundle or its signature was altered.");
  const certificate = result && result.signerCertificate;
  if (certificate) {
    verdict.signer = { name: subjectName(certificate), fingerprint: await fingerprint(certificate) };
    parts.signer.said.push(`Signed by ${verdict.signer.name} (certificate SHA-256 ${verdict.signer.fingerprint}).`);
  }
  parts.signer.ok = signatureHolds && chainHolds;
  parts.signer.said.push(chainHolds ? "The signer's certificate chains to the custodian's CA this page carries."
    : "The signer's certificate does not chain to the custodian's CA this page carries.");
  const signedAt = (signerInfo && signerInfo.signedAttrs ? signerInfo.signedAttrs.attributes : [])
    .find((attribute) => attribute.type === SIGNING_TIME);
  parts.time.said.push(signedAt ? `The signer claims it signed at ${signedAt.values[0].toDate().toISOString()} (a claim, not proof).`
    : "The signature states no signing time.");
  parts.completeness.ok = true;
  parts.completeness.said.push("The bundle and its signature were both given.");
  if (!parts.integrity.ok) verdict.verdict = "failed";
  else if (stamped) {
    parts.time.ok = null;
    parts.time.said.push("The signature carries a time stamp, which this page cannot judge: run `appeal-archive verify` "
      + "on the bundle for the full verdict.");
    verdict.verdict = "not-judged";
  } else if (!parts.signer.ok) verdict.verdict = "untrusted";
  else { parts.time.ok = true; verdict.verdict = "verified"; }
  return verdict;
}

// --- the page ----------------------------------------------------------------------------------------------------

const WORDS = {
  verified: "Verified: the bundle is intact, signed by the custodian, and its records give the root below.",
  failed: "Failed: what you gave is not intact.",
  untrusted: "Intact, but not signed by the custodian this page trusts.",
  "not-judged": "Not judged by this page: run the command named below.",
};

function show(verdict) {
  const status = document.getElementById("verdict");
  status.dataset.verdict = verdict.verdict;
  const lines = [WORDS[verdict.verdict]];
  if (verdict.root) lines.push(`Root: ${verdict.root}`);
  for (const name of PART_NAMES) {
    const part = verdict.parts ? verdict.parts[name] : { ok: null, said: [] };
    const state = part.ok === true ? "ok" : part.ok === false ? "FAILED" : "not judged";
    lines.push(`${name}: ${state}. ${part.said.join(" ")}`);
  }
  status.textContent = "";
  for (const line of lines) {
    const paragraph = document.createElement("p");
    paragraph.textContent = line;
    status.appendChild(paragraph);
  }
}

function notJudged(why) {
  return { verdict: "not-judged", root: null, signer: null,
           parts: Object.fromEntries(PART_NAMES.map((name) => [name, { ok: null, said: name === "integrity" ? [why] : [] }])) };
}

async function judgeFiles(files) {
  const list = Array.from(files);
  if (list.some((file) => file.size > MAX_BYTES)) {
    return notJudged(`A file is larger than this page judges (${MAX_BYTES / 1024 / 1024} MB): run \`appeal-archive verify\`.`);
  }
  const bundle = list.find((file) => file.name.endsWith(".jsonld"));
  const signature = list.find((file) => file.name.endsWith(".jsonld.p7s"));
  if (!bundle || !signature || list.length !== 2) {
    return notJudged("This page judges a JSON-LD bundle given with its .p7s signature. For a signed PDF, a bag or a "
      + "proof, run `appeal-archive verify FILE` (appeal-archive, offline).");
  }
  const anchors = document.getElementById("anchors").textContent;
  return judgeBundle(new Uint8Array(await bundle.arrayBuffer()), new Uint8Array(await signature.arrayBuffer()), anchors);
}

export function start() {
  const input = document.getElementById("files");
  const zone = document.getElementById("drop");
  const run = async (files) => {
    const status = document.getElementById("verdict");
    status.dataset.verdict = "";
    status.textContent = "Checking…";
    try {
      show(await judgeFiles(files));
    } catch (error) {
      show(notJudged(`This page could not judge the files (${error.message}): run \`appeal-archive verify\`.`));
    }
  };
  input.addEventListener("change", () => run(input.files));
  zone.addEventListener("dragover", (event) => event.preventDefault());
  zone.addEventListener("drop", (event) => { event.preventDefault(); run(event.dataTransfer.files); });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });
}

if (typeof document !== "undefined") start();
