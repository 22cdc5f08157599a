import { createHash } from 'node:crypto';
import { SnapshotContents, type MemoryFile } from '../../../shared/contract/snapshots.js';

/**
 * The bytes of a snapshot blob (before compression). Large parts — the output tail and the memory files —
 * are stored raw after a small JSON header instead of inside one big JSON document, so a 10 MB context
 * is not escaped, base64-inflated and re-parsed on every save and wake.
 *
 *   "HIVESNAP2\n" | u32 BE header length | header JSON | output tail (UTF-8) | file 1 | file 2 | …
 *
 * The header holds every other field plus the byte length of each section and each file's sha256.
 * Blobs written before this format (plain JSON) still decode.
 */
const MAGIC = Buffer.from('HIVESNAP2\n');

interface Header {
  contents: Omit<SnapshotContents, 'outputTail' | 'memoryFiles'>;
  outputTailBytes: number;
  files: { path: string; sha256: string; bytes: number }[];
}

export function encodeSnapshot(contents: SnapshotContents): Buffer {
  const { outputTail, memoryFiles, ...rest } = contents;
  const tail = Buffer.from(outputTail, 'utf8');
  const files = memoryFiles.map((f) => ({ meta: f, data: Buffer.from(f.contentBase64, 'base64') }));
  const header: Header = {
    contents: rest,
    outputTailBytes: tail.length,
    files: files.map((f) => ({ path: f.meta.path, sha256: f.meta.sha256, bytes: f.data.length })),
  };
  const headerBuf = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(headerBuf.length);
  return Buffer.concat([MAGIC, len, headerBuf, tail, ...files.map((f) => f.data)]);
}

export function decodeSnapshot(buf: Buffer): SnapshotContents {
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    return SnapshotContents.parse(JSON.parse(buf.toString('utf8')));
  }
  let at = MAGIC.length;
  const headerLen = buf.readUInt32BE(at);
  at += 4;
  const header = JSON.parse(buf.subarray(at, at + headerLen).toString('utf8')) as Header;
  at += headerLen;
  const outputTail = buf.subarray(at, at + header.outputTailBytes).toString('utf8');
  at += header.outputTailBytes;
  const memoryFiles: MemoryFile[] = header.files.map((f) => {
    const data = buf.subarray(at, at + f.bytes);
    at += f.bytes;
    return { path: f.path, sha256: f.sha256, contentBase64: data.toString('base64') };
  });
  if (at !== buf.length) throw new Error(`snapshot sections end at byte ${at}, the blob has ${buf.length}`);
  // The schema checks the header's fields; the big sections are strings and byte ranges we just cut
  // ourselves (running them through the schema cost ~60 ms for 10 MB and checked nothing more).
  const checked = SnapshotContents.parse({ ...header.contents, outputTail: '', memoryFiles: [] });
  return { ...checked, outputTail, memoryFiles };
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
