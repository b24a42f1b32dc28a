// A lean PDF reader for the verifier page: cross-reference tables and streams (with /Prev), object streams,
// FlateDecode through the browser's DecompressionStream, within limits. It reads only what the page checks, and
// only files whose every byte but the signature value the signature covers (signature.js decides that first),
// so what it reads is what the custodian signed. Anything it does not understand throws PdfError: the page then
// refuses, never guesses.

export class PdfError extends Error {}

export class Name { constructor(name) { this.name = name; } }
export class Ref { constructor(num, gen) { this.num = num; this.gen = gen; } }
export class PdfString { constructor(bytes, start, end) { this.bytes = bytes; this.start = start; this.end = end; } }
export class Stream { constructor(dict, start, length) { this.dict = dict; this.start = start; this.length = length; } }
// A number written with a decimal point: never an integer, whatever its value (pyHanko keeps 585.0 a decimal, which
// no offset, length or count may be).
export class Real { constructor(value) { this.value = value; } }

const MAX_DEPTH = 64;
const REFERENCE = /^(\d+)[ \t\n\r\f]+(\d+)[ \t\n\r\f]+R(?![^\0\t\n\f\r ()<>[\]{}/%])/;
const MAX_SECTIONS = 64;
const SPACE = new Set([0, 9, 10, 12, 13, 32]);
const DELIMITER = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));
const latin = (bytes) => String.fromCharCode(...bytes);

export const isName = (value, name) => value instanceof Name && (name === undefined || value.name === name);

// --- tokens and objects ------------------------------------------------------------------------------------------

export class Lexer {
  constructor(bytes, position = 0, end = bytes.length) { this.bytes = bytes; this.pos = position; this.end = end; }

  skipSpace() {
    const { bytes } = this;
    while (this.pos < this.end) {
      const byte = bytes[this.pos];
      if (SPACE.has(byte)) this.pos += 1;
      else if (byte === 37) { // % comment to the end of the line
        while (this.pos < this.end && bytes[this.pos] !== 10 && bytes[this.pos] !== 13) this.pos += 1;
      } else break;
    }
  }

  // The next token: a number, Real, Name, PdfString, a delimiter ("[", "]", "<<", ">>", "{", "}") or a keyword
  // string; `start` is where it starts.
  token() {
    this.skipSpace();
    this.start = this.pos;
    if (this.pos >= this.end) throw new PdfError("the file ends in the middle of an object");
    const { bytes } = this;
    const byte = bytes[this.pos];
    if (byte === 47) return new Name(this.regular(this.pos + 1, true));
    if (byte === 40) return this.literal();
    if (byte === 60) {
      if (bytes[this.pos + 1] === 60) { this.pos += 2; return "<<"; }
      return this.hexString();
    }
    if (byte === 62) {
      if (bytes[this.pos + 1] !== 62) throw new PdfError("a stray '>'");
      this.pos += 2; return ">>";
    }
    if (byte === 91 || byte === 93 || byte === 123 || byte === 125) { this.pos += 1; return String.fromCharCode(byte); }
    if (byte === 41) throw new PdfError("a stray ')'");
    const word = this.regular(this.pos, false);
    if (/^[+-]?\d+$/.test(word)) return Number(word);
    if (/^[+-]?(?:\d+\.\d*|\.\d+)$/.test(word)) return new Real(Number(word));
    if (word === "") throw new PdfError("an unreadable byte");
    return word;
  }

