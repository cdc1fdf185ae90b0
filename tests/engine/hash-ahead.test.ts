/**
 * Checksummed bodies are read and hashed ahead of the one being sent, one per hashing thread. These tests check the
 * pairing of body, range and digest when that plan holds and when the server's offset moves elsewhere.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TusClient, type UploadEvent } from '../../main/engine/tus';
import { hashThreads, hashWorkers } from '../../main/engine/tus/hash-worker';
import { listenOnLoopback, type LoopbackListener } from '../servers/loopback';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

/** A PATCH as the server below received it. */
interface SeenPatch {
  offset: number;
  length: number;
  /** The Upload-Checksum digest (base64) and the sha256 of the body actually received. */
  claimed: string;
  actual: string;
  body: Buffer;
}

/**
 * A small tus server (creation, checksum sha256) that verifies every digest and can be told to keep only part of
 * one PATCH and fail it, as a server behind a proxy that broke the answer may: the client's next HEAD then gives an
 * offset inside a range it had already read and hashed ahead.
 */
async function startPartialKeepingServer(failPatch: number, keep: number) {
  let stored = Buffer.alloc(0);
  let length = 0;
  const patches: SeenPatch[] = [];
  const base = { 'Tus-Resumable': '1.0.0' };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...base, 'Tus-Version': '1.0.0', 'Tus-Extension': 'creation,checksum', 'Tus-Checksum-Algorithm': 'sha256' }).end();
      } else if (req.method === 'POST') {
        length = Number(req.headers['upload-length']);
        res.writeHead(201, { ...base, Location: '/files/1' }).end();
      } else if (req.method === 'HEAD') {
        res.writeHead(200, { ...base, 'Upload-Offset': String(stored.length), 'Upload-Length': String(length), 'Cache-Control': 'no-store' }).end();
      } else if (req.method === 'PATCH') {
        const offset = Number(req.headers['upload-offset']);
        const claimed = String(req.headers['upload-checksum'] ?? '').replace(/^sha256 /, '');
        const actual = createHash('sha256').update(body).digest('base64');
        patches.push({ offset, length: body.length, claimed, actual, body });
        if (offset !== stored.length) res.writeHead(409, base).end();
        else if (claimed !== actual) res.writeHead(460, base).end();
        else if (patches.length === failPatch) {
          stored = Buffer.concat([stored, body.subarray(0, keep)]);
          res.writeHead(502, base).end('bad gateway');
        } else {
          stored = Buffer.concat([stored, body]);
          res.writeHead(204, { ...base, 'Upload-Offset': String(stored.length) }).end();
        }
      } else res.writeHead(405, base).end();
    });
  });
  const listener: LoopbackListener = await listenOnLoopback(server);
  return { endpoint: `${listener.origin}/files`, patches, stored: () => stored, close: () => listener.close() };
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('tusk-hash-ahead-');
});
afterAll(async () => {
  await removeDir(dir);
});

describe('checksummed bodies hashed ahead', () => {
  it('hashes on one thread per core beyond the first, at most two, unless TUSK_HASH_THREADS says 1–8', () => {
    expect([1, 2, 3, 4, 16].map((cores) => hashThreads(undefined, cores))).toEqual([1, 1, 2, 2, 2]);
    expect(hashThreads('1', 8)).toBe(1);
    expect(hashThreads('8', 2)).toBe(8);
    for (const bad of ['', '0', '9', '1.5', 'two', '-1']) expect(hashThreads(bad, 4)).toBe(2);
  });

  it('the pool limit is settable from 1 to 8 only', () => {
    const before = hashWorkers.limit;
    try {
      hashWorkers.limit = 3;
      expect(hashWorkers.limit).toBe(3);
      for (const bad of [0, 9, 1.5]) expect(() => (hashWorkers.limit = bad)).toThrow(/1 to 8/);
    } finally {
      hashWorkers.limit = before;
    }
  });

  // An upload reads one body more ahead than there are hashing threads: each case is run with one and two threads.
  const planHolds = 'the plan holds (no fault)';
  // The upload then goes on from inside a range already read and hashed ahead.
  const partlyKept = 'the server kept part of a failed PATCH';
  it.each([
    { name: planHolds, failPatch: 0, threads: 1 },
    { name: planHolds, failPatch: 0, threads: 2 },
    { name: partlyKept, failPatch: 2, threads: 1 },
    { name: partlyKept, failPatch: 2, threads: 2 },
  ])('every body goes out with its own range and digest when $name ($threads hashing threads)', async ({ failPatch, threads }) => {
    const before = hashWorkers.limit;
    hashWorkers.limit = threads;
    const chunkSize = 100_003;
    const path = join(dir, `f-${failPatch}-${threads}.bin`);
    await writeRandomFile(path, 1_000_000, 7 + failPatch);
    const source = await readFile(path);
    const server = await startPartialKeepingServer(failPatch, 33_333);
    const events: UploadEvent[] = [];
    const client = new TusClient({ endpoint: server.endpoint, chunkSize, retryDelay: 5 });
    // Counts the reads in flight at once (the bodies read ahead), through the pool's only entry point.
    const readAndHash = hashWorkers.readAndHash.bind(hashWorkers);
    let inFlight = 0;
    let maxInFlight = 0;
    const spy = vi.spyOn(hashWorkers, 'readAndHash').mockImplementation((...args) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return readAndHash(...args).finally(() => inFlight--);
    });
    try {
      const r = await client.uploadFile({ path, checksum: 'sha256', onEvent: (e) => events.push(e) });
      expect(r.complete).toBe(true);
      // Each PATCH carried the bytes of the range it named, and the digest of those bytes.
      for (const p of server.patches) {
        expect(p.claimed).toBe(p.actual);
        expect(p.body.equals(source.subarray(p.offset, p.offset + p.length))).toBe(true);
      }
      expect(events.filter((e) => e.type === 'checksum-mismatch')).toHaveLength(0);
      const offsets = server.patches.map((p) => p.offset);
      expect(offsets.some((o) => o % chunkSize !== 0)).toBe(failPatch > 0);
      if (failPatch) expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
      expect(server.stored().equals(source)).toBe(true);
      expect(hashWorkers.running).toBe(threads);
      expect(maxInFlight).toBe(threads + 1);
    } finally {
      spy.mockRestore();
      hashWorkers.limit = before;
      await client.close();
      await server.close();
      await hashWorkers.close();
    }
  });
});
