import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../main/electron/local-server';
import type { LocalServer } from '../../main/electron/local-server';

const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const TUS = { 'Tus-Resumable': '1.0.0' };
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(dataDir?: string): Promise<{ server: LocalServer; dataDir: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'tusk-local-')));
  if (!dataDir) cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startLocalServer({ dataDir: dir });
  cleanup.push(() => server.close());
  return { server, dataDir: dir };
}

async function create(server: LocalServer, size: number): Promise<string> {
  const meta = `filename ${Buffer.from('data.bin').toString('base64')},filetype ${Buffer.from('application/octet-stream').toString('base64')}`;
  const res = await fetch(server.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(size), 'Upload-Metadata': meta } });
  expect(res.status).toBe(201);
  const location = res.headers.get('location');
  expect(location).toBeTruthy();
  return new URL(location as string, server.endpoint).toString();
}

async function patch(url: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: new Uint8Array(body),
  });
}

describe('embedded local tus server', () => {
  it('listens on loopback only and answers OPTIONS like a tus server', async () => {
    const { server } = await start();
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/$/);
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(server.endpoint, { method: 'OPTIONS', headers: TUS });
    expect([200, 204]).toContain(res.status);
    expect(res.headers.get('tus-version')).toContain('1.0.0');
    expect(res.headers.get('tus-extension')).toContain('creation');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stores an upload sent in two PATCHes byte for byte (sha256), resuming from HEAD', async () => {
    const { server } = await start();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const url = await create(server, data.length);
    const half = 1024 * 1024;
    expect((await patch(url, 0, data.subarray(0, half))).status).toBe(204);
    const head = await fetch(url, { method: 'HEAD', headers: TUS });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(half);
    const done = await patch(url, offset, data.subarray(offset));
    expect(done.status).toBe(204);
    expect(done.headers.get('upload-offset')).toBe(String(data.length));
    const id = new URL(url).pathname.split('/').pop() as string;
    const stored = await readFile(join(server.directory, id));
    expect(sha256(stored)).toBe(sha256(data));
  });

  it('keeps unfinished uploads across a restart on the same data directory and port', async () => {
    const { server, dataDir } = await start();
    const data = randomBytes(600_000);
    const url = await create(server, data.length);
    await patch(url, 0, data.subarray(0, 250_000));
    await server.close();
    const again = await startLocalServer({ dataDir, port: server.port });
    cleanup.push(() => again.close());
    expect(again.port).toBe(server.port);
    const moved = url;
    const head = await fetch(moved, { method: 'HEAD', headers: TUS });
    expect(head.headers.get('upload-offset')).toBe('250000');
    expect((await patch(moved, 250_000, data.subarray(250_000))).status).toBe(204);
    const id = new URL(url).pathname.split('/').pop() as string;
    expect(sha256(await readFile(join(again.directory, id)))).toBe(sha256(data));
  });

  it('falls back to a free port when the previous one is taken', async () => {
    const { server } = await start();
    const dir = await mkdtemp(join(tmpdir(), 'tusk-local-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const other = await startLocalServer({ dataDir: dir, port: server.port });
    cleanup.push(() => other.close());
    expect(other.port).not.toBe(server.port);
    expect((await fetch(other.endpoint, { method: 'OPTIONS', headers: TUS })).ok).toBe(true);
  });

  it('refuses requests for another Host (DNS rebinding)', async () => {
    const { server } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/files/', method: 'OPTIONS', headers: { Host: 'evil.example', ...TUS } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