  regular(start, isName) {
    let at = start;
    while (at < this.end && !SPACE.has(this.bytes[at]) && !DELIMITER.has(this.bytes[at])) at += 1;
    const raw = latin(this.bytes.subarray(start, at));
    this.pos = at;
    if (!isName) return raw;
    if (/[^\x21-\x7e]/.test(raw)) throw new PdfError("a name with bytes that must be escaped"); // (pyHanko refuses it)
    if (/#(?![0-9A-Fa-f]{2})/.test(raw)) throw new PdfError("a name with a malformed # escape");
    return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, code) => String.fromCharCode(parseInt(code, 16)));
  }

  literal() {
    const { bytes } = this;
    const out = [];
    let depth = 1;
    this.pos += 1;
    while (this.pos < this.end) {
      let byte = bytes[this.pos++];
      if (byte === 92) {
        byte = bytes[this.pos++];
        const simple = { 110: 10, 114: 13, 116: 9, 98: 8, 102: 12, 40: 40, 41: 41, 92: 92 }[byte];
        if (simple !== undefined) out.push(simple);
        else if (byte >= 48 && byte <= 55) {
          let code = byte - 48;
          for (let i = 0; i < 2 && bytes[this.pos] >= 48 && bytes[this.pos] <= 55; i += 1) code = code * 8 + bytes[this.pos++] - 48;
          out.push(code & 0xff);
        } else if (byte === 13) { if (bytes[this.pos] === 10) this.pos += 1; } else if (byte !== 10) {
          throw new PdfError("a string with an escape readers read differently"); // (pyHanko refuses it)
        }
        continue;
      }
      if (byte === 40) depth += 1;
      if (byte === 41 && --depth === 0) return new PdfString(Uint8Array.from(out));
      out.push(byte);
    }
    throw new PdfError("a string that never ends");
  }

  hexString() {
    const start = this.pos;
    const close = this.bytes.indexOf(62, start);
    if (close < 0 || close >= this.end) throw new PdfError("a hexadecimal string that never ends");
    const digits = latin(this.bytes.subarray(start + 1, close)).replace(/[\0\t\n\f\r ]/g, "");
    if (!/^[0-9A-Fa-f]*$/.test(digits)) throw new PdfError("a hexadecimal string with other characters");
    const padded = digits.length % 2 ? `${digits}0` : digits;
    this.pos = close + 1;
    return new PdfString(Uint8Array.from(padded.match(/../g) || [], (pair) => parseInt(pair, 16)), start, close + 1);
  }

  // One object: numbers followed by "G R" become a Ref.
  object(depth = 0, first = undefined) {
    if (depth > MAX_DEPTH) throw new PdfError("objects nested deeper than any this archive writes");
    const token = first === undefined ? this.token() : first;
    if (token === "[") {
      const items = [];
      for (;;) {
        const next = this.token();
        if (next === "]") return items;
        items.push(this.object(depth + 1, next));
      }
    }
    if (token === "<<") {
      const dict = new Map();
      for (;;) {
        const key = this.token();
        if (key === ">>") return dict;
        if (!(key instanceof Name)) throw new PdfError("a dictionary key that is not a name");
        if (dict.has(key.name)) throw new PdfError(`a dictionary naming /${key.name} twice`);
        dict.set(key.name, this.object(depth + 1));
      }
    }
    if (typeof token === "number") {
      // "N G R" only as plain digits apart by whitespace (pyHanko's pattern): no sign, no comment, no NUL between.
      const found = REFERENCE.exec(latin(this.bytes.subarray(this.start, Math.min(this.end, this.start + 64))));
      if (found && Number(found[1]) === token) {
        this.pos = this.start + found[0].length;
        return new Ref(token, Number(found[2]));
      }
      return token;
    }
    if (token === "true" || token === "false") return token === "true";
    if (token === "null") return null;
    if (token instanceof Real || token instanceof Name || token instanceof PdfString) return token;
    throw new PdfError(`an unexpected ${JSON.stringify(String(token)).slice(0, 40)}`);
  }

  expect(word) {
    if (this.token() !== word) throw new PdfError(`'${word}' expected at byte ${this.pos}`);
  }
}

// --- streams -------------------------------------------------------------------------------------------------------

export async function inflate(data, limit) {
  const chunks = [];
  let total = 0;
  const reader = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) throw new PdfError(`a stream inflates to more than ${limit.toLocaleString("en")} bytes`);
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof PdfError) throw error;
    throw new PdfError("a stream's compressed data is damaged");
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
}

