// The archive's signed PDF, judged as `appeal-archive verify FILE.pdf` judges it, for the files this page can
// judge whole: one CAdES signature (PAdES B-B) covering every byte but its own value. A file with bytes after its
// signed revision (validation data, document time stamps, any update) is "not-judged": verify's allow-list of
// updates is not ported here. What the signature covers is then read as verify reads it: the attached manifest
// and the root its entries give, every attachment against it, the root in the XMP metadata and on the cover.
import * as asn1js from "asn1js";
import { judgeSignature } from "./cades.js";
import { coverText } from "./cover.js";
import { hex, sha256 } from "./hashing.js";
import { NotJudged, readManifest, plainDocumentName } from "./manifest.js";
import { Lexer, Pdf, PdfError, PdfString, Ref, Stream, isName, textOf } from "./pdf.js";
import { bytesProblem, yamlProblem } from "./records.js";
import { conclude, failed, newVerdict, notJudged, notJudgedError } from "./verdict.js";
import { zipMembers } from "./zip.js";

const MANIFEST = "manifest.json";
const CONFIG = "records/archive.yaml";
const VERIFIER_PAGE = "verify.html"; // a signed build attaches the page; its SHA-256 is on the cover
const ZIPS = { "records.zip": "records/", "canonical.zip": "canonical/" };
const LIMITS = { manifest: 64 << 20, zip: 128 << 20, document: 512 << 20, member: 1_000_000, metadata: 1 << 20,
                 verifier: 4 << 20 };
const MAX_LOOSE_BYTES = 64 << 20;
const FIELD_KEYS = new Set(["FT", "T", "TU", "Type", "Subtype", "F", "Rect", "P", "V"]);
const SIGNATURE_KEYS = new Set(["Type", "Filter", "SubFilter", "Contents", "ByteRange", "M", "Reason", "Name",
                                "Location", "ContactInfo", "Prop_Build"]);
const DC = "http://purl.org/dc/elements/1.1/";
const RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

const recordFile = (path) => `records/${path}`;
const canonicalFile = (path) => `canonical/${path.replace(/\.yaml$/, "")}.json`;
const isDocument = (name) => name.startsWith("records/sources/") && !name.endsWith(".yaml");
const limitOf = (name) => (name === MANIFEST ? LIMITS.manifest : name in ZIPS ? LIMITS.zip
  : name === VERIFIER_PAGE ? LIMITS.verifier : isDocument(name) ? LIMITS.document : LIMITS.member);

// --- the signature ----------------------------------------------------------------------------------------------

// Each object of a tree is visited once: one reached twice (a tree that shares its nodes, which can make a walk
// of a few kilobytes take forever) is refused.
function visitOnce(seen, item) {
  if (!(item instanceof Ref)) return;
  if (seen.has(item.num)) throw new PdfError("a tree of the file reaches one of its nodes twice");
  seen.add(item.num);
}

async function signatureFields(pdf) {
  const form = await pdf.get((await pdf.catalog()).get("AcroForm"));
  const found = [];
  const seen = new Set();
  const walk = async (items, type, depth) => {
    if (!Array.isArray(items) || depth > 8) return;
    for (const item of items) {
      visitOnce(seen, item);
      const field = await pdf.get(item);
      if (!(field instanceof Map) || found.length > 16) continue;
      const fieldType = field.get("FT") || type;
      if (isName(fieldType, "Sig") && field.has("V")) found.push(field);
      await walk(await pdf.get(field.get("Kids")), fieldType, depth + 1);
    }
  };
  if (form instanceof Map) await walk(await pdf.get(form.get("Fields")), undefined, 0);
  return found;
}

