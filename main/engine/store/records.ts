/**
 * The line format shared by the journal and the snapshot: one JSON object per line, ending with a CRC32 of the line
 * (`"k":"xxxxxxxx"`), so a torn or corrupt line is detected on its own and every other line is still read.
 *
 * A line is `{"s":12,"t":"patchJob",...,"k":"1a2b3c4d"}`: the checksum covers the line as it would be without the
 * `,"k":"…"` member, so each line stays valid JSON that `jq` can read.
 */
import * as zlib from 'node:zlib';

/** The journal's record types, named after the store methods that write them. */
export type JournalRecordType =
  | 'putJob'
  | 'patchJob'
  | 'removeJobs'
  | 'putBatch'
  | 'removeBatches'
  | 'appendHistory'
  | 'putProfile'
  | 'removeProfile';

/** The suffix is always `,"k":"` + 8 hex digits + `"}`. */
const SUFFIX_LENGTH = 16;
const SUFFIX_PREFIX = ',"k":"';

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Fallback(data: string | Uint8Array, value = 0): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32 (IEEE), native where Node has it (20.15+, 22.2+). */
export const crc32: (data: string | Uint8Array, value?: number) => number =
  typeof zlib.crc32 === 'function' ? (data, value) => zlib.crc32(data, value) : crc32Fallback;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Turns a plain object into one checksummed line (with the trailing newline).
 * The object must serialize to a JSON object (`{…}`) with at least one member.
 */
export function encodeLine(record: object): string {
  const body = JSON.stringify(record);
  return `${body.slice(0, -1)}${SUFFIX_PREFIX}${hex8(crc32(body))}"}\n`;
}

const CLOSE_BRACE = Buffer.from('}');

/**
 * Checks one line (without its newline) and parses it. Returns undefined when the line is torn, corrupt or not a
 * JSON object: the caller counts and reports it.
 */
export function decodeLine(line: Buffer): Record<string, unknown> | undefined {
  const n = line.length;
  if (n < SUFFIX_LENGTH + 2 || line[0] !== 0x7b || line[n - 1] !== 0x7d || line[n - 2] !== 0x22) return undefined;
  const suffix = line.toString('latin1', n - SUFFIX_LENGTH, n);
  if (!suffix.startsWith(SUFFIX_PREFIX)) return undefined;
  const expected = Number.parseInt(suffix.slice(SUFFIX_PREFIX.length, SUFFIX_PREFIX.length + 8), 16);
  if (!Number.isFinite(expected)) return undefined;
  const actual = crc32(CLOSE_BRACE, crc32(line.subarray(0, n - SUFFIX_LENGTH)));
  if (actual !== expected) return undefined;
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One line of a file as split by `splitLines`. */
export interface RawLine {
  bytes: Buffer;
  /** Byte offset of the line's start in the file. */
  start: number;
  /** False for a last line without its newline (a torn write). */
  terminated: boolean;
}

/** Splits a file's bytes on `\n`. Empty lines are skipped (they carry nothing and are harmless). */
export function* splitLines(data: Buffer): Generator<RawLine> {
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    const end = nl === -1 ? data.length : nl;
    if (end > start) yield { bytes: data.subarray(start, end), start, terminated: nl !== -1 };
    start = end + 1;
  }
}

/** True when every byte is 0 (a filesystem may leave zero-filled blocks at the end of a file after a power loss). */
export function isAllZero(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
