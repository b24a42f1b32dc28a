// A record's two attached forms against its manifest entry (verify/attachments.py): the data of its YAML and the
// bytes of its canonical JSON must both give the entry's SHA-256. The YAML is read under the YAML 1.2 core schema
// and refused where appeal-archive's loader would not read it as plain data (aliases, anchors, tags, repeated or
// non-text keys), so that no YAML reads one way here and another in `verify`.
import { parseDocument, visit, isAlias, isPair, isScalar, isMap } from "yaml";
import { digest, hex, sha256 } from "./hashing.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function yamlProblem(name, bytes, expected) {
  let data;
  try {
    const document = parseDocument(utf8.decode(bytes), { uniqueKeys: true, version: "1.2", schema: "core", strict: true,
                                                       prettyErrors: false, merge: false });
    if (document.errors.length) throw new Error(document.errors[0].message);
    let plain = isMap(document.contents);
    visit(document, {
      Node(_, node) { if (isAlias(node) || node.anchor || node.tag) plain = false; },
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