// {signed, der, claimed} of the one signature covering the whole file; or a verdict when there is none such.
async function wholeFileSignature(pdf, bytes) {
  const fields = await signatureFields(pdf);
  if (fields.length === 0) return failed(newVerdict(), "integrity", "The file carries no signature.");
  if (fields.length > 1) {
    return notJudged("The file carries more than one signature or time stamp, which this page does not judge: run "
      + "`appeal-archive verify` on it.");
  }
  const signature = await pdf.get(fields[0].get("V"));
  // Only what a build writes into the field and the signature: pyHanko's validation also reads seed values,
  // locks and transforms, and refuses what it cannot read there.
  if ([...fields[0].keys()].some((key) => !FIELD_KEYS.has(key)) || (await pdf.catalog()).has("Perms")
      || !(signature instanceof Map) || [...signature.keys()].some((key) => !SIGNATURE_KEYS.has(key))) {
    return notJudged("The file's signature field or dictionary holds entries this page does not judge: run "
      + "`appeal-archive verify` on it.");
  }
  if (!isName(signature.get("SubFilter"), "ETSI.CAdES.detached")
      || (signature.has("Type") && !isName(signature.get("Type"), "Sig"))) {
    return notJudged("The file's signature is not the PAdES signature this page judges: run `appeal-archive verify` on it.");
  }
  const range = await pdf.get(signature.get("ByteRange"));
  const contents = signature.get("Contents");
  if (!Array.isArray(range) || range.length !== 4 || !range.every((n) => Number.isSafeInteger(n) && n >= 0)
      || !(contents instanceof PdfString) || contents.start === undefined) {
    return failed(newVerdict(), "integrity", "The signature does not say which bytes it covers.");
  }
  const [start, first, second, length] = range;
  if (second + length !== bytes.length) {
    return notJudged("The file holds bytes after its signed revision (validation data, document time stamps or "
      + "changes), which this page does not judge: run `appeal-archive verify` on it.");
  }
  // The one gap the signature leaves must be exactly its own value, as the file holds it (not a copy of the
  // signature dictionary read from elsewhere, such as an object stream, beside a gap of anything).
  const gap = second > first ? new Lexer(bytes, first, second).token() : null;
  const raw = bytes.subarray(first, second);
  const plainHex = raw.length >= 2 && raw.length % 2 === 0 && raw[0] === 60 && raw[raw.length - 1] === 62
    && raw.subarray(1, -1).every((byte) => (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70) || (byte >= 97 && byte <= 102));
  if (start !== 0 || contents.start !== first || contents.end !== second || !plainHex || !(gap instanceof PdfString)
      || gap.start !== first || gap.end !== second || gap.bytes.length !== contents.bytes.length
      || gap.bytes.some((byte, i) => byte !== contents.bytes[i])) {
    return failed(newVerdict(), "integrity", "The signature does not cover the whole file but its own value.");
  }
  const der = contents.bytes;
  const total = der.length && der[0] === 0x30 ? asn1js.fromBER(der.slice().buffer).offset : -1; // where its DER ends
  if (total <= 0 || total > der.length || der.subarray(total).some((byte) => byte !== 0)) {
    return failed(newVerdict(), "integrity", "The signature's space holds something other than the signature and zeros.");
  }
  const signedBytes = new Uint8Array(first + length);
  signedBytes.set(bytes.subarray(0, first));
  signedBytes.set(bytes.subarray(second), first);
  const claimed = signature.has("M") ? pdfDate(signature.get("M")) : null;
  if (claimed === undefined) return failed(newVerdict(), "integrity", "The signature's time (/M) is not a date.");
  return { signed: signedBytes, der: der.subarray(0, total), claimed };
}

// --- what the signature covers -----------------------------------------------------------------------------

