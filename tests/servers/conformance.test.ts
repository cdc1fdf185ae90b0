import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { sha256Buffer } from '../helpers/files';
import { startConformanceServer, type ConformanceServer, type ConformanceServerOptions } from './conformance';

const servers: ConformanceServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(opts: ConformanceServerOptions = {}): Promise<ConformanceServer> {
  const s = await startConformanceServer(opts);
  servers.push(s);
  return s;
}

const TUS = { 'Tus-Resumable': '1.0.0' };
const OCTET = { ...TUS, 'Content-Type': 'application/offset+octet-stream' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function create(s: ConformanceServer, headers: Record<string, string>): Promise<string> {
  const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, ...headers } });
  expect(r.status, await r.text()).toBe(201);
  return new URL(r.headers.get('location')!, s.endpoint).href;
}

function patch(url: string, offset: number, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PATCH', headers: { ...OCTET, 'Upload-Offset': String(offset), ...headers }, body });
}

function digest(algo: string, data: Uint8Array): string {
  return createHash(algo).update(data).digest('base64');
}

describe('conformance server: core', () => {
  it('OPTIONS advertises version, extensions, max size and checksum algorithms', async () => {
    const s = await start({ maxSize: 1 << 30 });
    const r = await fetch(s.endpoint, { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers.get('tus-version')).toBe('1.0.0');
    expect(r.headers.get('tus-extension')).toBe('creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,concatenation');
    expect(r.headers.get('tus-max-size')).toBe(String(1 << 30));
    expect(r.headers.get('tus-checksum-algorithm')).toBe('sha1,sha256,sha512,md5');
  });

  it('answers 412 with Tus-Version when Tus-Resumable is missing or unsupported, without processing', async () => {
    const s = await start();
    const r = await fetch(s.endpoint, { method: 'POST', headers: { 'Tus-Resumable': '0.2.2', 'Upload-Length': '5' } });
    expect(r.status).toBe(412);
    expect(r.headers.get('tus-version')).toBe('1.0.0');
    const r2 = await fetch(s.endpoint, { method: 'POST', headers: { 'Upload-Length': '5' } });
    expect(r2.status).toBe(412);
    expect(s.uploadCount()).toBe(0);
  });

  it('HEAD returns offset, length, metadata and Cache-Control: no-store; 404 for unknown uploads', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '10', 'Upload-Metadata': `filename ${b64('a b.txt')},empty` });
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.status).toBe(200);
    expect(h.headers.get('upload-offset')).toBe('0');
    expect(h.headers.get('upload-length')).toBe('10');
    expect(h.headers.get('cache-control')).toBe('no-store');
    expect(h.headers.get('tus-resumable')).toBe('1.0.0');
    expect(h.headers.get('upload-metadata')).toBe(`filename ${b64('a b.txt')},empty`);
    expect(s.upload(url)?.metadata).toEqual({ filename: 'a b.txt', empty: '' });
    const missing = await fetch(`${s.endpoint}/nope`, { method: 'HEAD', headers: TUS });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('upload-offset')).toBeNull();
  });

  it('PATCH appends at the offset and answers 204 with the new offset; the stored bytes match', async () => {
    const s = await start();
    const data = randomBytes(300_000);
    const url = await create(s, { 'Upload-Length': String(data.length) });
    const r1 = await patch(url, 0, data.subarray(0, 100_000));
    expect(r1.status).toBe(204);
    expect(r1.headers.get('upload-offset')).toBe('100000');
    const r2 = await patch(url, 100_000, data.subarray(100_000));
    expect(r2.headers.get('upload-offset')).toBe('300000');
    expect(s.upload(url)?.complete).toBe(true);
    expect(await s.sha256(url)).toBe(sha256Buffer(data));
  });

  it('PATCH with a wrong offset gets 409 and changes nothing', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '10' });
    const r = await patch(url, 3, Buffer.from('abc'));
    expect(r.status).toBe(409);
    expect(s.upload(url)?.offset).toBe(0);
  });

  it('PATCH with a wrong Content-Type gets 415, or the configured 400/406', async () => {
    for (const status of [undefined, 400, 406] as const) {
      const s = await start(status ? { wrongContentTypeStatus: status } : {});
      const url = await create(s, { 'Upload-Length': '3' });
      const r = await fetch(url, { method: 'PATCH', headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/octet-stream' }, body: 'abc' });
      expect(r.status).toBe(status ?? 415);
      expect(s.upload(url)?.offset).toBe(0);
    }
  });

  it('keeps the bytes of a PATCH whose connection breaks mid-body', async () => {
    const s = await start();
    const url = new URL(await create(s, { 'Upload-Length': '1000' }));
    const sock = connect(s.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      `PATCH ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        `Content-Type: application/offset+octet-stream\r\nContent-Length: 1000\r\n\r\n`,
    );
    const part = randomBytes(400);
    sock.write(part);
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    await expect.poll(() => s.upload(url.href)?.offset).toBe(400);
    expect(await s.sha256(url.href)).toBe(sha256Buffer(part));
  });

  it('honours X-HTTP-Method-Override', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '3' });
    const r = await fetch(url, { method: 'POST', headers: { ...OCTET, 'X-HTTP-Method-Override': 'PATCH', 'Upload-Offset': '0' }, body: 'abc' });
    expect(r.status).toBe(204);
    expect(s.upload(url)?.offset).toBe(3);
  });

  it('OPTIONS and HEAD may answer 200 or 204, Tus-Version may be omitted', async () => {
    const s = await start({ optionsStatus: 200, headStatus: 204, omitTusVersion: true });
    const o = await fetch(s.endpoint, { method: 'OPTIONS' });
    expect(o.status).toBe(200);
    expect(o.headers.get('tus-version')).toBeNull();
    const url = await create(s, { 'Upload-Length': '3' });
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.status).toBe(204);
    expect(h.headers.get('upload-offset')).toBe('0');
  });
});

describe('conformance server: creation', () => {
  it('answers 201 with an absolute, relative or protocol-relative Location', async () => {
    const abs = await start();
    const r1 = await fetch(abs.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1' } });
    expect(r1.headers.get('location')).toMatch(new RegExp(`^${abs.origin}/files/[0-9a-f]{32}$`));
    const rel = await start({ locationStyle: 'relative' });
    const r2 = await fetch(rel.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1' } });
    expect(r2.headers.get('location')).toMatch(/^\/files\/[0-9a-f]{32}$/);
    const pr = await start({ locationStyle: 'protocol-relative' });
    const r3 = await fetch(pr.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1' } });
    expect(r3.headers.get('location')).toBe(`//127.0.0.1:${pr.port}/files/${pr.uploadIds()[0]}`);
  });

  it('requires Upload-Length or Upload-Defer-Length and rejects malformed metadata', async () => {
    const s = await start();
    expect((await fetch(s.endpoint, { method: 'POST', headers: TUS })).status).toBe(400);
    const bad = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': 'k not*base64' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/base64/);
  });

  it('answers 413 beyond Tus-Max-Size', async () => {
    const s = await start({ maxSize: 100 });
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '101' } });
    expect(r.status).toBe(413);
    expect(s.uploadCount()).toBe(0);
  });

  it('creation-with-upload stores the POST body and returns Upload-Offset', async () => {
    const s = await start();
    const data = randomBytes(5000);
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...OCTET, 'Upload-Length': '8000' }, body: data });
    expect(r.status).toBe(201);
    expect(r.headers.get('upload-offset')).toBe('5000');
    expect(await s.sha256(r.headers.get('location')!)).toBe(sha256Buffer(data));
  });

  it('creation-defer-length: the length is set once by a PATCH and cannot change', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Defer-Length': '1' });
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.headers.get('upload-defer-length')).toBe('1');
    expect(h.headers.get('upload-length')).toBeNull();
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
    const r = await patch(url, 3, Buffer.from('def'), { 'Upload-Length': '6' });
    expect(r.status).toBe(204);
    expect(s.upload(url)).toMatchObject({ offset: 6, length: 6, complete: true });
    const again = await patch(url, 6, Buffer.alloc(0), { 'Upload-Length': '7' });
    expect(again.status).toBe(400);
  });

  it('tuspyserver-style: 400 without filename+filetype; unknown metadata dropped', async () => {
    const s = await start({ requireFilenameFiletype: true, dropUnknownMetadata: true });
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1', 'Upload-Metadata': `filename ${b64('x')}` } });
    expect(r.status).toBe(400);
    const url = await create(s, { 'Upload-Length': '1', 'Upload-Metadata': `filename ${b64('x')},filetype ${b64('text/plain')},extra ${b64('y')}` });
    expect(s.upload(url)?.metadata).toEqual({ filename: 'x', filetype: 'text/plain' });
  });

  it('Plone-style: endpoint under a content path, final PATCH carries the content Location', async () => {
    const s = await start({ basePath: '/plone/folder/@tus-upload', finalLocation: (id) => `http://127.0.0.1/plone/folder/${id}` });
    expect(s.endpoint).toBe(`${s.origin}/plone/folder/@tus-upload`);
    const url = await create(s, { 'Upload-Length': '4' });
    expect(url).toMatch(/\/plone\/folder\/@tus-upload\/[0-9a-f]{32}$/);
    const r1 = await patch(url, 0, Buffer.from('ab'));
    expect(r1.headers.get('location')).toBeNull();
    const r2 = await patch(url, 2, Buffer.from('cd'));
    expect(r2.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1\/plone\/folder\/[0-9a-f]{32}$/);
  });
});

