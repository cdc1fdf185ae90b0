import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CallableFingerprinter,
  DefaultFingerprinter,
  FileUrlStorage,
  MemoryUrlStorage,
  PartialMd5Fingerprinter,
  TusError,
  chooseChecksum,
  digestBase64,
  encodeMetadata,
  errorFromStatus,
  fileTypeFor,
  parseMetadata,
  parseServerInfo,
  resolveLocation,
  retryDelay,
  retryWait,
  shouldRetry,
  parseRetryAfter,
  MAX_RETRY_AFTER_MS,
  parseHttpUrl,
  MAX_RETRY_DELAY_MS,
} from '../../main/engine/tus';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await removeDir(dirs.pop() as string);
});

describe('retry policy', () => {
  const net = new TusError('network', 'x', { retryable: true });
  const forbidden = new TusError('forbidden', 'x');
  it('retries retryable errors up to maxRetries and never others', () => {
    expect(shouldRetry(net, 0, { maxRetries: 3 })).toBe(true);
    expect(shouldRetry(net, 2, { maxRetries: 3 })).toBe(true);
    expect(shouldRetry(net, 3, { maxRetries: 3 })).toBe(false);
    expect(shouldRetry(net, 0, { maxRetries: 0 })).toBe(false);
    expect(shouldRetry(net, 1000, { maxRetries: Infinity })).toBe(true);
    expect(shouldRetry(forbidden, 0, { maxRetries: 3 })).toBe(false);
  });
  it('asks onShouldRetry last', () => {
    const seen: number[] = [];
    expect(shouldRetry(net, 1, { maxRetries: 3, onShouldRetry: (_e, a) => (seen.push(a), false) })).toBe(false);
    expect(seen).toEqual([1]);
  });
  it('backs off exponentially with full jitter, capped at 60 s', () => {
    expect(retryDelay(0, 1000, () => 0.999999)).toBe(999);
    expect(retryDelay(3, 1000, () => 0.5)).toBe(4000);
    expect(retryDelay(20, 1000, () => 0.999999)).toBeLessThan(MAX_RETRY_DELAY_MS);
    expect(retryDelay(20, 1000, () => 0.999999)).toBeGreaterThan(59_000);
    expect(retryDelay(5, 1000, () => 0)).toBe(0);
  });
  it("reads Retry-After as seconds or an HTTP date, capped, and ignores anything else", () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:59:00 GMT', now)).toBe(0); // already past
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    for (const bad of [undefined, '', '-5', '1.5', 'soon', '2026-11-21', 'Sat, 99 Foo 2026 10:00:00 GMT']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
  it("waits the server's Retry-After when it is longer than the backoff, and the backoff otherwise", () => {
    const limited = new TusError('rate-limited', 'x', { retryable: true, retryAfterMs: 5000 });
    expect(retryWait(limited, 0, 1000, () => 0.5)).toBe(5000);
    expect(retryWait(limited, 4, 1000, () => 0.5)).toBe(8000);
    expect(retryWait(net, 0, 1000, () => 0.5)).toBe(500);
  });
});

describe('metadata', () => {
  it('encodes values as base64 and parses them back, unicode included', () => {
    const md = { filename: 'résumé "final".pdf', empty: '', filetype: 'application/pdf' };
    const header = encodeMetadata(md);
    expect(header).toContain(`filename ${Buffer.from(md.filename).toString('base64')}`);
    expect(header).toContain('empty,');
    expect(parseMetadata(header)).toEqual(md);
  });
  it.each(['', 'has space', 'a,b'])('rejects the key %j with a hint', (key) => {
    try {
      encodeMetadata({ [key]: 'v' });
      expect.unreachable();
    } catch (e) {
      expect((e as TusError).code).toBe('invalid-argument');
      expect((e as TusError).message).toMatch(/no spaces or commas/);
    }
  });
});

describe('urls', () => {
  it('resolves absolute, relative and protocol-relative Location', () => {
    const base = 'http://127.0.0.1:1080/api/files';
    expect(resolveLocation('http://other:9/files/a', base)).toBe('http://other:9/files/a');
    expect(resolveLocation('/files/abc', base)).toBe('http://127.0.0.1:1080/files/abc');
    expect(resolveLocation('//cdn.example:8080/files/x', base)).toBe('http://cdn.example:8080/files/x');
  });
  it('rejects malformed and non-http endpoints with invalid-url', () => {
    expect(() => parseHttpUrl('not a url')).toThrow(/not a valid URL.*https:\/\/example.com/);
    expect(() => parseHttpUrl('ftp://x/files')).toThrow(TusError);
  });
});

describe('checksum', () => {
  it("'auto' picks the strongest advertised, or none", () => {
    expect(chooseChecksum('auto', ['md5', 'sha1', 'sha256'])).toBe('sha256');
    expect(chooseChecksum(undefined, ['SHA512', 'md5'])).toBe('sha512');
    expect(chooseChecksum('auto', [])).toBeUndefined();
    expect(chooseChecksum(false, ['sha1'])).toBeUndefined();
    expect(chooseChecksum('none', ['sha1'])).toBeUndefined();
    expect(chooseChecksum(true, ['sha1'])).toBe('sha1');
  });
  it('a named algorithm the server lacks is a clear unsupported error', () => {
    try {
      chooseChecksum('sha512', ['sha1', 'md5']);
      expect.unreachable();
    } catch (e) {
      expect((e as TusError).code).toBe('unsupported');
      expect((e as TusError).message).toMatch(/sha512.*It supports sha1, md5/);
    }
  });
  it.each(['sha1', 'sha256', 'sha512', 'md5'] as const)('%s digest matches node:crypto', async (alg) => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 7);
    expect(await digestBase64(alg, data)).toBe(createHash(alg).update(data).digest('base64'));
  });
});

