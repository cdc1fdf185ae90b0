import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha256Buffer } from '../helpers/files';
import { startConformanceServer, type ConformanceServer, type ConformanceServerOptions } from './conformance';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setup(opts: ConformanceServerOptions = {}): Promise<{ server: ConformanceServer; proxy: FaultProxy; endpoint: string }> {
  const server = await startConformanceServer(opts);
  closers.push(() => server.close());
  const proxy = await startFaultProxy({ target: server.origin });
  closers.push(() => proxy.close());
  return { server, proxy, endpoint: proxy.endpointFor(server.endpoint) };
}

const TUS = { 'Tus-Resumable': '1.0.0' };

async function create(endpoint: string, length: number): Promise<string> {
  const r = await fetch(endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(length) } });
  expect(r.status).toBe(201);
  return new URL(r.headers.get('location')!, endpoint).href;
}

function patch(url: string, offset: number, body: Uint8Array<ArrayBuffer>, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) },
    body,
    signal,
  });
}

describe('fault proxy', () => {
  it('forwards requests and rewrites absolute and protocol-relative Locations to itself', async () => {
    for (const locationStyle of ['absolute', 'protocol-relative', 'relative'] as const) {
      const { server, proxy, endpoint } = await setup({ locationStyle });
      const r = await fetch(endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '3' } });
      const loc = r.headers.get('location')!;
      if (locationStyle === 'absolute') expect(loc.startsWith(proxy.origin + '/files/')).toBe(true);
      if (locationStyle === 'protocol-relative') expect(loc.startsWith(`//127.0.0.1:${proxy.port}/files/`)).toBe(true);
      if (locationStyle === 'relative') expect(loc.startsWith('/files/')).toBe(true);
      const url = new URL(loc, endpoint).href;
      expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
      expect(await server.sha256(url)).toBe(sha256Buffer(Buffer.from('abc')));
      expect(proxy.stats).toEqual({ requests: 2, faultsInjected: 0 });
    }
  });

  it('reset: forwards afterBytes of the body, then cuts both connections; resuming completes the upload', async () => {
    const { server, proxy, endpoint } = await setup();
    const data = randomBytes(200_000);
    const url = await create(endpoint, data.length);
    proxy.addFault({ kind: 'reset', afterBytes: 50_000, match: { method: 'PATCH' } });
    await expect(patch(url, 0, data)).rejects.toThrow();
    await expect.poll(() => server.upload(url)?.offset).toBe(50_000);
    const head = await fetch(url, { method: 'HEAD', headers: TUS });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(50_000);
    expect((await patch(url, offset, data.subarray(offset))).status).toBe(204);
    expect(await server.sha256(url)).toBe(sha256Buffer(data));
    expect(proxy.stats.faultsInjected).toBe(1);
  });

  it('reset beyond the body: the server completes but the client never gets the answer', async () => {
    const { server, proxy, endpoint } = await setup();
    const data = randomBytes(10_000);
    const url = await create(endpoint, data.length);
    proxy.addFault({ kind: 'reset', afterBytes: Infinity, match: { method: 'PATCH' } });
    await expect(patch(url, 0, data)).rejects.toThrow();
    expect(server.upload(url)?.complete).toBe(true);
    expect(await server.sha256(url)).toBe(sha256Buffer(data));
  });

  it('status: answers the injected status `times` times without forwarding, then passes through', async () => {
    const { server, proxy, endpoint } = await setup();
    const url = await create(endpoint, 3);
    proxy.addFault({ kind: 'status', status: 503, body: 'busy', match: { method: 'PATCH', times: 2 } });
    const r1 = await patch(url, 0, Buffer.from('abc'));
    expect(r1.status).toBe(503);
    expect(await r1.text()).toBe('busy');
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(503);
    expect(server.upload(url)?.offset).toBe(0);
    expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
    expect(proxy.stats).toEqual({ requests: 4, faultsInjected: 2 });
  });

  it('nth: only the nth matching request gets the fault (423 on the second PATCH)', async () => {
    const { server, proxy, endpoint } = await setup();
    const data = randomBytes(30);
    const url = await create(endpoint, data.length);
    proxy.addFault({ kind: 'status', status: 423, match: { method: 'PATCH', nth: 2 } });
    expect((await patch(url, 0, data.subarray(0, 10))).status).toBe(204);
    expect((await patch(url, 10, data.subarray(10, 20))).status).toBe(423);
    expect((await patch(url, 10, data.subarray(10, 20))).status).toBe(204);
    expect((await patch(url, 20, data.subarray(20))).status).toBe(204);
    expect(await server.sha256(url)).toBe(sha256Buffer(data));
    expect(proxy.log.map((e) => e.status)).toEqual([201, 204, 423, 204, 204]);
  });

  it('stall: holds the request for ms, then forwards it; a client that gives up earlier fails', async () => {
    const { server, proxy, endpoint } = await setup();
    const url = await create(endpoint, 6);
    proxy.addFault({ kind: 'stall', ms: 300, match: { method: 'PATCH' } });
    const t0 = Date.now();
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    proxy.addFault({ kind: 'stall', ms: 5000, match: { method: 'PATCH' } });
    await expect(patch(url, 3, Buffer.from('def'), AbortSignal.timeout(150))).rejects.toThrow();
    expect(server.upload(url)?.offset).toBe(3);
    expect((await patch(url, 3, Buffer.from('def'))).status).toBe(204);
    expect(await server.sha256(url)).toBe(sha256Buffer(Buffer.from('abcdef')));
  });

  it('trickle: forwards the body at the given rate', async () => {
    const { server, proxy, endpoint } = await setup();
    const data = randomBytes(40_000);
    const url = await create(endpoint, data.length);
    proxy.addFault({ kind: 'trickle', bytesPerSecond: 100_000, match: { method: 'PATCH' } });
    const t0 = Date.now();
    expect((await patch(url, 0, data)).status).toBe(204);
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(3000);
    expect(await server.sha256(url)).toBe(sha256Buffer(data));
  });

  it('offset-drift: a PATCH gets 409 while the server is untouched; HEAD is not affected', async () => {
    const { server, proxy, endpoint } = await setup();
    const url = await create(endpoint, 3);
    proxy.addFault({ kind: 'offset-drift' });
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.status).toBe(200);
    const r = await patch(url, 0, Buffer.from('abc'));
    expect(r.status).toBe(409);
    expect(server.upload(url)?.offset).toBe(0);
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
  });

  it('down: destroys connections until cleared', async () => {
    const { proxy, endpoint } = await setup();
    proxy.addFault({ kind: 'down', match: { times: Infinity } });
    await expect(fetch(endpoint, { method: 'OPTIONS' })).rejects.toThrow();
    await expect(fetch(endpoint, { method: 'OPTIONS' })).rejects.toThrow();
    proxy.clearFaults();
    expect((await fetch(endpoint, { method: 'OPTIONS' })).status).toBe(204);
    expect(proxy.stats.faultsInjected).toBeGreaterThanOrEqual(2);
  });

  it('answers 502 when the target is gone', async () => {
    const { server, endpoint } = await setup();
    await server.close();
    const r = await fetch(endpoint, { method: 'OPTIONS' });
    expect(r.status).toBe(502);
    expect(await r.text()).toMatch(/target/);
  });
});
