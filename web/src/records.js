// A record's two attached forms against its manifest entry (verify/attachments.py): the data of its YAML and the
// bytes of its canonical JSON must both give the entry's SHA-256. The YAML is read under the YAML 1.2 core schema
// and refused where appeal-archive's loader would not read it as plain data (aliases, anchors, tags, repeated or
// non-text keys, plain scalars YAML 1.1 reads otherwise than 1.2), so that no YAML reads one way here and another
// in `verify`.
import { parseDocument, visit, isAlias, isPair, isScalar, isMap, isSeq } from "yaml";
import { digest, hex, sha256 } from "./hashing.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Every plain scalar PyYAML's YAML 1.1 resolver reads as something other than text (records/loader.py): text
// under YAML 1.2 that matches it is read two ways, and refused, as the loader refuses it.
const YAML11_NOT_STRING = new RegExp(`^(?:${[
  "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
  "~|null|Null|NULL|",
  "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)",
  "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
  "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?"
    + ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
  "<<", "=", "!|&|\\*",
].join("|")})$`);
// The plain scalars that are not text and mean the same under both: decimal integers of at most 40 characters,
// decimal fractions, booleans and nulls as both spell them. Any other (0x1F, 1e3, .inf) is refused.
const SAME_UNDER_BOTH = /^(?:[-+]?(?:0|[1-9][0-9]{0,38})|[-+]?(?:0|[1-9][0-9]*)\.[0-9]+|true|True|TRUE|false|False|FALSE|~|null|Null|NULL|)$/;

// What YAML 1.1 (libyaml, which verify reads records with) takes as a line break or refuses, and 1.2 does not:
// NEL, LS and PS break lines only in 1.1; characters outside 1.1's printable set libyaml refuses.
const NOT_READ_ALIKE = /[^\t\n\r\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/u;

function readTwoWays(node, text, path) {
  if (node.type === "QUOTE_DOUBLE" && node.range) { // "\/" is an escape of YAML 1.2 alone; libyaml refuses a
    const raw = text.slice(node.range[0], node.range[1]); // surrogate escaped, which yaml joins into a pair
    for (const escape of raw.matchAll(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/gsu)) {
      const code = /^[uU]/.test(escape[1]) ? parseInt(escape[1].slice(1), 16) : -1;
      if (escape[1] === "/" || (code >= 0xd800 && code <= 0xdfff)) return true;
    }
  }
  // A plain scalar in a flow collection that starts with an indicator ([?x], {?x}, [:x]): libyaml reads an
  // explicit key or refuses it, yaml reads text.
  if (node.type === "PLAIN" && /^[?:-]/.test(String(node.source))
      && path.some((ancestor) => (isMap(ancestor) || isSeq(ancestor)) && ancestor.flow)) return true;
  if (node.type !== "PLAIN") return false;
  const source = String(node.source);
  return typeof node.value === "string" ? YAML11_NOT_STRING.test(source) : !SAME_UNDER_BOTH.test(source);
}

export function yamlProblem(name, bytes, expected) {
  let data;
  try {
    const text = utf8.decode(bytes).replace(/^\uFEFF/, "");
    if (NOT_READ_ALIKE.test(text)) throw new Error("it holds characters YAML 1.1 and 1.2 read differently");
    // Tabs (libyaml refuses them in more places than yaml) and directives (libyaml checks their versions, names and
    // places; yaml less): no record holds either.
    if (/\t|^%/m.test(text)) throw new Error("it holds a tab or a directive, which no record holds");
    const document = parseDocument(text, { uniqueKeys: true, version: "1.2", schema: "core", strict: true,
                                                       prettyErrors: false, merge: false });
    if (document.errors.length) throw new Error(document.errors[0].message);
    let plain = isMap(document.contents);
    visit(document, {
      Node(_, node, path) {
        if (isAlias(node) || node.anchor || node.tag || (isScalar(node) && readTwoWays(node, text, path))) plain = false;
      },
      Pair(_, pair) { if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== "string") plain = false; },
    });
    if (!plain) throw new Error("it is not plain data");
    data = document.toJS();
    if (digest(data) === expected) return null;
  } catch (error) {
    return `the data of ${name} cannot be read as a record's (${error.message})`;
  }
  return `the data of ${name} does not hash to ${expected}`;
}

export const bytesProblem = (name, bytes, expected) => (hex(sha256(bytes)) === expected ? null
  : `${name} does not hash to ${expected}`);
