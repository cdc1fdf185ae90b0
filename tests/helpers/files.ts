/**
 * Temp dirs, deterministic pseudo-random files and sha256 helpers for tests and benchmarks.
 * Files are written in 1 MiB pieces so a 1 GiB file never needs a 1 GiB buffer.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const PIECE = 1024 * 1024;

/** Creates a fresh directory under the OS temp dir. */
export async function makeTempDir(prefix = 'tusk-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory tree; missing directories are fine. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Fills `buf` from a xorshift32 generator. Deterministic for a given state, fast enough (~1–2 GiB/s) that writing
 * test files is dominated by the disk, and not compressible, so no layer can cheat with it.
 */
function fillPseudoRandom(buf: Buffer, state: { s: number }): void {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  let s = state.s;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  for (let i = words.length << 2; i < buf.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    buf[i] = s & 0xff;
  }
  state.s = s;
}

/**
 * Writes `size` bytes of deterministic pseudo-random content (same `seed` → same bytes) to `path`.
 * Returns the sha256 (hex) of what was written.
 */
export async function writeRandomFile(path: string, size: number, seed = 1): Promise<string> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`writeRandomFile: size must be a non-negative integer, got ${size}`);
  const state = { s: (seed | 0) === 0 ? 0x9e3779b9 : seed | 0 };
  // Aligned to 4 bytes so the Uint32Array view over it is valid.
  const piece = Buffer.alloc(Math.min(PIECE, Math.max(4, size)));
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    let written = 0;
    while (written < size) {
      const n = Math.min(piece.length, size - written);
      fillPseudoRandom(piece, state);
      const view = piece.subarray(0, n);
      hash.update(view);
      let off = 0;
      while (off < n) {
        const { bytesWritten } = await fh.write(view, off, n - off, written + off);
        off += bytesWritten;
      }
      written += n;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: PIECE }), hash);
  return hash.digest('hex');
}

/** sha256 (hex) of a buffer. */
export function sha256Buffer(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}