function unpredict(data, parms) { // PNG predictors, as cross-reference streams use them
  const predictor = parms ? parms.get("Predictor") : 1;
  if (!parms || predictor === 1) return data;
  const columns = parms.get("Columns");
  if (!Number.isInteger(predictor) || predictor < 10 || !Number.isInteger(columns) || columns < 1
      || data.length % (columns + 1)) {
    throw new PdfError("a stream predictor this page does not read");
  }
  const rows = data.length / (columns + 1);
  const out = new Uint8Array(rows * columns);
  for (let row = 0; row < rows; row += 1) {
    const type = data[row * (columns + 1)];
    for (let column = 0; column < columns; column += 1) {
      const raw = data[row * (columns + 1) + 1 + column];
      const left = column ? out[row * columns + column - 1] : 0;
      const up = row ? out[(row - 1) * columns + column] : 0;
      if (type === 0) out[row * columns + column] = raw;
      else if (type === 1) out[row * columns + column] = (raw + left) & 0xff;
      else if (type === 2) out[row * columns + column] = (raw + up) & 0xff;
      else throw new PdfError("a stream predictor this page does not read");
    }
  }
  return out;
}

// --- the document ---------------------------------------------------------------------------------------------

export class Pdf {
  constructor(bytes) {
    this.bytes = bytes;
    this.entries = new Map(); // object number -> {type: 1, offset, gen} | {type: 2, stream, index, gen: 0}
    this.cache = new Map();
    this.trailer = null;
  }

  static async open(bytes) {
    const pdf = new Pdf(bytes);
    await pdf.readCrossReferences();
    return pdf;
  }

  async readCrossReferences() {
    const tail = latin(this.bytes.subarray(Math.max(0, this.bytes.length - 2048)));
    const found = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
    if (!found) throw new PdfError("it does not end with startxref and %%EOF");
    let offset = Number(found[1]);
    const seen = new Set();
    while (offset !== null) {
      if (seen.has(offset) || seen.size >= MAX_SECTIONS || !Number.isSafeInteger(offset) || offset >= this.bytes.length) {
        throw new PdfError("its cross-reference sections do not chain as a PDF's do");
      }
      seen.add(offset);
      const trailer = await this.readSection(offset);
      if (!Number.isSafeInteger(trailer.get("Size")) || trailer.get("Size") < 0) {
        throw new PdfError("a cross-reference section whose /Size is not a count");
      }
      if (this.trailer === null) this.trailer = trailer;
      const previous = trailer.get("Prev");
      offset = previous === undefined ? null : previous;
      if (offset !== null && !Number.isInteger(offset)) throw new PdfError("a /Prev that is not an offset");
    }
  }

  setEntry(num, entry, section) { // newer sections win; one section naming an object twice is refused
    if (section.has(num)) throw new PdfError(`a cross-reference section lists object ${num} twice`);
    section.add(num);
    if (!this.entries.has(num)) this.entries.set(num, entry);
  }

