import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SmallFileReader, PREFETCH_MAX_BYTES, PREFETCH_TTL_MS, smallFileReader } from '../../main/engine/tus/small-files';
import { makeTempDir, removeDir, sha256Buffer, sha256File, writeRandomFile } from '../helpers/files';
import { startTusNodeServer, type TusNodeServer } from '../servers/tus-node';
import { startConformanceServer } from '../servers/conformance';
import { startEngine, waitJobsDone } from '../queue/helpers';
import { readFile } from 'node:fs/promises';

let dir: string;
const readers: SmallFileReader[] = [];
function reader(): SmallFileReader {
  const r = new SmallFileReader();
  readers.push(r);
  return r;
}

beforeAll(async () => {
  dir = await makeTempDir('tusk-small-files-');
});
afterAll(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await removeDir(dir);
});

describe('SmallFileReader', () => {
  it('serves prefetched files byte for byte, each once, and reads the rest at call time', async () => {
    const r = reader();
    const paths: string[] = [];
    for (let i = 0; i < 20; i++) {
      const p = join(dir, `f ${i} ü.bin`);
      await writeRandomFile(p, 1000 + i * 997, 70 + i);
      paths.push(p);
    }
    r.prefetch(paths.slice(0, 10), 64 * 1024);
    expect(r.pendingCount).toBe(10);
    expect(r.has(paths[3]!)).toBe(true);
    for (const p of paths) expect((await r.read(p)).equals(await readFile(p))).toBe(true);
    expect(r.hits).toBe(10);
    expect(r.pendingCount).toBe(0);
    // Taken once: a second read of the same path reads the file again.
    expect((await r.read(paths[0]!)).equals(await readFile(paths[0]!))).toBe(true);
    expect(r.hits).toBe(10);
  });

  it('a prefetched missing file or folder rejects with the fs code; a file over the limit is read at call time', async () => {
    const r = reader();
    const missing = join(dir, 'missing.bin');
    const folder = join(dir, 'a-folder');
    await mkdir(folder, { recursive: true });
    const big = join(dir, 'big.bin');
    await writeRandomFile(big, 100_000, 77);
    r.prefetch([missing, folder, big], 64 * 1024);
    await expect(r.read(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(r.read(folder)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await sha256File(big)).toBe(sha256Buffer(await r.read(big)));
    expect(r.hits).toBe(0);
  });

  it('a prefetched copy expires after PREFETCH_TTL_MS, so an old snapshot is not uploaded later', async () => {
    const r = reader();
    const p = join(dir, 'ttl.bin');
    await writeFile(p, 'old');
    r.prefetch([p], 64 * 1024);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.has(p)).toBe(true);
    await writeFile(p, 'new contents');
    await new Promise((res) => setTimeout(res, PREFETCH_TTL_MS + 100));
    expect(r.has(p)).toBe(false);
    expect((await r.read(p)).toString()).toBe('new contents');
  });

  it('holds at most PREFETCH_MAX_BYTES: a prefetch that would exceed it is not started', async () => {
    const r = reader();
    const p = join(dir, 'bound.bin');
    await writeFile(p, 'x');
    const max = 64 * 1024;
    const many = Array.from({ length: PREFETCH_MAX_BYTES / max + 1 }, (_, i) => `${p}.${i}`);
    r.prefetch(many, max);
    expect(r.pendingCount).toBe(0);
    r.prefetch([p], max);
    expect(r.pendingCount).toBe(1);
    await r.close();
    expect(r.pendingCount).toBe(0);
    expect((await r.read(p)).toString()).toBe('x');
  });
});

describe('the queue reads small files ahead in batches', () => {
  let server: TusNodeServer;
  beforeAll(async () => {
    server = await startTusNodeServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a folder of 150 small files: almost every read comes from a prefetched batch, and every stored file matches', async () => {
    const folder = join(dir, 'many-small');
    const shas = new Map<string, string>();
    for (let i = 0; i < 150; i++) {
      const p = join(folder, `sub${i % 3}`, `s${i}.bin`);
      await mkdir(join(folder, `sub${i % 3}`), { recursive: true });
      shas.set(p, await writeRandomFile(p, 10 + ((i * 389) % 60_000), 500 + i));
    }
    const hitsBefore = smallFileReader.hits;
    await uploadFolderAndCompare(server, folder, shas, 'state-small', 2);
    // The first jobs start before the server's capabilities are known or their batch is back; the rest come from batches.
    expect(smallFileReader.hits - hitsBefore).toBeGreaterThan(100);
  });

  it('no read-ahead for a server without creation-with-upload (the copies would go unused); the files still upload whole', async () => {
    const plain = await startConformanceServer({ extensions: ['creation', 'termination'] });
    const folder = join(dir, 'plain-small');
    await mkdir(folder, { recursive: true });
    const shas = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const p = join(folder, `p${i}.bin`);
      shas.set(p, await writeRandomFile(p, 100 + i * 50, 900 + i));
    }
    const pendingBefore = smallFileReader.pendingCount;
    const hitsBefore = smallFileReader.hits;
    try {
      await uploadFolderAndCompare(plain, folder, shas, 'state-plain', 1);
    } finally {
      await plain.close();
    }
    expect(smallFileReader.pendingCount).toBe(pendingBefore);
    expect(smallFileReader.hits).toBe(hitsBefore);
  });
});

/** Uploads `folder` through a queue to `server` and checks every job completed with the stored bytes of its file. */
async function uploadFolderAndCompare(
  server: { endpoint: string; sha256(url: string): Promise<string> },
  folder: string,
  shas: Map<string, string>,
  state: string,
  concurrency: number,
): Promise<void> {
  const { engine } = await startEngine(join(dir, state), server.endpoint, { settings: { concurrency } });
  try {
    const added = await engine.api.addPaths({ paths: [folder], profileId: 'p1' });
    const jobs = await waitJobsDone(engine, added.jobIds);
    expect(jobs.every((j) => j.status === 'completed')).toBe(true);
    for (const j of jobs) expect(await server.sha256(j.uploadUrl!)).toBe(shas.get(j.path));
  } finally {
    await engine.close();
  }
}
