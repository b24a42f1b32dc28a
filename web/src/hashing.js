// Hashes and the RFC 9162 Merkle tree of a record set (docs/ledger.md): the leaf of an entry, the root over the
// leaves, and the root an inclusion proof's audit path leads to.
import canonicalize from "canonicalize";
import { sha256 } from "@noble/hashes/sha256";

export { sha256 };

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
export const fromHex = (text) => Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
export const isHash = (value) => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

// Data that RFC 8785 holds as appeal-archive does (rfc8785): finite numbers, integers within IEEE doubles' exact
// range, well-formed strings; throws otherwise.
export function canonicalJson(value) {
  const check = (item, depth) => {
    if (depth > 64) throw new Error("data nested deeper than any record");
    if (typeof item === "number" && (!Number.isFinite(item) || (Number.isInteger(item) && !Number.isSafeInteger(item)))) {
      throw new Error("a number no canonical JSON holds exactly");
    }
    if (typeof item === "string" && /\p{Surrogate}/u.test(item)) throw new Error("a string with a lone surrogate");
    if (typeof item === "bigint" || typeof item === "undefined" || typeof item === "function") throw new Error("not JSON data");
    if (item !== null && typeof item === "object") {
      for (const [key, inner] of Object.entries(item)) { check(key, depth + 1); check(inner, depth + 1); }
    }
  };
  check(value, 0);
  return canonicalize(value);
}

// What verify's JSON reader (verify/inputs.py parse_json) refuses that JSON.parse reads: numbers written with an
// exponent (JSON.stringify writes one above 1e21 and below 1e-6) and nesting deeper than Python's parser goes
// (64 here: no record comes near). Throws with the reason.
export function readAlike(value, depth = 0) {
  if (depth > 64) throw new Error("it is nested deeper than any JSON appeal-archive writes");
  if (typeof value === "number" && /e/i.test(String(value))) throw new Error(`${value} is not a JSON number verify reads`);
  if (value !== null && typeof value === "object") for (const inner of Object.values(value)) readAlike(inner, depth + 1);
  return value;
}

export const digest = (value) => hex(sha256(new TextEncoder().encode(canonicalJson(value))));

export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), new TextEncoder().encode(canonicalJson(entry))));
}

const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

export function treeHash(leaves) { // RFC 9162 2.1.1, level by level, an odd last node carried up
  if (leaves.length === 0) return sha256(new Uint8Array());
  let level = leaves;
  while (level.length > 1) {
    const paired = [];
    for (let i = 0; i + 1 < level.length; i += 2) paired.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2) paired.push(level[level.length - 1]);
    level = paired;
  }
  return level[0];
}

// RFC 9162 2.1.3.2: the root an audit path leads to from leaf `index` of a tree of `size`, or null.
export function rootFromInclusion(index, size, leaf, path) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let result = leaf;
  for (const node of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      result = nodeHash(node, result);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      result = nodeHash(result, node);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? result : null;
}
