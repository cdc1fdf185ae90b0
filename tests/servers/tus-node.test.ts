import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { makeTempDir, removeDir, sha256Buffer, sha256File, writeRandomFile } from '../helpers/files';
import { startTusNodeServer, type TusNodeServer } from './tus-node';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(opts: Parameters<typeof startTusNodeServer>[0] = {}): Promise<TusNodeServer> {
  const s = await startTusNodeServer(opts);
  cleanups.push(() => s.close());
  return s;
}

async function create(s: TusNodeServer, length: number): Promise<string> {
  const r = await fetch(s.endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(length) } });
  expect(r.status).toBe(201);
  return new URL(r.headers.get('location')!, s.endpoint).href;
}

describe('helpers/files', () => {
  it('writes deterministic files and hashes them consistently', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const a = await writeRandomFile(join(dir, 'a'), 3 * 1024 * 1024 + 7, 42);
    const b = await writeRandomFile(join(dir, 'b'), 3 * 1024 * 1024 + 7, 42);
    const c = await writeRandomFile(join(dir, 'c'), 3 * 1024 * 1024 + 7, 43);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(await sha256File(join(dir, 'a'))).toBe(a);
    expect(sha256Buffer(await readFile(join(dir, 'c')))).toBe(c);
  });
});

describe('tus-node server', () => {
  it('stores an upload made of two PATCHes byte-identically', async () => {
    const s = await start();
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const src = join(dir, 'src');
    const sum = await writeRandomFile(src, 200_000, 7);
    const data = await readFile(src);
    const url = await create(s, data.length);
    let offset = 0;
    for (const part of [data.subarray(0, 100_000), data.subarray(100_000)]) {
      const r = await fetch(url, {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
        body: part,
      });
      expect(r.status).toBe(204);
      offset = Number(r.headers.get('upload-offset'));
    }
    expect(offset).toBe(data.length);
    expect(await s.sha256(url)).toBe(sum);
    expect(await s.uploadIds()).toHaveLength(1);
  });

  it('answers relative Locations and Tus-Max-Size when asked', async () => {
    const s = await start({ relativeLocation: true, maxSize: 1000 });
    const r = await fetch(s.endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' } });
    expect(r.headers.get('location')).toMatch(/^\/files\/[0-9a-f]+$/);
    const o = await fetch(s.endpoint, { method: 'OPTIONS' });
    expect(o.headers.get('tus-max-size')).toBe('1000');
    const big = await fetch(s.endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1001' } });
    expect(big.status).toBe(413);
  });

  it('keeps data across a restart on the same dir and port', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    const s1 = await startTusNodeServer({ dir });
    const url = await create(s1, 10);
    await s1.close();
    const s2 = await start({ dir, port: s1.port });
    const h = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(h.status).toBe(200);
    expect(h.headers.get('upload-offset')).toBe('0');
    expect(await s2.uploadIds()).toHaveLength(1);
  });

  it('sends Upload-Expires when expiration is on', async () => {
    const s = await start({ expirationMs: 60_000 });
    const r = await fetch(s.endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' } });
    const exp = Date.parse(r.headers.get('upload-expires') ?? '');
    expect(exp).toBeGreaterThan(Date.now());
  });
});