async function attachments(pdf) {
  const names = await pdf.get((await pdf.catalog()).get("Names"));
  const tree = names instanceof Map ? await pdf.get(names.get("EmbeddedFiles")) : undefined;
  const found = new Map();
  const seen = new Set();
  const walk = async (node, depth) => {
    if (!(node instanceof Map) || depth > 16 || (node.has("Names") && node.has("Kids"))) {
      throw new PdfError("a damaged list of attachments"); // (readers differ on a node with both)
    }
    const pairs = await pdf.get(node.get("Names"));
    if (Array.isArray(pairs)) {
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const name = textOf(await pdf.get(pairs[i]));
        if (found.has(name)) throw new PdfError(`the attachment ${name} is listed twice`);
        found.set(name, pairs[i + 1]);
      }
    }
    const kids = await pdf.get(node.get("Kids"));
    if (Array.isArray(kids)) {
      for (const kid of kids) {
        visitOnce(seen, kid);
        await walk(await pdf.get(kid), depth + 1);
      }
    }
  };
  if (tree !== undefined) await walk(tree, 0);
  return found;
}

async function attachmentBytes(pdf, spec, name) {
  const fileSpec = await pdf.get(spec);
  const embedded = fileSpec instanceof Map ? await pdf.get(fileSpec.get("EF")) : undefined;
  // /F and /UF must name one and the same file: readers take one or the other.
  const only = embedded instanceof Map ? embedded.get("F") : undefined;
  if (!(only instanceof Ref) || [...embedded].some(([key, value]) => !["F", "UF"].includes(key)
      || !(value instanceof Ref) || value.num !== only.num || value.gen !== only.gen)) {
    throw new PdfError(`the attachment ${name} does not hold one file`);
  }
  const stream = await pdf.get(only);
  if (!(stream instanceof Stream)) throw new PdfError(`the attachment ${name} holds no file`);
  return pdf.streamData(stream, limitOf(name));
}

// The root the XMP states, read only where and as every reader reads it: dc:source as an attribute or a child of
// text alone of an rdf:Description of the one rdf:RDF; any dc:source elsewhere or in another form is refused.
function xmpFacts(bytes) {
  // (A build writes no XML declaration; one naming an encoding makes pikepdf read no metadata at all.)
  if (/<\?xml[\s?]/.test(new TextDecoder("latin1").decode(bytes))) throw new PdfError("its XMP metadata has an XML declaration");
  const xml = new DOMParser().parseFromString(new TextDecoder("utf-8", { fatal: true }).decode(bytes), "application/xml");
  if (xml.getElementsByTagName("parsererror").length || xml.doctype) throw new PdfError("its XMP metadata is not plain XML");
  const roots = xml.getElementsByTagNameNS(RDF, "RDF");
  if (roots.length !== 1) throw new PdfError("its XMP metadata has not one rdf:RDF");
  const sources = [];
  let elements = 0;
  for (const description of roots[0].children) {
    if (description.namespaceURI !== RDF || description.localName !== "Description") continue;
    if (description.hasAttributeNS(DC, "source")) sources.push(description.getAttributeNS(DC, "source"));
    for (const child of description.children) {
      if (child.namespaceURI !== DC || child.localName !== "source") continue;
      elements += 1;
      if (![...child.childNodes].every((node) => node.nodeType === 3)) throw new PdfError("its XMP states the root in a form readers differ on");
      sources.push(child.textContent);
    }
  }
  if (xml.getElementsByTagNameNS(DC, "source").length !== elements) throw new PdfError("its XMP states a root outside its description");
  const relations = Array.from(xml.getElementsByTagNameNS(DC, "relation"), (element) => element.textContent);
  return { sources, extends: relations.some((text) => text.includes("extends-")) };
}