  async readSection(offset) {
    const section = new Set();
    const lexer = new Lexer(this.bytes, offset);
    const first = lexer.token();
    if (first === "xref") {
      for (;;) {
        const start = lexer.token();
        if (start === "trailer") break;
        const count = lexer.token();
        if (!Number.isInteger(start) || !Number.isInteger(count) || count < 0) throw new PdfError("a damaged xref table");
        lexer.skipSpace();
        for (let i = 0; i < count; i += 1) {
          const line = latin(this.bytes.subarray(lexer.pos, lexer.pos + 20));
          const entry = /^(\d{10}) (\d{5}) ([nf])[\r\n ]{2}$/.exec(line);
          if (!entry) throw new PdfError("a damaged xref table entry");
          if (entry[3] === "n") this.setEntry(start + i, { type: 1, offset: Number(entry[1]), gen: Number(entry[2]) }, section);
          else this.setEntry(start + i, { type: 0 }, section);
          lexer.pos += 20;
        }
      }
      const trailer = lexer.object();
      if (!(trailer instanceof Map)) throw new PdfError("a trailer that is not a dictionary");
      if (trailer.has("XRefStm")) throw new PdfError("a hybrid cross-reference section, which readers read differently");
      return trailer;
    }
    const stream = this.indirectAt(lexer, first);
    if (!(stream instanceof Stream) || !isName(stream.dict.get("Type"), "XRef")) {
      throw new PdfError("startxref points at neither an xref table nor an xref stream");
    }
    const data = await this.streamData(stream, 64 << 20);
    const widths = stream.dict.get("W");
    const size = stream.dict.get("Size");
    const index = stream.dict.get("Index") || [0, size];
    if (!Array.isArray(widths) || widths.length !== 3 || !widths.every((w) => Number.isInteger(w) && w >= 0 && w <= 8)
        || !Array.isArray(index) || index.length % 2 || !index.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new PdfError("a damaged xref stream");
    }
    const row = widths[0] + widths[1] + widths[2];
    let listed = 0;
    for (let pair = 1; pair < index.length; pair += 2) listed += index[pair];
    if (row === 0 || listed * row > data.length) throw new PdfError("an xref stream shorter than its /Index");
    let at = 0;
    const field = (width, fallback) => {
      if (width === 0) return fallback;
      let value = 0;
      for (let i = 0; i < width; i += 1) value = value * 256 + data[at++];
      return value;
    };
    for (let pair = 0; pair < index.length; pair += 2) {
      for (let i = 0; i < index[pair + 1]; i += 1) {
        if (at + row > data.length) throw new PdfError("an xref stream shorter than its /Index");
        const type = field(widths[0], 1);
        const second = field(widths[1], 0);
        const third = field(widths[2], 0);
        const num = index[pair] + i;
        if (type === 1) this.setEntry(num, { type: 1, offset: second, gen: third }, section);
        else if (type === 2) this.setEntry(num, { type: 2, stream: second, index: third, gen: 0 }, section);
        else this.setEntry(num, { type: 0 }, section);
      }
    }
    return stream.dict;
  }

  // "N G obj" at the lexer, its object, and its stream when one follows; `expected` ({num, gen}) is what the
  // cross-references say is there: number and generation both (readers look objects up by both).
  indirectAt(lexer, first = undefined, expected = undefined) {
    const num = first === undefined ? lexer.token() : first;
    const gen = lexer.token();
    lexer.expect("obj");
    if (!Number.isInteger(num) || !Number.isInteger(gen)
        || (expected !== undefined && (num !== expected.num || gen !== expected.gen))) {
      throw new PdfError(`object ${expected ? expected.num : num} is not where the cross-references say`);
    }
    const value = lexer.object();
    const next = lexer.token();
    if (next === "endobj") return value;
    if (next !== "stream") throw new PdfError(`object ${num} does not end with endobj`);
    if (!(value instanceof Map)) throw new PdfError("a stream without a dictionary");
    let start = lexer.pos;
    if (this.bytes[start] === 13) start += 1;
    if (this.bytes[start] !== 10) throw new PdfError("a stream keyword not followed by an end of line");
    start += 1;
    let length = value.get("Length");
    if (length instanceof Ref) length = this.directLength(length);
    if (!Number.isInteger(length) || length < 0 || start + length > this.bytes.length) throw new PdfError("a stream of a wrong length");
    const after = new Lexer(this.bytes, start + length);
    after.expect("endstream");
    after.expect("endobj");
    return new Stream(value, start, length);
  }

  directLength(ref) {
    const entry = this.entries.get(ref.num);
    if (!entry || entry.type !== 1 || entry.gen !== ref.gen) throw new PdfError("a stream length that is not a direct number");
    const lexer = new Lexer(this.bytes, entry.offset);
    const value = this.indirectAt(lexer, undefined, ref);
    if (!Number.isInteger(value)) throw new PdfError("a stream length that is not a number");
    return value;
  }

