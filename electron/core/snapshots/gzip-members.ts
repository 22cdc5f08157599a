/**
 * Multi-member gzip files that say where each member ends, so a reader can inflate the members in parallel.
 * Each member carries an extra field (RFC 1952 FEXTRA) with subfield `HV` holding the member's total size
 * in bytes (uint32 LE) — the idea of BGZF's `BC` field. Tools that do not know the subfield skip it: the file
 * is still one ordinary .gz for `gunzip`, `zcat` and Node's gunzip.
 */

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FEXTRA = 0x04;
const HEADER_BYTES = 10;
/** XLEN (2) + SI1 SI2 (2) + LEN (2) + size (4). */
const EXTRA_BYTES = 10;

/**
 * The member as gzip wrote it, with the size field added. Only a plain header (no flags set, as zlib writes
 * it) is tagged; anything else is returned as it is (and a reader then inflates the file in one go).
 */
export function tagMember(gz: Buffer): Buffer {
  if (gz.length < HEADER_BYTES + 8 || gz[0] !== ID1 || gz[1] !== ID2 || gz[2] !== CM_DEFLATE || gz[3] !== 0) return gz;
  const total = gz.length + EXTRA_BYTES;
  const out = Buffer.allocUnsafe(total);
  gz.copy(out, 0, 0, HEADER_BYTES);
  out[3] = FEXTRA;
  out.writeUInt16LE(EXTRA_BYTES - 2, HEADER_BYTES); // XLEN
  out[HEADER_BYTES + 2] = 0x48; // 'H'
  out[HEADER_BYTES + 3] = 0x56; // 'V'
  out.writeUInt16LE(4, HEADER_BYTES + 4);
  out.writeUInt32LE(total, HEADER_BYTES + 6);
  gz.copy(out, HEADER_BYTES + EXTRA_BYTES, HEADER_BYTES);
  return out;
}

/** The members of a tagged file, or null when any member does not say its size (or says one that cannot be). */
export function splitMembers(file: Buffer): Buffer[] | null {
  const members: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    const size = taggedSize(file, at);
    if (size === null || at + size > file.length) return null;
    members.push(file.subarray(at, at + size));
    at += size;
  }
  return members.length > 0 ? members : null;
}

function taggedSize(file: Buffer, at: number): number | null {
  if (at + HEADER_BYTES + EXTRA_BYTES > file.length) return null;
  if (file[at] !== ID1 || file[at + 1] !== ID2 || file[at + 2] !== CM_DEFLATE || !((file[at + 3] ?? 0) & FEXTRA)) return null;
  const xlen = file.readUInt16LE(at + HEADER_BYTES);
  const end = at + HEADER_BYTES + 2 + xlen;
  if (end > file.length) return null;
  // Walk the subfields: ours may sit beside others.
  for (let p = at + HEADER_BYTES + 2; p + 4 <= end; ) {
    const len = file.readUInt16LE(p + 2);
    if (file[p] === 0x48 && file[p + 1] === 0x56 && len === 4 && p + 8 <= end) {
      const size = file.readUInt32LE(p + 4);
      return size > end - at + 8 ? size : null; // at least header, extra and trailer
    }
    p += 4 + len;
  }
  return null;
}