describe('conformance server: expiration and termination', () => {
  it('sends Upload-Expires on POST, PATCH and HEAD and answers 410 after expiry', async () => {
    const s = await start({ expiresInMs: 300 });
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '10' } });
    const expires = r.headers.get('upload-expires');
    expect(expires).toMatch(/GMT$/);
    expect(Date.parse(expires!)).toBeGreaterThan(Date.now() - 1000);
    const url = new URL(r.headers.get('location')!, s.endpoint).href;
    expect((await patch(url, 0, Buffer.from('a'))).headers.get('upload-expires')).toBe(expires);
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).headers.get('upload-expires')).toBe(expires);
    await new Promise((res) => setTimeout(res, 1100)); // IMF-fixdate has 1 s resolution
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(410);
  });

  it('expire() makes an upload gone at once', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '10' });
    s.expire(url);
    expect((await patch(url, 0, Buffer.from('a'))).status).toBe(410);
  });

  it('DELETE terminates: 204, then 410', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '10' });
    expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(204);
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(410);
    expect(s.uploadCount()).toBe(0);
  });
});

describe('conformance server: checksum', () => {
  for (const algo of ['sha1', 'sha256', 'sha512', 'md5']) {
    it(`accepts a chunk with a correct ${algo} checksum`, async () => {
      const s = await start();
      const data = randomBytes(10_000);
      const url = await create(s, { 'Upload-Length': String(data.length) });
      const r = await patch(url, 0, data, { 'Upload-Checksum': `${algo} ${digest(algo, data)}` });
      expect(r.status).toBe(204);
      expect(await s.sha256(url)).toBe(sha256Buffer(data));
    });
  }

  it('answers 460 on a mismatch and discards the chunk', async () => {
    const s = await start();
    const data = randomBytes(10_000);
    const url = await create(s, { 'Upload-Length': String(data.length) });
    const r = await patch(url, 0, data, { 'Upload-Checksum': `sha256 ${digest('sha256', randomBytes(10))}` });
    expect(r.status).toBe(460);
    expect(s.upload(url)?.offset).toBe(0);
    const ok = await patch(url, 0, data, { 'Upload-Checksum': `sha256 ${digest('sha256', data)}` });
    expect(ok.status).toBe(204);
    expect(await s.sha256(url)).toBe(sha256Buffer(data));
  });

  it('answers 400 for an unsupported algorithm', async () => {
    const s = await start({ checksumAlgorithms: ['sha1'] });
    const url = await create(s, { 'Upload-Length': '3' });
    const r = await patch(url, 0, Buffer.from('abc'), { 'Upload-Checksum': `sha256 ${digest('sha256', Buffer.from('abc'))}` });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/sha1/);
    expect(s.upload(url)?.offset).toBe(0);
  });
});

