// The archive's JSON-LD bundle with its detached CAdES signature (.p7s), judged as `appeal-archive verify` judges
// it (verify/bundle.py): every node line exactly as a build writes it, the root its record nodes give, and the
// signature over the bundle's bytes.
import { judgeSignature } from "./cades.js";
import { fromHex, hex, isHash, leafHash, readAlike, treeHash } from "./hashing.js";
import { NotJudged, RECORD_ID, SALT, TYPES, plainDocumentName } from "./manifest.js";
import { conclude, failed, newVerdict, notJudgedError } from "./verdict.js";

const MAX_LINE = 1 << 20; // verify's limits (layout.MAX_BUNDLE_LINE, inputs.parse_json)
const MIN_BYTES_PER_VALUE = 24;
// What this page does not judge yet: editions that extend another, and a full edition's protected places.
const LINEAGE_KEYS = ["editionRoot", "earlierPath", "leafStatus", "markedIn", "protectedLeaf", "protectedLeafCount",
                      "wasRevisionOf", "earlierLeaf"];
const isPlace = (value) => Number.isInteger(value) && value >= 0;

function sortedJson(value) { // as the bundle writes a node: keys sorted, compact, UTF-8 (views/jsonld.py)
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${sortedJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

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
  let withheldLeaves = 0;
  const encoder = new TextEncoder();
  if (lines.some((line) => encoder.encode(line).length > MAX_LINE)) throw new Error("a line is longer than any node");
  for (const [number, raw] of body.entries()) {
    const line = raw.replace(/^    /, "").replace(/,$/, "");
    const values = (line.match(/[,[{]/g) || []).length;
    if (values * MIN_BYTES_PER_VALUE > encoder.encode(line).length + 4 * MIN_BYTES_PER_VALUE) {
      throw new Error(`node ${number + 1} is denser than any node appeal-archive writes`);
    }
    const node = readAlike(JSON.parse(line));
    if (node === null || typeof node !== "object" || Array.isArray(node)) throw new Error(`node ${number + 1} is not an object`);
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
      const type = typeof path === "string" && Object.hasOwn(TYPES, path.split("/")[0]) ? TYPES[path.split("/")[0]] : undefined;
      if (!type || !isHash(node.recordSha256) || typeof node.recordSalt !== "string" || !SALT.test(node.recordSalt)
          || typeof node.identifier !== "string" || !RECORD_ID.test(node.identifier)
          || path !== `${path.split("/")[0]}/${node.identifier}.yaml`) throw new Error(`the record node ${node["@id"]} is malformed`);
      place(node.leafIndex, leafHash({ kind: "record", path, id: node.identifier, type, sha256: node.recordSha256,
                                       salt: node.recordSalt }));
    }
    if ("documentPath" in node) {
      const name = typeof node.documentPath === "string" ? node.documentPath.slice("sources/".length) : "";
      if (!isHash(node.sha256) || typeof node.documentSalt !== "string" || !SALT.test(node.documentSalt)
          || !node.documentPath.startsWith("sources/") || !plainDocumentName(name)) {
        throw new Error(`the document node ${node["@id"]} is malformed`);
      }
      place(node.documentLeafIndex, leafHash({ kind: "source-document", path: node.documentPath, sha256: node.sha256,
                                               salt: node.documentSalt }));
    }
    if ("leafHash" in node) {
      if (!isHash(node.leafHash)) throw new Error(`the leaf node ${node["@id"]} is malformed`);
      withheldLeaves += 1;
      place(node.leafIndex, fromHex(node.leafHash));
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
  if (dataset.edition === "full" && withheldLeaves > 0) throw new Error("a full edition withholds a leaf");
  const leaves = [];
  for (let index = 0; index < dataset.treeSize; index += 1) {
    if (!places.has(index)) throw new Error(`the place ${index} of its tree is empty`);
    leaves.push(places.get(index));
  }
  if (places.size !== dataset.treeSize) throw new Error("it places leaves outside its tree");
  const root = hex(treeHash(leaves));
  return { stated: dataset.rootHash, recomputed: root, treeSize: dataset.treeSize, edition: dataset.edition };
}

export async function judgeBundle(bundle, signatureBytes, anchors, anchorName) {
  const verdict = newVerdict();
  let manifest;
  try {
    manifest = bundleRoot(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bundle));
  } catch (error) {
    if (error instanceof NotJudged) return notJudgedError(error, "bundle");
    return failed(verdict, "integrity", `The bundle cannot be read as one appeal-archive made: ${error.message}.`);
  }
  verdict.root = manifest.stated;
  verdict.treeSize = manifest.treeSize;
  const rootHolds = manifest.recomputed === manifest.stated;
  verdict.parts.integrity.said.push(rootHolds ? `The record hashes give the stated root ${manifest.stated}.`
    : `The record hashes give the root ${manifest.recomputed}, not the stated ${manifest.stated}: the bundle was altered.`);
  const signature = await judgeSignature(bundle, signatureBytes, anchors);
  if (signature.problem) {
    return failed(verdict, "integrity", `The signature is not a detached CAdES signature as appeal-archive makes: ${signature.problem}.`);
  }
  signature.anchorName = anchorName;
  verdict.parts.integrity.said.push(signature.holds ? "The signature is intact and covers the whole bundle."
    : "The signature does not hold for this bundle: the bundle or its signature was altered.");
  verdict.parts.completeness.ok = true;
  verdict.parts.completeness.said.push("The bundle and its signature were both given.");
  return conclude(verdict, signature, rootHolds, "bundle");
}
