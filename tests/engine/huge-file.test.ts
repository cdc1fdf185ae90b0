/**
 * A file larger than 4 GiB: every offset and length past 2^32 must survive headers, positioned reads and resumes.
 * The source is sparse (zeros, no disk blocks) with random bytes at its end; the server's copy is made sparse up to
 * just before that end, so only the last few MiB travel, all of them at offsets above 5 GiB.
 */
import { createHash } from 'node:crypto';
import { open, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TusClient, type UploadEvent } from '../../main/engine/tus';
import { HashWorkers } from '../../main/engine/tus/hash-worker';
import { startTusNodeServer, type TusNodeServer } from '../servers/tus-node';
import { makeTempDir, removeDir } from '../helpers/files';

const GiB = 1024 ** 3;
const SIZE = 5 * GiB + 123;
/** Random bytes at the end of the source; everything before is zeros. */
const TAIL = 3 * 1024 * 1024 + 123;
/** Where the server's copy is cut to: inside the zeros, so what it holds already matches the source. */
const SERVER_HAS = SIZE - TAIL - 1024 * 1024;

let dir: string;
let path: string;
let server: TusNodeServer;

beforeAll(async () => {
  dir = await makeTempDir('tusk-huge-');
  path = join(dir, 'huge.bin');
  const fh = await open(path, 'w');
  try {
    await fh.truncate(SIZE);
    const tail = Buffer.alloc(TAIL);
    for (let i = 0; i < TAIL; i++) tail[i] = (i * 2654435761) >>> 24;
    await fh.write(tail, 0, TAIL, SIZE - TAIL);
  } finally {
    await fh.close();
  }
  server = await startTusNodeServer();
});
afterAll(async () => {
  await server?.close();
  await removeDir(dir);
});

async function readRange(file: string, start: number, len: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

describe('a file over 4 GiB', () => {
  // Whole file: streamed blocks (the read pace's path); 1 MiB: buffered bodies read whole and ahead.
  it.each([
    ['streamed in one request', Infinity],
    ['in 1 MiB chunks', 1024 * 1024],
  ] as const)('resumes at an offset past 5 GiB and finishes byte-exact (%s)', async (_name, chunkSize) => {
    const client = new TusClient({ endpoint: server.endpoint, chunkSize, retryDelay: 5 });
    try {
      // Created without a byte (stopAt 0), then the server's copy is made to hold the first SERVER_HAS bytes.
      const created = await client.uploadFile({ path, stopAt: 0 });
      expect(created.size).toBe(SIZE);
      await truncate(server.storedPath(created.url), SERVER_HAS);

      const events: UploadEvent[] = [];
      const r = await client.resumeUpload({ path, uploadUrl: created.url, onEvent: (e) => events.push(e) });
      expect(events.find((e) => e.type === 'resumed')).toMatchObject({ offset: SERVER_HAS });
      expect(r).toMatchObject({ complete: true, offset: SIZE, size: SIZE });
      expect(r.stats.bytesUploaded).toBe(SIZE - SERVER_HAS);
      const stored = server.storedPath(r.url);
      expect((await stat(stored)).size).toBe(SIZE);
      const from = SERVER_HAS - 4096; // a little of what the server already had, and everything it was sent
      expect((await readRange(stored, from, SIZE - from)).equals(await readRange(path, from, SIZE - from))).toBe(true);
      const info = await client.getUploadInfo(r.url);
      expect(info).toMatchObject({ offset: SIZE, length: SIZE, complete: true });
    } finally {
      await client.close();
    }
  });

  it('the hashing worker reads and hashes a range past 5 GiB (checksummed bodies)', async () => {
    const pool = new HashWorkers(1);
    const fh = await open(path, 'r');
    try {
      const start = SIZE - TAIL - 1000; // across the boundary between the zeros and the random tail
      const len = TAIL + 1000;
      const digest = await pool.readAndHash(fh.fd, start, len, 'sha256', new SharedArrayBuffer(len));
      expect(digest).toBe(createHash('sha256').update(await readRange(path, start, len)).digest('base64'));
    } finally {
      await fh.close();
      await pool.close();
    }
  });
});