describe('fingerprints', () => {
  it('PartialMd5Fingerprinter matches tus-py-client (size + md5 of the first 64 KiB)', async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    const path = join(dir, 'f.bin');
    await writeRandomFile(path, 200_000);
    const bytes = await readFile(path);
    const expected = `size:200000--md5:${createHash('md5').update(bytes.subarray(0, 65536)).digest('hex')}`;
    const fp = await new PartialMd5Fingerprinter().fingerprint({ kind: 'file', path, size: 200000, mtimeMs: 1 }, 'http://x/files');
    expect(fp).toBe(expected);
  });
  it('default fingerprint depends on path, size, mtime and endpoint; streams have none', async () => {
    const f = new DefaultFingerprinter();
    const a = await f.fingerprint({ kind: 'file', path: '/a', size: 1, mtimeMs: 5 }, 'http://x/files');
    expect(a).toBe(await f.fingerprint({ kind: 'file', path: '/a', size: 1, mtimeMs: 5 }, 'http://x/files'));
    expect(a).not.toBe(await f.fingerprint({ kind: 'file', path: '/a', size: 2, mtimeMs: 5 }, 'http://x/files'));
    expect(a).not.toBe(await f.fingerprint({ kind: 'file', path: '/a', size: 1, mtimeMs: 5 }, 'http://y/files'));
    expect(await f.fingerprint({ kind: 'stream' }, 'http://x/files')).toBeUndefined();
  });
  it('CallableFingerprinter calls the function', async () => {
    const f = new CallableFingerprinter((s, e) => `${s.kind}@${e}`);
    expect(await f.fingerprint({ kind: 'stream' }, 'E')).toBe('stream@E');
  });
});

describe('URL storage', () => {
  it('FileUrlStorage persists atomically across instances and leaves no temp files', async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    const path = join(dir, 'sub', 'urls.json');
    const s = new FileUrlStorage(path);
    await Promise.all([s.set('a', 'http://x/1'), s.set('b', 'http://x/2'), s.set('c', 'http://x/3')]);
    await s.remove('b');
    const again = new FileUrlStorage(path);
    expect(await again.get('a')).toBe('http://x/1');
    expect(await again.get('b')).toBeUndefined();
    expect((await again.list()).map((e) => e.fingerprint).sort()).toEqual(['a', 'c']);
    expect(await readdir(join(dir, 'sub'))).toEqual(['urls.json']);
  });
  it('a corrupt storage file is a clear error', async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    const path = join(dir, 'urls.json');
    await writeFile(path, '{oops');
    await expect(new FileUrlStorage(path).get('a')).rejects.toThrow(/not valid JSON.*Delete or repair/);
    await expect(new FileUrlStorage(path).get('a')).rejects.toMatchObject({ code: 'url-storage' });
  });
  it('a storage whose folder is not a directory: reads and writes fail as url-storage errors naming the file', async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    await writeFile(join(dir, 'plain'), 'x');
    const path = join(dir, 'plain', 'urls.json');
    const s = new FileUrlStorage(path);
    await expect(s.get('a')).rejects.toMatchObject({ code: 'url-storage', message: expect.stringContaining(`Cannot read the stored upload URLs in ${path}`) });
    await expect(s.set('a', 'http://x/1')).rejects.toMatchObject({ code: 'url-storage' });
    await expect(new FileUrlStorage(join(dir, 'other', 'urls.json')).get('a')).resolves.toBeUndefined(); // missing is simply empty
  });
  it('MemoryUrlStorage', async () => {
    const s = new MemoryUrlStorage();
    await s.set('k', 'u');
    expect(await s.list()).toEqual([{ fingerprint: 'k', url: 'u' }]);
    await s.remove('k');
    expect(await s.get('k')).toBeUndefined();
  });
});