describe('conformance server: concatenation', () => {
  it('builds the final upload from the partials in order, with Upload-Concat on HEAD', async () => {
    const s = await start();
    const a = randomBytes(7000);
    const b = randomBytes(3000);
    const ua = await create(s, { 'Upload-Concat': 'partial', 'Upload-Length': String(a.length) });
    const ub = await create(s, { 'Upload-Concat': 'partial', 'Upload-Length': String(b.length) });
    await patch(ub, 0, b);
    await patch(ua, 0, a);
    expect((await fetch(ua, { method: 'HEAD', headers: TUS })).headers.get('upload-concat')).toBe('partial');
    const concat = `final;${new URL(ua).pathname} ${ub}`;
    const final = await create(s, { 'Upload-Concat': concat });
    const h = await fetch(final, { method: 'HEAD', headers: TUS });
    expect(h.headers.get('upload-concat')).toBe(concat);
    expect(h.headers.get('upload-length')).toBe('10000');
    expect(h.headers.get('upload-offset')).toBe('10000');
    expect(s.upload(final)).toMatchObject({ concat: 'final', complete: true, parts: [s.upload(ua)!.id, s.upload(ub)!.id] });
    expect(await s.sha256(final)).toBe(sha256Buffer(Buffer.concat([a, b])));
  });

  it('answers 400 when a partial is incomplete, 403 to a PATCH on a final upload', async () => {
    const s = await start();
    const ua = await create(s, { 'Upload-Concat': 'partial', 'Upload-Length': '4' });
    await patch(ua, 0, Buffer.from('ab'));
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Concat': `final;${ua}` } });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/incomplete/);
    await patch(ua, 2, Buffer.from('cd'));
    const final = await create(s, { 'Upload-Concat': `final;${ua}` });
    expect((await patch(final, 4, Buffer.from('x'))).status).toBe(403);
  });
});

describe('conformance server: harness', () => {
  it('restart() keeps uploads and the port; the request log records statuses', async () => {
    const s = await start();
    const url = await create(s, { 'Upload-Length': '6' });
    await patch(url, 0, Buffer.from('abc'));
    await s.restart();
    // The restart killed the pooled keep-alive socket; let undici notice before reusing it.
    await new Promise((r) => setTimeout(r, 50));
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.headers.get('upload-offset')).toBe('3');
    expect(s.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'PATCH 204', 'HEAD 200']);
  });

  it('sends CORS headers and answers preflights when asked', async () => {
    const s = await start({ corsExposeHeaders: true });
    const pre = await fetch(s.endpoint, { method: 'OPTIONS', headers: { Origin: 'http://x', 'Access-Control-Request-Method': 'POST' } });
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1' } });
    expect(r.headers.get('access-control-expose-headers')).toContain('Upload-Offset');
  });
});