  async get(value) { // a Ref resolved (once), anything else as it is
    if (!(value instanceof Ref)) return value;
    const entry = this.entries.get(value.num);
    if (entry && entry.type !== 0 && entry.gen !== value.gen) {
      throw new PdfError(`a reference to object ${value.num} of another generation than the cross-references list`);
    }
    if (this.cache.has(value.num)) return this.cache.get(value.num);
    let result = null;
    if (entry && entry.type === 1) {
      result = this.indirectAt(new Lexer(this.bytes, entry.offset), undefined, value);
    } else if (entry && entry.type === 2) {
      result = await this.fromObjectStream(entry.stream, entry.index, value.num);
    }
    this.cache.set(value.num, result);
    return result;
  }

  async fromObjectStream(streamNum, index, num) {
    const key = `objstm ${streamNum}`;
    if (!this.cache.has(key)) {
      const entry = this.entries.get(streamNum);
      if (!entry || entry.type !== 1 || entry.gen !== 0) throw new PdfError("an object stream that is not a plain object");
      const stream = this.indirectAt(new Lexer(this.bytes, entry.offset), undefined, { num: streamNum, gen: entry.gen });
      if (!(stream instanceof Stream) || !isName(stream.dict.get("Type"), "ObjStm")) throw new PdfError("a damaged object stream");
      const data = await this.streamData(stream, 64 << 20);
      const count = stream.dict.get("N");
      const first = stream.dict.get("First");
      if (!Number.isInteger(count) || !Number.isInteger(first) || first < 0 || first > data.length) {
        throw new PdfError("a damaged object stream");
      }
      const header = new Lexer(data, 0, first);
      const offsets = [];
      for (let i = 0; i < count; i += 1) offsets.push([header.token(), header.token()]);
      this.cache.set(key, { data, first, offsets });
    }
    const { data, first, offsets } = this.cache.get(key);
    if (!offsets[index] || offsets[index][0] !== num || !Number.isInteger(offsets[index][1])) {
      throw new PdfError(`object ${num} is not where the cross-references say`);
    }
    return new Lexer(data, first + offsets[index][1]).object();
  }

  raw(stream) { return this.bytes.subarray(stream.start, stream.start + stream.length); }

  // A stream's content: as it is, or FlateDecoded, within `limit` bytes; any other encoding is refused.
  async streamData(stream, limit) {
    const filter = stream.dict.get("Filter");
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    if (filters.length > 1 || (filters.length === 1 && !isName(filters[0], "FlateDecode"))) {
      throw new PdfError("a stream encoded in a way this archive never writes");
    }
    const raw = this.raw(stream);
    if (filters.length === 0) {
      if (raw.length > limit) throw new PdfError(`a stream of more than ${limit.toLocaleString("en")} bytes`);
      return raw;
    }
    let parms = stream.dict.get("DecodeParms");
    if (Array.isArray(parms)) parms = parms[0];
    parms = await this.get(parms);
    if (parms !== undefined && parms !== null && !isName(stream.dict.get("Type"), "XRef")) {
      throw new PdfError("a stream encoded in a way this archive never writes");
    }
    return unpredict(await inflate(raw, limit), parms || null);
  }

  async catalog() { return this.get(this.trailer.get("Root")); }
}

// A PDF text string as a reader shows it (UTF-16BE with its mark, or plain ASCII; anything else is refused).
export function textOf(value) {
  if (!(value instanceof PdfString)) throw new PdfError("a text that is not a string");
  const { bytes } = value;
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    if (bytes.length % 2) throw new PdfError("a UTF-16 text of an odd length");
    return new TextDecoder("utf-16be", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(2));
  }
  if (bytes.some((byte) => byte > 0x7e)) throw new PdfError("a text in an encoding this page does not read");
  return latin(bytes);
}
