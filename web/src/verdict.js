// A verdict in the four parts `appeal-archive verify` reports (integrity, signer, time, completeness), and how the
// page sums them up: verified, failed, untrusted (intact, but not by a certificate of the trusted authority), or
// not-judged (what this page cannot judge; the command that can is named).
import { NotJudged } from "./manifest.js";

export const PART_NAMES = ["integrity", "signer", "time", "completeness"];

export function newVerdict() {
  return { verdict: "failed", root: null, treeSize: null, signer: null,
           parts: Object.fromEntries(PART_NAMES.map((name) => [name, { ok: null, said: [] }])) };
}

export function notJudged(why) {
  const verdict = newVerdict();
  verdict.verdict = "not-judged";
  verdict.parts.integrity.said.push(why);
  return verdict;
}

export const notJudgedError = (error, what) => notJudged(`This page does not judge this ${what} (${error.message}): run `
  + "`appeal-archive verify` on it.");

export function failed(verdict, part, why) {
  verdict.parts[part].ok = false;
  verdict.parts[part].said.push(why);
  verdict.verdict = "failed";
  return verdict;
}

// The signature's judgement (cades.js) into the signer and time parts, and the verdict from all four parts.
export function conclude(verdict, signature, intact, what) {
  if (signature.signer) {
    verdict.signer = signature.signer;
    verdict.parts.signer.said.push(`Signed by ${signature.signer.name} (certificate SHA-256 ${signature.signer.fingerprint}).`);
  }
  verdict.parts.signer.ok = signature.holds && signature.chains;
  verdict.parts.signer.said.push(signature.chains ? `The signer's certificate chains to ${signature.anchorName}.`
    : signature.distrust ? `The signer's certificate is not one verify trusts: ${signature.distrust}.`
      : `The signer's certificate does not chain to ${signature.anchorName}, or not within its validity.`);
  verdict.parts.time.said.push(signature.claimedTime
    ? `The signer claims it signed at ${signature.claimedTime}: a claim, which no time stamp proves.`
    : "The signature states no time, and no time stamp proves one.");
  verdict.parts.integrity.ok = intact && signature.holds;
  if (!verdict.parts.integrity.ok) verdict.verdict = "failed";
  else if (signature.stamped) {
    verdict.parts.time.said.push(`The signature carries a time stamp, which this page cannot judge: run \`appeal-archive verify\` on the ${what} for the full verdict.`);
    verdict.verdict = "not-judged";
  } else if (!verdict.parts.signer.ok) verdict.verdict = "untrusted";
  else verdict.verdict = "verified"; // (its time stays unproven, as `verify` reports a signature without time stamp)
  return verdict;
}

export { NotJudged };
