import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { startDiscardServer, type DiscardServer } from './discard';

const servers: DiscardServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

const TUS = { 'Tus-Resumable': '1.0.0' };

async function create(s: DiscardServer, length: number): Promise<string> {
  const r = await fetch(s.endpoint, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(length) } });
  expect(r.status).toBe(201);
  return r.headers.get('location')!;
}

function patch(url: string, offset: number, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...headers },
    body,
  });
}

describe('discard server', () => {
  it('counts PATCH bytes, advances the offset and answers HEAD', async () => {
    const s = await startDiscardServer();
    servers.push(s);
    const url = await create(s, 300_000);
    expect((await patch(url, 0, randomBytes(100_000))).headers.get('upload-offset')).toBe('100000');
    expect((await patch(url, 100_000, randomBytes(200_000))).headers.get('upload-offset')).toBe('300000');
    expect((await patch(url, 0, randomBytes(1))).status).toBe(409);
    const h = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(h.headers.get('upload-offset')).toBe('300000');
    expect(h.headers.get('upload-length')).toBe('300000');
    expect(s.bytesReceived()).toBe(300_000);
    expect(s.upload(url)).toEqual({ offset: 300_000, length: 300_000 });
  });

  it('verifies checksums when enabled: 204 on match, 460 on mismatch, 400 on unknown algorithm', async () => {
    const s = await startDiscardServer({ checksum: 'sha256' });
    servers.push(s);
    const o = await fetch(s.endpoint, { method: 'OPTIONS' });
    expect(o.headers.get('tus-checksum-algorithm')).toBe('sha256');
    expect(o.headers.get('tus-extension')).toContain('checksum');
    const data = randomBytes(50_000);
    const url = await create(s, data.length);
    const good = createHash('sha256').update(data).digest('base64');
    expect((await patch(url, 0, data, { 'Upload-Checksum': `sha256 ${createHash('sha256').update('x').digest('base64')}` })).status).toBe(460);
    expect((await patch(url, 0, data, { 'Upload-Checksum': `sha1 ${good}` })).status).toBe(400);
    expect(s.upload(url)?.offset).toBe(0);
    expect((await patch(url, 0, data, { 'Upload-Checksum': `sha256 ${good}` })).status).toBe(204);
    expect(s.upload(url)?.offset).toBe(50_000);
  });

  it('with verifyChecksum: false accepts any digest of an advertised algorithm', async () => {
    const s = await startDiscardServer({ checksum: 'sha256', verifyChecksum: false });
    servers.push(s);
    const url = await create(s, 10);
    expect((await patch(url, 0, randomBytes(10), { 'Upload-Checksum': 'sha256 AAAA' })).status).toBe(204);
    expect((await patch(url, 10, randomBytes(0), { 'Upload-Checksum': 'md5 AAAA' })).status).toBe(400);
  });

  it('rejects requests without Tus-Resumable and unknown uploads', async () => {
    const s = await startDiscardServer();
    servers.push(s);
    expect((await fetch(s.endpoint, { method: 'POST', headers: { 'Upload-Length': '1' } })).status).toBe(412);
    expect((await fetch(`${s.endpoint}/999`, { method: 'HEAD', headers: TUS })).status).toBe(404);
  });
});
