import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TusClient } from '../../main/engine/tus';
import { HashWorkers, hashWorkers } from '../../main/engine/tus/hash-worker';
import { startConformanceServer, type ConformanceServer } from '../servers/conformance';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

// This file runs in its own module context (Vitest isolates test files), so disabling the process-wide worker here
// cannot leak into other test files.

let dir: string;
let path: string;
let data: Buffer;
let conf: ConformanceServer;

beforeAll(async () => {
  dir = await makeTempDir('tusk-hash-worker-');
  path = join(dir, 'body.bin');
  await writeRandomFile(path, 3 * 1024 * 1024 + 11, 41);
  data = await readFile(path);
  conf = await startConformanceServer();
});
afterAll(async () => {
  await conf.close();
  await removeDir(dir);
});

describe('the hashing worker', () => {
  it('a worker stopped with calls in flight rejects them, and the next call starts a new worker', async () => {
    const worker = new HashWorkers();
    const fh = await open(path, 'r');
    try {
      const sab = new SharedArrayBuffer(data.length);
      const first = await worker.readAndHash(fh.fd, 0, data.length, 'sha256', sab);
      expect(first).toBe(createHash('sha256').update(data).digest('base64'));
      const inFlight = worker.readAndHash(fh.fd, 0, data.length, 'sha512', sab);
      await worker.close();
      await expect(inFlight).rejects.toThrow(/hashing worker stopped/);
      const again = await worker.readAndHash(fh.fd, 1000, 5000, 'md5', sab);
      expect(again).toBe(createHash('md5').update(data.subarray(1000, 6000)).digest('base64'));
      await worker.close();
    } finally {
      await fh.close();
    }
  });

  it.each([1, 2])('with at most %i thread(s), calls made at once share them and each gets its own digest', async (max) => {
    const pool = new HashWorkers(max);
    const fh = await open(path, 'r');
    try {
      const ranges = [
        [0, 1_000_000],
        [1_000_000, 1_000_000],
        [2_000_000, data.length - 2_000_000],
      ] as const;
      const jobs = ranges.map(([pos, len]) => pool.readAndHash(fh.fd, pos, len, 'sha256', new SharedArrayBuffer(len)));
      // The second call found the first thread busy and started another, up to the limit.
      expect(pool.running).toBe(max);
      const digests = await Promise.all(jobs);
      expect(digests).toEqual(ranges.map(([pos, len]) => createHash('sha256').update(data.subarray(pos, pos + len)).digest('base64')));
      await pool.close();
      expect(pool.running).toBe(0);
    } finally {
      await fh.close();
    }
  });

  it('where no worker can run, checksummed uploads hash on the main thread instead and still verify', async () => {
    hashWorkers.disable();
    expect(hashWorkers.available).toBe(false);
    const client = new TusClient({ endpoint: conf.endpoint, chunkSize: 1024 * 1024, retryDelay: 5 });
    try {
      for (const checksum of ['sha256', 'md5'] as const) {
        // The conformance server answers 460 to a wrong digest, so a broken fallback cannot pass.
        const before = conf.requests.length;
        const r = await client.uploadFile({ path, checksum });
        expect(r.checksum).toBe(checksum);
        const bodies = conf.requests.slice(before).filter((q) => (q.method === 'PATCH' || q.method === 'POST') && Number(q.headers['content-length'] ?? 0) > 0);
        expect(bodies.length).toBeGreaterThan(1);
        expect(bodies.every((q) => q.headers['upload-checksum']?.startsWith(`${checksum} `))).toBe(true);
        expect(await conf.sha256(r.url)).toBe(createHash('sha256').update(data).digest('hex'));
      }
    } finally {
      await client.close();
    }
  });
});
