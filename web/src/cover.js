// The text of the PDF's first page, as far as the page needs it: the strings its content shows (Tj, TJ, ', "),
// through each font's ToUnicode map, with the font the graphics state holds (q and Q save and restore it). verify
// reads the cover with pypdf and looks for the root in it; this page reads less (no form XObjects, no Type3
// fonts), and refuses what it would read otherwise than pypdf (a font set by an ExtGState, an inline image).
import { Lexer, Name, PdfError, PdfString, Stream, isName } from "./pdf.js";

const MAX_CONTENT = 16 << 20;

function toUnicodeMap(cmap) {
  const text = cmap.replace(/%[^\r\n]*/g, ""); // comments are no part of the map (as pypdf reads it)
  const map = new Map();
  const unicode = (digits) => String.fromCharCode(...(digits.match(/.{4}/g) || []).map((unit) => parseInt(unit, 16)));
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, code, value] of block[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>/g)) map.set(parseInt(code, 16), unicode(value));
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, low, high, value] of block[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      const first = parseInt(low, 16);
      const last = Math.min(parseInt(high, 16), first + 0xffff);
      const start = parseInt(value.slice(-4), 16);
      for (let code = first; code <= last; code += 1) map.set(code, unicode(value.slice(0, -4) + (start + code - first).toString(16).padStart(4, "0")));
    }
  }
  return map;
}

async function inherited(pdf, page, key) {
  let node = page;
  for (let depth = 0; node instanceof Map && depth < 32; depth += 1) {
    if (node.has(key)) return pdf.get(node.get(key));
    node = await pdf.get(node.get("Parent"));
  }
  return undefined;
}

async function firstPage(pdf) {
  let node = await pdf.get((await pdf.catalog()).get("Pages"));
  for (let depth = 0; depth < 32; depth += 1) {
    if (!(node instanceof Map)) break;
    if (isName(node.get("Type"), "Page")) {
      if (node.has("Kids")) break; // a page that is also a tree: readers differ on which is the first page
      return node;
    }
    const kids = await pdf.get(node.get("Kids"));
    if (!Array.isArray(kids) || !kids.length) break;
    node = await pdf.get(kids[0]);
  }
  throw new PdfError("it has no first page");
}

export async function coverText(pdf) {
  const page = await firstPage(pdf);
  const resources = await inherited(pdf, page, "Resources");
  const fonts = resources instanceof Map ? await pdf.get(resources.get("Font")) : undefined;
  const maps = new Map();
  if (fonts instanceof Map) {
    for (const [key, value] of fonts) {
      const font = await pdf.get(value);
      const cmap = font instanceof Map ? await pdf.get(font.get("ToUnicode")) : undefined;
      if (cmap instanceof Stream) maps.set(key, toUnicodeMap(new TextDecoder("latin1").decode(await pdf.streamData(cmap, 1 << 20))));
    }
  }
  let contents = await pdf.get(page.get("Contents"));
  contents = Array.isArray(contents) ? contents : [contents];
  const parts = [];
  for (const item of contents) {
    const stream = await pdf.get(item);
    if (stream instanceof Stream) parts.push(await pdf.streamData(stream, MAX_CONTENT), Uint8Array.of(10));
  }
  const data = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  parts.reduce((at, part) => { data.set(part, at); return at + part.length; }, 0);
  const lexer = new Lexer(data);
  const states = await pdf.get(resources instanceof Map ? resources.get("ExtGState") : undefined);
  const operands = [];
  const saved = [];
  let font = null;
  const shown = [];
  const show = (string) => {
    const map = maps.get(font);
    if (map) shown.push(Array.from(string.bytes, (code) => map.get(code) || "").join(""));
  };
  for (;;) {
    lexer.skipSpace();
    if (lexer.pos >= data.length) break;
    const token = lexer.token();
    if (token === "[" || token === "<<") { operands.push(lexer.object(0, token)); continue; }
    if (typeof token !== "string") { operands.push(token); continue; }
    if (token === "BI") throw new PdfError("its cover holds an inline image, which this archive never writes");
    if (token === "q") saved.push(font);
    if (token === "Q") font = saved.length ? saved.pop() : null;
    if (token === "gs") {
      const state = states instanceof Map ? await pdf.get(states.get(operands[operands.length - 1]?.name)) : undefined;
      if (state instanceof Map && state.has("Font")) throw new PdfError("its cover sets a font through a graphics state");
    }
    if (token === "Tf" && operands.length >= 2 && operands[operands.length - 2] instanceof Name) font = operands[operands.length - 2].name;
    if (["Tj", "'", '"'].includes(token) && operands[operands.length - 1] instanceof PdfString) show(operands[operands.length - 1]);
    if (token === "TJ" && Array.isArray(operands[operands.length - 1])) {
      for (const item of operands[operands.length - 1]) if (item instanceof PdfString) show(item);
    }
    operands.length = 0;
  }
  return shown.join("\n");
}
