// The PDF's two ZIPs of records (above 2,000 records): stored members only, as layout.zip_members reads them —
// the central directory (ZIP64 when it must be), each member within its folder, named once, of a record's size
// at most, and its local header saying what the directory says.
const MAX_MEMBER_BYTES = 1_000_000;

const view = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function directory(bytes) {
  const data = view(bytes);
  let end = -1; // the last signature in the tail, as verify finds it (one too near the end for a record: none)
  for (let at = bytes.length - 4; at >= Math.max(0, bytes.length - 65_557); at -= 1) {
    if (data.getUint32(at, true) === 0x06054b50) { end = at; break; }
  }
  if (end < 0 || end > bytes.length - 22) throw new Error("no end of central directory");
  let count = data.getUint16(end + 10, true);
  let size = data.getUint32(end + 12, true);
  let offset = data.getUint32(end + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || data.getUint32(locator, true) !== 0x07064b50) throw new Error("a ZIP64 end record is missing");
    const end64 = Number(data.getBigUint64(locator + 8, true));
    if (end64 + 56 > bytes.length || data.getUint32(end64, true) !== 0x06064b50) throw new Error("a ZIP64 end record is damaged");
    count = Number(data.getBigUint64(end64 + 32, true));
    size = Number(data.getBigUint64(end64 + 40, true));
    offset = Number(data.getBigUint64(end64 + 48, true));
  }
  if (offset + size > bytes.length) throw new Error("the central directory lies outside the archive");
  return { count, offset, size };
}

// name -> member bytes of the ZIP `zipName`, whose members lie in `folder`; what is wrong goes into `problems`.
export function zipMembers(zipName, folder, bytes, problems) {
  const members = new Map();
  let listing;
  try {
    listing = directory(bytes);
  } catch (error) {
    problems.push(`${zipName} is not a readable ZIP archive (${error.message})`);
    return members;
  }
  const data = view(bytes);
  let position = listing.offset;
  const end = listing.offset + listing.size;
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let i = 0; i < listing.count; i += 1) {
    if (position + 46 > end || data.getUint32(position, true) !== 0x02014b50) {
      problems.push(`${zipName} has a damaged central directory`);
      return members;
    }
    const flags = data.getUint16(position + 8, true);
    const method = data.getUint16(position + 10, true);
    const compressed = data.getUint32(position + 20, true);
    const size = data.getUint32(position + 24, true);
    const nameLength = data.getUint16(position + 28, true);
    const extraLength = data.getUint16(position + 30, true);
    const commentLength = data.getUint16(position + 32, true);
    const offset = data.getUint32(position + 42, true);
    const rawName = bytes.subarray(position + 46, position + 46 + nameLength);
    position += 46 + nameLength + extraLength + commentLength;
    let name;
    try {
      if (!(flags & 0x800) && rawName.some((byte) => byte > 0x7f)) throw new Error("not UTF-8");
      name = utf8.decode(rawName);
    } catch (error) {
      problems.push(`${zipName} holds a member whose name this page cannot read`);
      continue;
    }
    if (!name.startsWith(folder) || name.endsWith("/") || `/${name}/`.includes("/../") || members.has(name)) {
      problems.push(`${zipName} holds an unexpected member ${JSON.stringify(name)}`);
    } else if (size > MAX_MEMBER_BYTES || compressed > MAX_MEMBER_BYTES) {
      problems.push(`${zipName} holds an oversized member ${JSON.stringify(name)}`);
    } else if (flags & 0x1 || method !== 0 || compressed !== size) {
      problems.push(`${zipName} holds ${JSON.stringify(name)} encrypted or compressed, which appeal-archive never writes`);
    } else {
      try {
        const localLength = data.getUint16(offset + 26, true);
        const local = offset + 30 + localLength + data.getUint16(offset + 28, true);
        if (data.getUint32(offset, true) !== 0x04034b50 || data.getUint16(offset + 6, true) & 0x1
            || data.getUint16(offset + 8, true) !== 0 || data.getUint32(offset + 18, true) !== size
            || data.getUint32(offset + 22, true) !== size || local + size > bytes.length
            || utf8.decode(bytes.subarray(offset + 30, offset + 30 + localLength)) !== name) throw new Error("differs");
        members.set(name, bytes.subarray(local, local + size));
      } catch (error) {
        problems.push(`${zipName}: the local header of ${JSON.stringify(name)} does not say what the central directory says`);
      }
    }
  }
  return members;
}