async function contentProblems(pdf, problems) {
  const specs = await attachments(pdf);
  if (!specs.has(MANIFEST)) return { problem: `the file has no ${MANIFEST} attachment` };
  let read;
  try {
    read = readManifest(await attachmentBytes(pdf, specs.get(MANIFEST), MANIFEST));
  } catch (error) {
    if (error instanceof NotJudged || error instanceof PdfError) throw error;
    return { problem: `the attached manifest is not one appeal-archive wrote: ${error.message}` };
  }
  const { manifest, recomputed } = read;
  if (recomputed !== manifest.root) problems.push(`the manifest's entries give the root ${recomputed}, not the stated ${manifest.root}`);
  const documents = new Map(manifest.source_documents.map((entry) => [recordFile(entry.path), entry.sha256]));
  const loose = new Map();
  let kept = 0;
  const seen = new Set([MANIFEST]);
  for (const [name, spec] of specs) {
    if (name === MANIFEST || name in ZIPS) continue;
    const content = await attachmentBytes(pdf, spec, name);
    if (documents.has(name) || isDocument(name)) {
      seen.add(name);
      if (!documents.has(name)) problems.push(`the attachment ${name} is not in the manifest`);
      else if (hex(sha256(content)) !== documents.get(name)) problems.push(`${name} does not hash to ${documents.get(name)}`);
      continue;
    }
    kept += content.length;
    if (kept > MAX_LOOSE_BYTES) throw new PdfError("the loose attachments hold more than a record set's");
    loose.set(name, content);
  }
  const zipped = Object.keys(ZIPS).some((name) => specs.has(name));
  for (const [index, entry] of (zipped ? [] : manifest.records).entries()) {
    for (const [name, check] of [[recordFile(entry.path), yamlProblem], [canonicalFile(entry.path), bytesProblem]]) {
      const content = loose.get(name);
      loose.delete(name);
      seen.add(name);
      if (content === undefined) problems.push(`${name} is missing from the PDF`);
      else { const problem = check(name, content, entry.sha256); if (problem) problems.push(problem); }
    }
    if (index % 2000 === 1999) await new Promise((resolve) => { setTimeout(resolve, 0); });
  }
  if (zipped) {
    for (const [zipName, folder] of Object.entries(ZIPS)) {
      if (!specs.has(zipName)) { problems.push(`${zipName} is missing from the PDF`); continue; }
      const members = zipMembers(zipName, folder, await attachmentBytes(pdf, specs.get(zipName), zipName), problems);
      const isYaml = folder === "records/";
      for (const [index, entry] of manifest.records.entries()) {
        const name = isYaml ? recordFile(entry.path) : canonicalFile(entry.path);
        const content = members.get(name);
        members.delete(name);
        if (content === undefined) problems.push(`${name} is missing from the PDF`);
        else { const problem = (isYaml ? yamlProblem : bytesProblem)(name, content, entry.sha256); if (problem) problems.push(problem); }
        if (index % 2000 === 1999) await new Promise((resolve) => { setTimeout(resolve, 0); });
      }
      if (isYaml && members.has(CONFIG)) { loose.set(CONFIG, members.get(CONFIG)); members.delete(CONFIG); }
      for (const name of members.keys()) problems.push(`the member ${name} of ${zipName} is not in the manifest`);
    }
  }
  for (const name of loose.keys()) if (name !== CONFIG && name !== VERIFIER_PAGE) problems.push(`the attachment ${name} is not in the manifest`);
  for (const name of [CONFIG, ...documents.keys()]) {
    if (!loose.has(name) && !seen.has(name)) problems.push(`${name} is missing from the PDF`);
  }
  const catalog = await pdf.catalog();
  const metadata = await pdf.get(catalog.get("Metadata"));
  if (!(metadata instanceof Stream)) problems.push("the file has no XMP metadata");
  else {
    const facts = xmpFacts(await pdf.streamData(metadata, LIMITS.metadata));
    if (facts.extends) problems.push("the metadata names an edition this one extends, which its manifest does not");
    if (facts.sources.length !== 1 || facts.sources[0] !== `sha256:${manifest.root}`) {
      problems.push(`the metadata does not state the root ${manifest.root} the attachments give`);
    } else {
      const cover = (await coverText(pdf)).replace(/\s+/g, "");
      if (!cover.includes(manifest.root)) problems.push(`the cover does not show the root ${manifest.root} the attachments give`);
      const page = loose.get(VERIFIER_PAGE);
      if (page ? !cover.includes(hex(sha256(page))) : cover.includes(VERIFIER_PAGE)) {
        problems.push(`the cover does not show the SHA-256 of the ${VERIFIER_PAGE} the file carries, or names one it does not carry`);
      }
    }
  }
  return { manifest, count: specs.size };
}

