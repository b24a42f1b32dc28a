// The manifest attached to the archive's PDF (ledger/manifest.py): its form, its entries and the root they give.
import { fromHex, hex, isHash, leafHash, readAlike, treeHash } from "./hashing.js";

export class NotJudged extends Error {}

export const TYPES = { appeals: "appeal", persons: "person", organizations: "organization", rallies: "rally",
                       signatories: "signatory", sources: "source" };
export const RECORD_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SALT = /^(?:[0-9a-f]{2}){16,64}$/;
const KEYS = ["manifest_version", "archival_id", "edition", "hash_algorithm", "canonicalization", "tree", "tree_size",
              "records", "source_documents", "withheld", "root", "protected"];
// A document's file name as verify requires it (Python's str.isprintable), judged here only within scripts whose
// characters every Unicode version since long agrees on: ASCII, Latin, Greek and Cyrillic letters, marks and
// signs. A name of other characters is not judged (the browser's Unicode may be newer than verify's).
const PRINTABLE_EVERYWHERE = /^[\x20-\x7E\xA1-\xAC\xAE-\u024F\u0370-\u0377\u037A-\u037F\u0384-\u038A\u038C\u038E-\u03A1\u03A3-\u052F]*$/u;

export function plainDocumentName(name) {
  if (["", ".", ".."].includes(name) || /[/\\]/.test(name)) return false;
  if (!PRINTABLE_EVERYWHERE.test(name)) throw new NotJudged("a source document's name holds characters this page does not judge");
  return true;
}

// The bytes layout.manifest_bytes writes for `manifest`: one top-level key per line, one list item per line.
export function manifestBytes(manifest) {
  const member = ([key, value]) => (Array.isArray(value) && value.length
    ? `${JSON.stringify(key)}:[\n${value.map((item) => JSON.stringify(item)).join(",\n")}\n]`
    : `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return new TextEncoder().encode(`{${Object.entries(manifest).map(member).join(",\n")}}\n`);
}

function entryProblem(entry, kind) {
  const fields = kind === "records" ? ["path", "id", "type", "sha256", "salt"] : ["path", "sha256", "salt"];
  const keys = entry !== null && typeof entry === "object" && !Array.isArray(entry) ? Object.keys(entry).sort() : [];
  if (keys.join() !== ["kind", "index", ...fields].sort().join() || !fields.every((name) => typeof entry[name] === "string")) {
    return `an entry of its ${kind} is not a mapping of ${fields.join(", ")}`;
  }
  if (!isHash(entry.sha256)) return `an entry of its ${kind} has no SHA-256`;
  if (!SALT.test(entry.salt)) return `an entry of its ${kind} has no salt of at least 128 bits`;
  const slash = entry.path.indexOf("/");
  const folder = slash < 0 ? entry.path : entry.path.slice(0, slash);
  const name = slash < 0 ? "" : entry.path.slice(slash + 1);
  if (kind === "records") {
    if (entry.kind !== "record" || !Object.hasOwn(TYPES, folder) || TYPES[folder] !== entry.type
        || !RECORD_ID.test(entry.id) || name !== `${entry.id}.yaml`) {
      return `the entry ${JSON.stringify(entry.path)} is not a record's path, id and type`;
    }
  } else if (entry.kind !== "source-document" || folder !== "sources" || !plainDocumentName(name)) {
    return "an entry of its source documents is not a plain file name in sources/";
  }
  return null;
}

const isPlace = (value) => Number.isSafeInteger(value) && value >= 0;

// The manifest read from `raw` bytes, with the root its entries give; throws Error (it is not one appeal-archive
// wrote) or NotJudged (one this page does not judge: an older form, or an edition extending another).
export function readManifest(raw) {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  const manifest = readAlike(JSON.parse(text));
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) throw new Error("it is not a JSON object");
  if (manifest.manifest_version === 1) throw new NotJudged("its manifest was made before salted Merkle trees (manifest_version 1)");
  const extra = Object.keys(manifest).filter((key) => !KEYS.includes(key));
  if (extra.some((key) => ["extends", "earlier"].includes(key))) throw new NotJudged("it is an edition that extends another");
  if (extra.length) throw new NotJudged(`its manifest has fields this page does not know (${extra.join(", ")})`);
  const written = manifestBytes(manifest);
  if (written.length !== raw.length || written.some((byte, i) => byte !== raw[i])) {
    throw new NotJudged("its manifest is not in the form this version of appeal-archive writes");
  }
  if (!isHash(manifest.root)) throw new Error("it has no root");
  if (manifest.manifest_version !== 2) throw new Error(`its manifest_version is ${JSON.stringify(manifest.manifest_version)}`);
  for (const kind of ["records", "source_documents"]) {
    if (!Array.isArray(manifest[kind])) throw new Error(`its ${kind} are not a list`);
    for (const entry of manifest[kind]) {
      const problem = entryProblem(entry, kind);
      if (problem) throw new Error(problem);
    }
  }
  if (!["full", "public"].includes(manifest.edition)) throw new Error("its edition is neither full nor public");
  const { withheld } = manifest;
  if (!Array.isArray(withheld) || !withheld.every((item) => item !== null && typeof item === "object"
      && Object.keys(item).sort().join() === "index,leaf" && isHash(item.leaf))) {
    if (Array.isArray(withheld) && withheld.some((item) => item && "status" in item)) {
      throw new NotJudged("it keeps earlier leaves of an edition it extends");
    }
    throw new Error("its withheld leaves are not a list of index and leaf");
  }
  if (!isPlace(manifest.tree_size)) throw new Error("its tree_size is not a number");
  const places = new Map();
  const place = (index, leaf) => {
    if (!isPlace(index) || places.has(index) || index >= manifest.tree_size) {
      throw new Error(`its entries and withheld leaves do not fill the ${manifest.tree_size} places of its tree once each`);
    }
    places.set(index, leaf);
  };
  for (const entry of [...manifest.records, ...manifest.source_documents]) {
    const { index, ...rest } = entry;
    place(index, leafHash(rest));
  }
  for (const item of withheld) place(item.index, fromHex(item.leaf));
  if (places.size !== manifest.tree_size) {
    throw new Error(`its entries and withheld leaves do not fill the ${manifest.tree_size} places of its tree once each`);
  }
  if (manifest.edition === "full" && withheld.length) throw new Error("a full edition withholds a leaf");
  if ("protected" in manifest && (manifest.edition !== "full" || !Array.isArray(manifest.protected)
      || !manifest.protected.every((index) => isPlace(index) && index < manifest.tree_size))) {
    throw new Error("its protected leaves are not places of its tree");
  }
  const leaves = Array.from({ length: manifest.tree_size }, (_, index) => places.get(index));
  return { manifest, recomputed: hex(treeHash(leaves)) };
}
