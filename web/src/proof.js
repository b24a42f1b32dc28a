// An inclusion proof `appeal-archive prove` wrote, against the signed file it was made from (verify/proof.py):
// the file is judged first; the proof then counts only if its record gives its entry's hash and its audit path
// leads from the entry's leaf to the root that file signs.
import { digest, fromHex, hex, isHash, leafHash, readAlike, rootFromInclusion } from "./hashing.js";
import { TYPES } from "./manifest.js";
import { notJudged } from "./verdict.js";

const FORMAT = "appeal-archive/inclusion-proof/1";
const MAX_PROOF_BYTES = 2_000_000;
const KEYS = "audit_path,entry,format,leaf_index,record,root,tree_size";
const ENTRY_KEYS = "id,kind,path,salt,sha256,type";

// The proof as JSON; it must be in the form `prove` writes it (indented by one space, formProblem): a proof
// reformatted, or holding a repeated key, is refused rather than read one way here and another there.
function readProof(bytes) {
  if (bytes.length > MAX_PROOF_BYTES) throw new Error("it is larger than any proof");
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  return { proof: readAlike(JSON.parse(text)), text };
}

function formProblem(proof, text) {
  return `${JSON.stringify(proof, null, 1)}\n` === text ? null : "it is not in the form `appeal-archive prove` writes";
}

function proofProblem(proof) {
  if (proof === null || typeof proof !== "object" || proof.format !== FORMAT || Object.keys(proof).sort().join() !== KEYS) {
    return `it is not an inclusion proof (${FORMAT})`;
  }
  const { entry } = proof;
  if (entry === null || typeof entry !== "object" || Object.keys(entry).sort().join() !== ENTRY_KEYS
      || !Object.values(entry).every((value) => typeof value === "string")) return "its entry is not a record's salted entry";
  if (!Number.isSafeInteger(proof.leaf_index) || !Number.isSafeInteger(proof.tree_size)) return "its leaf_index and tree_size are not numbers";
  if (!Array.isArray(proof.audit_path) || !proof.audit_path.every(isHash)) return "its audit_path is not a list of SHA-256 hashes";
  const { record } = proof;
  if (record === null || typeof record !== "object" || Array.isArray(record)) return "its record is not a record's data";
  if (digest(record) !== entry.sha256) return "its record does not give the SHA-256 its entry states (the record was changed)";
  const folder = entry.path.split("/")[0];
  if (entry.kind !== "record" || record.id !== entry.id || record.type !== entry.type || !Object.hasOwn(TYPES, folder)
      || TYPES[folder] !== entry.type || entry.path !== `${folder}/${entry.id}.yaml`) {
    return "its record's id, type and path are not its entry's";
  }
  return null;
}

// The signed file's verdict (verdict.js), with the proof's judgement added to its integrity part.
export function judgeProof(bytes, proofName, signed, signedName) {
  const said = signed.parts.integrity.said;
  if (signed.verdict !== "verified") {
    said.push("The proof is not judged: the signed file it refers to is not verified.");
    return signed;
  }
  let problem;
  let proof;
  try {
    let text;
    ({ proof, text } = readProof(bytes));
    if (proof === null || typeof proof !== "object" || proof.format !== FORMAT) {
      return notJudged(`${proofName} is not an inclusion proof (${FORMAT}): give the signed file alone, or with a `
        + "proof `appeal-archive prove` wrote.");
    }
    problem = formProblem(proof, text) || proofProblem(proof);
  } catch (error) {
    problem = `it is not a proof appeal-archive wrote (${error.message})`;
  }
  if (!problem) {
    const reached = rootFromInclusion(proof.leaf_index, proof.tree_size, leafHash(proof.entry), proof.audit_path.map(fromHex));
    if (reached === null || hex(reached) !== signed.root || proof.root !== signed.root || proof.tree_size !== signed.treeSize) {
      problem = `its audit path does not lead from the record's leaf to the root ${signedName} signs`;
    }
  }
  if (problem) {
    signed.verdict = "failed";
    signed.parts.integrity.ok = false;
    said.push(`The proof fails: ${problem}.`);
  } else {
    said.push(`The proof holds: ${proof.entry.path} is leaf ${proof.leaf_index} of ${proof.tree_size}; its audit path of `
      + `${proof.audit_path.length} hashes leads to the signed root.`);
  }
  return signed;
}