export async function judgePdf(bytes, anchors, anchorName) {
  let pdf;
  let located;
  try {
    if (latinHead(bytes) !== "%PDF-") return failed(newVerdict(), "integrity", "The file is not a PDF.");
    pdf = await Pdf.open(bytes);
    located = await wholeFileSignature(pdf, bytes);
  } catch (error) {
    if (error instanceof PdfError) return notJudgedError(error, "file's structure");
    throw error;
  }
  if (located.verdict) return located;
  const verdict = newVerdict();
  const signature = await judgeSignature(located.signed, located.der, anchors);
  if (signature.problem) return failed(verdict, "integrity", `The signature is not a PAdES signature as appeal-archive makes: ${signature.problem}.`);
  signature.anchorName = anchorName;
  signature.claimedTime = signature.claimedTime || located.claimed;
  const problems = [];
  if (signature.holds) {
    verdict.parts.integrity.said.push("The signature is intact and covers every byte of the file but its own value.");
    try {
      const { problem, manifest, count } = await contentProblems(pdf, problems);
      if (problem) problems.push(problem);
      else {
        verdict.root = manifest.root;
        verdict.treeSize = manifest.tree_size;
        if (!problems.length) {
          verdict.parts.integrity.said.push(`All ${count} attachments re-hash to the manifest, whose entries give the root ${manifest.root}, as the metadata and the cover state.`);
          verdict.parts.completeness.ok = true;
          const plural = (number, noun) => `${number.toLocaleString("en")} ${noun}${number === 1 ? "" : "s"}`;
          verdict.parts.completeness.said.push(`The manifest accounts for ${plural(manifest.tree_size, "leaf")
            .replace("leafs", "leaves")} (${plural(manifest.records.length, "record")}, ${plural(manifest.source_documents.length,
            "source document")}, ${manifest.withheld.length.toLocaleString("en")} withheld): the ${manifest.edition} edition.`);
        }
      }
    } catch (error) {
      if (error instanceof NotJudged) return notJudgedError(error, "PDF");
      if (!(error instanceof PdfError)) throw error;
      problems.push(error.message);
    }
  } else {
    verdict.parts.integrity.said.push("The signature does not hold for this file: the file or its signature was altered.");
  }
  for (const problem of problems.slice(0, 20)) verdict.parts.integrity.said.push(`${problem[0].toUpperCase()}${problem.slice(1)}.`);
  if (problems.length > 20) verdict.parts.integrity.said.push(`… and ${problems.length - 20} more problems.`);
  return conclude(verdict, signature, problems.length === 0, "PDF");
}

function pdfDate(value) { // D:YYYYMMDDHHmmSS with Z or an offset, as ISO 8601; undefined when it is not one
  let text;
  try {
    text = textOf(value);
  } catch (error) {
    return undefined;
  }
  const found = /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'?\d{2}'?)?$/.exec(text);
  if (!found || !(found[2] >= "01" && found[2] <= "12" && found[3] >= "01" && found[3] <= "31" && found[4] <= "23"
      && found[5] <= "59" && found[6] <= "59")) return undefined;
  const zone = !found[7] || found[7] === "Z" ? "Z" : `${found[7].slice(0, 3)}:${found[7].replace(/'/g, "").slice(3, 5)}`;
  return `${found[1]}-${found[2]}-${found[3]}T${found[4]}:${found[5]}:${found[6]}${zone}`;
}

const latinHead = (bytes) => String.fromCharCode(...bytes.subarray(0, 5));
