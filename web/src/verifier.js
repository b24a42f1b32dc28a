// The site's verifier (site/verify.html): the files a reader drops are judged in the page, offline, never more
// kindly than `appeal-archive verify`: the signed PDF (archivepdf.js), the JSON-LD bundle with its .p7s
// (bundle.js), either with an inclusion proof (proof.js). What it cannot judge (a bag, a PDF with bytes after
// its signed revision, a time-stamped signature, an edition extending another) gets "not-judged", naming the
// command that can. The trust anchor is the custodian's CA the page carries, or one the reader gives; a reader
// may also pin the anchor's SHA-256 fingerprint.
// Libraries, not hand-made: pkijs (CMS and certificate paths), canonicalize (RFC 8785), @noble/hashes (SHA-256),
// yaml (YAML 1.2).
import { judgePdf } from "./archivepdf.js";
import { judgeBundle } from "./bundle.js";
import { certificatesFrom, fingerprint, subjectName } from "./cades.js";
import { judgeProof } from "./proof.js";
import { PART_NAMES, newVerdict, notJudged } from "./verdict.js";

const MAX_BYTES = 256 * 1024 * 1024;
const BAG_FILES = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
                   "tagmanifest-sha512.txt"];

// --- the page ----------------------------------------------------------------------------------------------------

const WORDS = {
  verified: "Verified: intact, signed by the custodian, and its records give the root below.",
  failed: "Failed: what you gave is not intact.",
  untrusted: "Intact, but its signer is not one this page can trust (see signer below).",
  "not-judged": "Not judged by this page: run the command named below.",
};

function show(verdict) {
  const status = document.getElementById("verdict");
  const lines = [WORDS[verdict.verdict]];
  if (verdict.root) lines.push(`Root: ${verdict.root}`);
  for (const name of PART_NAMES) {
    const part = verdict.parts[name];
    const state = part.ok === true ? "ok" : part.ok === false ? "FAILED" : "not judged";
    lines.push(`${name}: ${state}. ${part.said.join(" ")}`);
  }
  status.textContent = "";
  for (const line of lines) {
    const paragraph = document.createElement("p");
    paragraph.textContent = line;
    status.appendChild(paragraph);
  }
  status.dataset.verdict = verdict.verdict;
}

const bytesOf = async (file) => new Uint8Array(await file.arrayBuffer());

// The certificate authority to trust: the one the reader gives, else the custodian's the page carries; with the
// fingerprint a reader pinned, which it must have. {anchors, name} or a verdict when the pin does not match.
async function trustAnchor() {
  const given = document.getElementById("anchor").files[0];
  let anchors;
  if (given) {
    const bytes = await bytesOf(given);
    const text = Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""); // each byte as one character
    anchors = text.includes("-----BEGIN CERTIFICATE-----") ? certificatesFrom(text)
      : certificatesFrom(`-----BEGIN CERTIFICATE-----\n${btoa(text)}\n-----END CERTIFICATE-----`);
    if (anchors.length !== 1) throw new Error("the certificate file you gave does not hold exactly one certificate");
  } else {
    anchors = certificatesFrom(document.getElementById("anchors").textContent);
  }
  const pinned = document.getElementById("pin").value.replace(/[\s:]/g, "").toLowerCase();
  const own = fingerprint(anchors[0]);
  const name = `${given ? "the authority you gave" : "the custodian's authority this page carries"}, ${subjectName(anchors[0])} (SHA-256 ${own})`;
  if (pinned && pinned !== own) {
    const verdict = newVerdict();
    verdict.verdict = "untrusted";
    verdict.parts.signer.ok = false;
    verdict.parts.signer.said.push(`The fingerprint you pinned, ${pinned}, is not that of ${name}: nothing was trusted.`);
    return { verdict };
  }
  return { anchors, name };
}

async function judgeFiles(files) {
  const list = Array.from(files);
  if (list.some((file) => file.size > MAX_BYTES)) {
    return notJudged(`A file is larger than this page judges (${MAX_BYTES / 1024 / 1024} MB): run \`appeal-archive verify\`.`);
  }
  const named = (test) => list.filter((file) => test(file.name.toLowerCase()));
  if (named((name) => BAG_FILES.includes(name)).length) {
    return notJudged("These are a bag's files: this page does not judge a bag. Run `appeal-archive verify BAG-FOLDER`, "
      + "or give the signed PDF inside it (in data/) on its own.");
  }
  const pdfs = named((name) => name.endsWith(".pdf"));
  const bundles = named((name) => name.endsWith(".jsonld"));
  const signatures = named((name) => name.endsWith(".jsonld.p7s"));
  const proofs = named((name) => name.endsWith(".json"));
  const signedCount = pdfs.length + bundles.length;
  if (signedCount !== 1 || signatures.length !== bundles.length || proofs.length > 1
      || pdfs.length + bundles.length + signatures.length + proofs.length !== list.length) {
    return notJudged("This page judges one signed file at a time: the archive's PDF, or its JSON-LD bundle (.jsonld) "
      + "together with its signature (.jsonld.p7s); either may come with one inclusion proof (.json) that "
      + "`appeal-archive prove` wrote. For anything else, run `appeal-archive verify FILE`.");
  }
  const trust = await trustAnchor();
  if (trust.verdict) return trust.verdict;
  const signed = pdfs.length ? await judgePdf(await bytesOf(pdfs[0]), trust.anchors, trust.name)
    : await judgeBundle(await bytesOf(bundles[0]), await bytesOf(signatures[0]), trust.anchors, trust.name);
  if (!proofs.length) return signed;
  return judgeProof(await bytesOf(proofs[0]), proofs[0].name, signed, (pdfs[0] || bundles[0]).name);
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