describe('server info and errors', () => {
  it('tolerates 204 and a missing Tus-Version', () => {
    const info = parseServerInfo('http://x/files', {
      status: 204,
      body: '',
      headers: { 'tus-resumable': '1.0.0', 'tus-extension': 'creation, termination', 'tus-max-size': '100' },
    });
    expect(info).toMatchObject({ version: '1.0.0', extensions: ['creation', 'termination'], maxSize: 100, status: 204 });
  });
  it('an OPTIONS answer about the request itself (a proxy login, headers too large) is that error, not "not a tus server"', () => {
    const proxyLogin = (() => {
      try {
        parseServerInfo('http://x/files', { status: 407, body: '', headers: { 'proxy-authenticate': 'Basic' } });
      } catch (e) {
        return e as TusError;
      }
    })();
    expect(proxyLogin).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/proxy asks for a login/) });
    expect(() => parseServerInfo('http://x/files', { status: 431, body: '', headers: {} })).toThrow(/long file names or folder paths/);
    expect(() => parseServerInfo('http://x/files', { status: 418, body: '', headers: {} })).toThrow(/does not look like a tus endpoint/);
  });
  it('an ordinary web page is not-tus', () => {
    expect(() => parseServerInfo('http://x/', { status: 200, body: '<html>', headers: { 'content-type': 'text/html' } })).toThrow(
      /not a tus server.*Check the endpoint URL/,
    );
  });
  it('maps statuses to codes with hints and keeps the server words short', () => {
    const e = errorFromStatus('PATCH', 'http://x/files/1', { status: 503, body: 'x'.repeat(5000) }, 'Upload failed');
    expect(e.code).toBe('server');
    expect(e.retryable).toBe(true);
    expect(e.serverMessage?.length).toBeLessThan(600);
    expect(errorFromStatus('POST', 'u', { status: 412, body: '' }, 'w').code).toBe('version');
    expect(errorFromStatus('POST', 'u', { status: 413, body: '' }, 'w').code).toBe('too-large');
    expect(errorFromStatus('POST', 'u', { status: 423, body: '' }, 'w').retryable).toBe(true);
    // A proxy in front of the server (not one Tusk was told about) asking for a login.
    expect(errorFromStatus('PATCH', 'u', { status: 407, body: '' }, 'w')).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/proxy asks for a login \(407\).*user:password@host:port/) });
    expect(errorFromStatus('POST', 'u', { status: 403, body: '' }, 'w').message).toMatch(/credentials/);
  });
  it("429 is rate-limited and 507 out of storage, both retryable, with the server's Retry-After", () => {
    const limited = errorFromStatus('PATCH', 'u', { status: 429, body: '', headers: { 'retry-after': '90' } }, 'w');
    expect(limited).toMatchObject({ code: 'rate-limited', retryable: true, retryAfterMs: 90_000, status: 429 });
    expect(limited.message).toMatch(/slow down \(429 Too Many Requests\)\. It asked to wait 1 min 30 s\..*Retry-After/);
    const full = errorFromStatus('PATCH', 'u', { status: 507, body: 'no space', headers: {} }, 'w');
    expect(full).toMatchObject({ code: 'server', retryable: true, retryAfterMs: undefined });
    expect(full.message).toMatch(/out of storage \(507\).*no space.*free space/);
    expect(errorFromStatus('PATCH', 'u', { status: 503, body: '', headers: { 'retry-after': '7' } }, 'w')).toMatchObject({ retryAfterMs: 7000 });
    // Only a refusal that may pass is "come back later": a 400 with the header is still a plain failure.
    expect(errorFromStatus('PATCH', 'u', { status: 400, body: '', headers: { 'retry-after': '7' } }, 'w')).toMatchObject({ retryable: false, retryAfterMs: undefined });
  });
  it('a redirect names its target, resolved against the request URL', () => {
    const e = errorFromStatus('PATCH', 'http://h/files/1', { status: 307, body: '', headers: { location: '../elsewhere/1' } }, 'w');
    expect(e).toMatchObject({ code: 'http', retryable: false });
    expect(e.message).toMatch(/redirects \(307\) to http:\/\/h\/elsewhere\/1\..*does not follow redirects/);
    // A 3xx without a Location is only an unexpected status.
    expect(errorFromStatus('PATCH', 'u', { status: 304, body: '', headers: {} }, 'w').message).toMatch(/unexpected HTTP status 304/);
  });
  it('a 429 to OPTIONS from a limiter without tus headers is rate-limited, not "not a tus server"', () => {
    expect(() => parseServerInfo('http://x/files', { status: 429, body: 'slow down', headers: { 'retry-after': '3' } })).toThrow(
      expect.objectContaining({ code: 'rate-limited', retryAfterMs: 3000 }),
    );
  });
  it('file types come from the extension', () => {
    expect(fileTypeFor('/a/B.JPG')).toBe('image/jpeg');
    expect(fileTypeFor('x.unknownext')).toBe('application/octet-stream');
    expect(fileTypeFor('noext')).toBe('application/octet-stream');
  });
});
