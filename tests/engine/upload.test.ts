import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { TusClient, MemoryUrlStorage, type UploadEvent, type RateLimiter, type TusError } from '../../main/engine/tus';
import { startTusNodeServer, type TusNodeServer } from '../servers/tus-node';
import { startConformanceServer, type ConformanceServer } from '../servers/conformance';
import { makeTempDir, removeDir, sha256File, writeRandomFile } from '../helpers/files';
import { BUFFERED_BODY_MAX, CHECKSUMMED_BODY_MAX, bodyPieceSize, readAheadTooLate } from '../../main/engine/tus/body-read-ahead';
import { FileSource, READ_BLOCK, SLICE_SIZE } from '../../main/engine/tus/sources';

let dir: string;
let tusNode: TusNodeServer;
let conf: ConformanceServer;
const clients: TusClient[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

function client(endpoint: string, extra: Partial<ConstructorParameters<typeof TusClient>[0]> = {}): TusClient {
  const c = new TusClient({ endpoint, retryDelay: 10, ...extra });
  clients.push(c);
  return c;
}

async function file(name: string, size: number, seed = 1): Promise<{ path: string; sha: string }> {
  const path = join(dir, name);
  const sha = await writeRandomFile(path, size, seed);
  return { path, sha };
}

beforeAll(async () => {
  dir = await makeTempDir('tusk-engine-');
  tusNode = await startTusNodeServer();
  conf = await startConformanceServer();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  await tusNode?.close();
  await conf?.close();
  await removeDir(dir);
});

describe('@tus/server', () => {
  for (const active of [false, true]) {
    it(`a rate limiter that is ${active ? 'on gets 64 KiB slices' : 'off is not asked, and whole blocks go out'} (checksum off and sha256)`, async () => {
      for (const checksum of [false, 'sha256'] as const) {
        const f = await file(`limited-${active}-${checksum || 'plain'}.bin`, 3 * 1024 * 1024 + 5, 31);
        const takes: number[] = [];
        const limiter = { active, take: async (n: number) => void takes.push(n) };
        const endpoint = checksum ? conf.endpoint : tusNode.endpoint;
        const r = await client(endpoint, { chunkSize: 1024 * 1024, rateLimiter: limiter, creationWithUpload: false }).uploadFile({ path: f.path, checksum });
        const stored = checksum ? await conf.sha256(r.url) : await tusNode.sha256(r.url);
        expect(stored).toBe(f.sha);
        if (!active) expect(takes).toEqual([]);
        else {
          expect(takes.reduce((a, b) => a + b, 0)).toBe(3 * 1024 * 1024 + 5);
          expect(Math.max(...takes)).toBeLessThanOrEqual(SLICE_SIZE);
          // Every slice is a full SLICE_SIZE but the file's last 5 bytes (1 MiB chunks and 512 KiB blocks divide evenly).
          expect(takes.slice(0, -1).every((n) => n === SLICE_SIZE)).toBe(true);
          expect(takes.at(-1)).toBe(5);
        }
      }
    });
  }

  it('uploads in chunks and the stored bytes match', async () => {
    const f = await file('chunks.bin', 1_000_000);
    const chunks: number[] = [];
    const progress: number[] = [];
    const r = await client(tusNode.endpoint, { chunkSize: 256 * 1024 }).uploadFile({
      path: f.path,
      onChunkComplete: (o) => chunks.push(o),
      onProgress: (b) => progress.push(b),
    });
    expect(r.complete).toBe(true);
    expect(r.offset).toBe(1_000_000);
    expect(chunks.at(-1)).toBe(1_000_000);
    expect(chunks.length).toBe(4);
    // about one progress call per 64 KiB, not per byte
    expect(progress.length).toBeLessThan(40);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
    expect(r.stats.bytesUploaded).toBe(1_000_000);
  });

  it('without a checksum, chunks up to BUFFERED_BODY_MAX are read whole and ahead: byte-exact for uneven chunks, progress in pieces', async () => {
    const size = 3 * (3 * 1024 * 1024 + 7) + 1234;
    const f = await file('buffered.bin', size, 41);
    const chunks: number[] = [];
    const progress: number[] = [];
    const r = await client(tusNode.endpoint, { chunkSize: 3 * 1024 * 1024 + 7 }).uploadFile({
      path: f.path,
      onChunkComplete: (o) => chunks.push(o),
      onProgress: (b) => progress.push(b),
    });
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
    expect(chunks).toEqual([1, 2, 3].map((k) => k * (3 * 1024 * 1024 + 7)).concat(size));
    // The first body goes out in READ_BLOCK pieces (no speed known yet): progress moves inside the request.
    const firstChunkProgress = progress.filter((b) => b <= chunks[0]!);
    expect(firstChunkProgress.length).toBeGreaterThanOrEqual(Math.floor(chunks[0]! / READ_BLOCK));
    expect(progress.every((b, i) => i === 0 || b >= progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(size);
  });

  it('without a checksum, a body larger than BUFFERED_BODY_MAX is streamed in one request (whole-file chunk)', async () => {
    const size = 2 * BUFFERED_BODY_MAX + 12_345;
    const f = await file('streamed.bin', size, 42);
    const bodies: number[] = [];
    const c = client(tusNode.endpoint, { onBeforeRequest: (q) => void bodies.push(Number(q.headers['Content-Length'] ?? 0)) });
    const r = await c.uploadFile({ path: f.path, chunkSize: Infinity });
    expect(bodies.filter((n) => n > 0)).toEqual([size]);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('plain chunks up to BUFFERED_BODY_MAX (8 MiB, the default chunk size) are read whole, larger ones streamed in blocks: both byte-exact', async () => {
    // Three whole chunks of BUFFERED_BODY_MAX + 1 MiB (each streamed), or three full chunks and a rest at the limit.
    const size = 3 * (BUFFERED_BODY_MAX + 1024 * 1024);
    const f = await file('threshold.bin', size, 43);
    const whole = vi.spyOn(FileSource.prototype, 'read');
    const streamed = vi.spyOn(FileSource.prototype, 'slices');
    try {
      for (const chunkSize of [BUFFERED_BODY_MAX, BUFFERED_BODY_MAX + 1024 * 1024]) {
        whole.mockClear();
        streamed.mockClear();
        const r = await client(tusNode.endpoint, { chunkSize, creationWithUpload: false }).uploadFile({ path: f.path });
        expect(await tusNode.sha256(r.url)).toBe(f.sha);
        const requests = Math.ceil(size / chunkSize);
        if (chunkSize <= BUFFERED_BODY_MAX) {
          expect([whole.mock.calls.length, streamed.mock.calls.length]).toEqual([requests, 0]);
          expect(whole.mock.calls.every(([, len]) => len <= BUFFERED_BODY_MAX)).toBe(true);
        } else expect([whole.mock.calls.length, streamed.mock.calls.length]).toEqual([0, requests]);
      }
    } finally {
      whole.mockRestore();
      streamed.mockRestore();
    }
  });

  it('bodyPieceSize: 512 KiB before any speed is known, then ≈1/8 s of it in 64 KiB units within [64 KiB, 4 MiB]', () => {
    expect(bodyPieceSize(0)).toBe(READ_BLOCK);
    expect(bodyPieceSize(100 * 1024)).toBe(64 * 1024);
    expect(bodyPieceSize(8 * 1024 * 1024)).toBe(1024 * 1024);
    expect(bodyPieceSize(10 * 1024 * 1024)).toBe(1280 * 1024);
    expect(bodyPieceSize(2 * 1024 ** 3)).toBe(4 * 1024 * 1024);
    for (const rate of [1e5, 3.3e6, 7.77e7, 5e8]) expect(bodyPieceSize(rate) % (64 * 1024)).toBe(0);
  });

  it('sends one PATCH for the whole file by default and filename/filetype metadata', async () => {
    const f = await file('whole file ünï "q".txt', 3_000_000, 2);
    const methods: string[] = [];
    const c = client(tusNode.endpoint, { creationWithUpload: false, onBeforeRequest: (r) => void methods.push(r.method) });
    const r = await c.uploadFile({ path: f.path, chunkSize: Infinity });
    expect(methods.filter((m) => m === 'PATCH')).toHaveLength(1);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
    const info = await c.getUploadInfo(r.url);
    expect(info.metadata).toMatchObject({ filename: 'whole file ünï "q".txt', filetype: 'text/plain' });
    expect(info.complete).toBe(true);
  });

  it('uses creation-with-upload: a small file takes one round trip', async () => {
    const f = await file('small.bin', 5000, 3);
    const methods: string[] = [];
    const c = client(tusNode.endpoint, { onBeforeRequest: (r) => void methods.push(r.method) });
    await c.getServerInfo();
    methods.length = 0;
    const r = await c.uploadFile({ path: f.path });
    expect(methods).toEqual(['POST']);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('onBeforeRequest and onAfterResponse see every request and its answer, in order, with the time it took', async () => {
    const f = await file('hooks.bin', 250_000, 5);
    const seen: string[] = [];
    const times: number[] = [];
    const c = client(tusNode.endpoint, {
      chunkSize: 100_000,
      onBeforeRequest: (q) => void seen.push(`> ${q.method} ${q.headers['Upload-Offset'] ?? ''}`.trimEnd()),
      onAfterResponse: (r) => {
        seen.push(`< ${r.status} ${r.method} ${r.headers['upload-offset'] ?? ''}`.trimEnd());
        times.push(r.elapsedMs);
      },
    });
    const r = await c.uploadFile({ path: f.path });
    expect(seen).toEqual(['> OPTIONS', '< 204 OPTIONS', '> POST', '< 201 POST 100000', '> PATCH 100000', '< 204 PATCH 200000', '> PATCH 200000', '< 204 PATCH 250000']);
    expect(times.every((ms) => ms >= 0 && ms < 10_000)).toBe(true);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('creationWithUpload: false sends POST then PATCH and awaits onUploadUrl before the PATCH', async () => {
    const f = await file('noCwU.bin', 5000, 4);
    const log: string[] = [];
    const c = client(tusNode.endpoint, { creationWithUpload: false, onBeforeRequest: (r) => void log.push(r.method) });
    const r = await c.uploadFile({
      path: f.path,
      onUploadUrl: async (url) => {
        await new Promise((res) => setTimeout(res, 50));
        log.push(`url:${url.startsWith(tusNode.endpoint)}`);
      },
    });
    expect(log.slice(-3)).toEqual(['POST', 'url:true', 'PATCH']);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('stops at stopAt and resumes to the end; stopAt beyond the size is clamped', async () => {
    const f = await file('stop.bin', 600_000, 5);
    const c = client(tusNode.endpoint, { chunkSize: 100_000, creationWithUpload: false });
    const part = await c.uploadFile({ path: f.path, stopAt: 250_000 });
    expect(part.complete).toBe(false);
    expect(part.offset).toBeGreaterThanOrEqual(250_000);
    expect(part.offset).toBeLessThan(600_000);
    const events: UploadEvent[] = [];
    const rest = await c.resumeUpload({ path: f.path, uploadUrl: part.url, onEvent: (e) => events.push(e) });
    expect(rest.url).toBe(part.url);
    expect(events[0]).toEqual({ type: 'resumed', url: part.url, offset: part.offset });
    expect(await tusNode.sha256(rest.url)).toBe(f.sha);
    const clamped = await c.uploadFile({ path: f.path, stopAt: 10_000_000 });
    expect(clamped.complete).toBe(true);
  });

  it('uploads a zero-byte file', async () => {
    const path = join(dir, 'empty.txt');
    await writeFile(path, '');
    const r = await client(tusNode.endpoint).uploadFile({ path });
    expect(r).toMatchObject({ complete: true, offset: 0, size: 0 });
    expect(await tusNode.sha256(r.url)).toBe(await sha256File(path));
  });

  it('uploads a stream of unknown length with deferred length', async () => {
    const f = await file('stream.bin', 700_000, 6);
    const events: UploadEvent[] = [];
    const r = await client(tusNode.endpoint, { chunkSize: 256 * 1024 }).uploadFile({
      stream: createReadStream(f.path, { highWaterMark: 50_000 }),
      onEvent: (e) => events.push(e),
    });
    expect(events[0]).toMatchObject({ type: 'created', deferredLength: true });
    expect(r).toMatchObject({ complete: true, size: 700_000 });
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('resumes a stream: the same data given again, the bytes the server has are skipped (as the seed seeks)', async () => {
    const f = await file('stream-resume.bin', 700_000, 61);
    const c = client(tusNode.endpoint, { chunkSize: 256 * 1024 });
    // Pieces of 50,000 bytes: the server's offset (256 KiB) falls inside one, so a piece is split when skipping.
    const first = await c.uploadFile({ stream: createReadStream(f.path, { highWaterMark: 50_000 }), stopAt: 256 * 1024 });
    expect(first).toMatchObject({ complete: false, offset: 256 * 1024 });
    const events: UploadEvent[] = [];
    const again = await c.resumeUpload({ stream: createReadStream(f.path, { highWaterMark: 50_000 }), uploadUrl: first.url, onEvent: (e) => events.push(e) });
    expect(again).toMatchObject({ url: first.url, complete: true, size: 700_000 });
    expect(events.find((e) => e.type === 'resumed')).toMatchObject({ offset: 256 * 1024 });
    expect(await tusNode.sha256(again.url)).toBe(f.sha);
    // A stream shorter than what the server already has: said plainly, nothing sent.
    const partial = await c.uploadFile({ stream: createReadStream(f.path), stopAt: 300_000 });
    const short = (await c.resumeUpload({ stream: Readable.from([Buffer.alloc(1000)]), uploadUrl: partial.url }).catch((e: unknown) => e)) as TusError;
    expect(short.code).toBe('source-changed');
    expect(short.message).toMatch(/stream ended after 1000 bytes, but the server already has 300000.*same data/);
    expect((await c.getUploadInfo(partial.url)).offset).toBe(300_000);
  });

  it('uploads a stream whose length is an exact multiple of the chunk size', async () => {
    const data = Buffer.alloc(200_000, 9);
    const r = await client(tusNode.endpoint, { chunkSize: 100_000 }).uploadFile({ stream: Readable.from([data]) });
    expect(r).toMatchObject({ complete: true, size: 200_000 });
    const c2 = client(tusNode.endpoint);
    expect((await c2.getUploadInfo(r.url)).length).toBe(200_000);
  });

  it('404 on a stored URL starts a new upload and emits restarted', async () => {
    const f = await file('restart.bin', 300_000, 7);
    const storage = new MemoryUrlStorage();
    const c = client(tusNode.endpoint, { storeUrl: true, urlStorage: storage, creationWithUpload: false });
    const first = await c.uploadFile({ path: f.path, stopAt: 100_000, chunkSize: 100_000 });
    expect((await c.findPreviousUploads({ path: f.path })).map((p) => p.uploadUrl)).toEqual([first.url]);
    await c.deleteUpload(first.url);
    const events: UploadEvent[] = [];
    const r = await c.uploadFile({ path: f.path, onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ type: 'restarted', previousUrl: first.url });
    expect(r.url).not.toBe(first.url);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
    // finished uploads are forgotten, so the next upload of the file is a new one
    expect(await c.findPreviousUploads({ path: f.path })).toEqual([]);
  });

  it('a URL storage that cannot be written (a full disk) does not stop the upload: url-not-stored names the URL to resume by', async () => {
    const f = await file('full-disk.bin', 300_000, 12);
    /** A storage on a disk that is full: reads work, every write fails as writeFile does with ENOSPC. */
    class FullDiskStorage extends MemoryUrlStorage {
      override async set(): Promise<void> {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
    }
    const c = client(tusNode.endpoint, { storeUrl: true, urlStorage: new FullDiskStorage(), creationWithUpload: false, chunkSize: 100_000 });
    const events: UploadEvent[] = [];
    const r = await c.uploadFile({ path: f.path, onEvent: (e) => events.push(e) });
    expect(r.complete).toBe(true);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
    const notStored = events.filter((e) => e.type === 'url-not-stored');
    expect(notStored).toHaveLength(1);
    expect(notStored[0]).toMatchObject({ url: r.url, error: { code: 'url-storage', message: expect.stringContaining('ENOSPC') } });
    expect(await c.findPreviousUploads({ path: f.path })).toEqual([]);
  });

  it('resumes automatically from stored URLs by fingerprint', async () => {
    const f = await file('autoresume.bin', 300_000, 8);
    const storage = new MemoryUrlStorage();
    const c = client(tusNode.endpoint, { storeUrl: true, urlStorage: storage, creationWithUpload: false, chunkSize: 100_000 });
    const first = await c.uploadFile({ path: f.path, stopAt: 100_000 });
    const events: UploadEvent[] = [];
    const r = await c.uploadFile({ path: f.path, onEvent: (e) => events.push(e) });
    expect(r.url).toBe(first.url);
    expect(events[0]).toMatchObject({ type: 'resumed', offset: 100_000 });
    expect(r.stats.bytesUploaded).toBe(200_000);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('abort rejects within 100 ms with aborted, and the upload stays resumable', async () => {
    const f = await file('abort.bin', 8_000_000, 9);
    const ac = new AbortController();
    // Slow the upload down with a limiter so it is still running when we abort.
    const limiter: RateLimiter = {
      take: (_n, signal) =>
        new Promise((res, rej) => {
          const onAbort = (): void => (clearTimeout(t), rej(signal?.reason));
          const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), res()), 20);
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
    };
    const c = client(tusNode.endpoint, { rateLimiter: limiter, creationWithUpload: false });
    let url = '';
    const p = c.uploadFile({ path: f.path, signal: ac.signal, onUploadUrl: (u) => void (url = u) });
    await new Promise((res) => setTimeout(res, 300));
    const t0 = performance.now();
    ac.abort();
    const err = (await p.catch((e: unknown) => e)) as TusError;
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('aborted');
    expect(elapsed).toBeLessThan(100);
    expect(url).not.toBe('');
    const c2 = client(tusNode.endpoint);
    const before = await c2.getUploadInfo(url);
    expect(before.complete).toBe(false);
    const r = await c2.resumeUpload({ path: f.path, uploadUrl: url });
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('awaits the rate limiter with slices of at most 64 KiB', async () => {
    const f = await file('limited.bin', 500_000, 10);
    const takes: number[] = [];
    const c = client(tusNode.endpoint, { rateLimiter: { take: async (n) => void takes.push(n) } });
    const r = await c.uploadFile({ path: f.path });
    expect(Math.max(...takes)).toBeLessThanOrEqual(64 * 1024);
    expect(takes.reduce((a, b) => a + b, 0)).toBe(500_000);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('server info: version, extensions; termination deletes', async () => {
    const c = client(tusNode.endpoint);
    const info = await c.getServerInfo();
    expect(info.version).toBe('1.0.0');
    expect(info.extensions).toEqual(expect.arrayContaining(['creation', 'creation-with-upload', 'termination']));
    const id = await c.createDeferredUpload({ note: 'x' });
    expect((await c.getUploadInfo(id)).deferredLength).toBe(true);
    await c.deleteUpload(id);
    await expect(c.getUploadInfo(id)).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('Uploader, chunk by chunk (seed: create_uploader / upload_chunk)', () => {
  for (const creationWithUpload of [false, true]) {
    it(`uploadChunk sends one chunk per call${creationWithUpload ? ', the first with the creation (creation-with-upload)' : ''}; offset, isComplete and stats follow`, async () => {
      const f = await file(`chunky-${creationWithUpload}.bin`, 350_000, 41);
      const c = client(tusNode.endpoint, { creationWithUpload, maxRetries: 0 });
      const up = await c.createUploader({ path: f.path, chunkSize: 100_000 });
      expect(up.offset).toBe(0);
      expect(up.isComplete).toBe(false);
      const calls: Array<[boolean, number, boolean]> = [];
      for (let more = true; more; ) {
        more = await up.uploadChunk();
        calls.push([more, up.offset, up.isComplete]);
      }
      expect(calls).toEqual([
        [true, 100_000, false],
        [true, 200_000, false],
        [true, 300_000, false],
        [false, 350_000, true],
      ]);
      expect(up.stats).toMatchObject({ bytesUploaded: 350_000, chunksUploaded: 4, retries: 0 });
      expect(up.stats.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(await up.uploadChunk()).toBe(false); // nothing left: no request, still complete
      const { url } = up.result();
      expect(await tusNode.sha256(url)).toBe(f.sha);
      await up.close();
    });
  }

  it('createUploader with uploadUrl continues an existing upload from the server offset; a closed uploader refuses to send', async () => {
    const f = await file('chunky-resume.bin', 250_000, 42);
    const c = client(tusNode.endpoint, { creationWithUpload: false, maxRetries: 0 });
    const first = await c.createUploader({ path: f.path, chunkSize: 100_000 });
    expect(await first.uploadChunk()).toBe(true);
    const { url } = first.result();
    await first.close();
    await expect(first.uploadChunk()).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('closed') });
    const second = await c.createUploader({ path: f.path, uploadUrl: url, chunkSize: 100_000 });
    expect(await second.uploadChunk()).toBe(true);
    expect(second.offset).toBe(200_000); // resumed at 100,000 (HEAD), then one chunk
    expect(second.stats.bytesUploaded).toBe(100_000);
    const done = await second.upload(); // the rest
    expect(done).toMatchObject({ url, offset: 250_000, complete: true });
    expect(await tusNode.sha256(url)).toBe(f.sha);
    await second.close();
  });
});

describe('conformance server', () => {
  it('metadataEncoding: values are encoded with it before base64 (latin1 "é" is one byte, E9), and read back with it', async () => {
    const f = await file('latin1-meta.bin', 1000, 43);
    const sent: string[] = [];
    // The conformance server echoes metadata as received; @tus/server reads values as UTF-8 and re-encodes them.
    const c = client(conf.endpoint, {
      metadataEncoding: 'latin1',
      onBeforeRequest: ({ method, headers }) => void (method === 'POST' && sent.push(headers['Upload-Metadata'] ?? '')),
    });
    const r = await c.uploadFile({ path: f.path, metadata: { title: 'café' } });
    const pair = sent[0]!.split(',').find((p) => p.startsWith('title '))!;
    expect(Buffer.from(pair.slice('title '.length), 'base64')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect((await c.getUploadInfo(r.url)).metadata.title).toBe('café');
    // The same upload read as UTF-8 (the default) is not "café": the encoding is really applied both ways.
    expect((await client(conf.endpoint).getUploadInfo(r.url)).metadata.title).not.toBe('café');
    expect(await conf.sha256(r.url)).toBe(f.sha);
  });

  it.each(['sha1', 'sha256', 'sha512', 'md5'] as const)('sends %s checksums when asked', async (alg) => {
    const f = await file(`ck-${alg}.bin`, 300_000, 11);
    const r = await client(conf.endpoint, { chunkSize: 128 * 1024 }).uploadFile({ path: f.path, checksum: alg });
    expect(r.checksum).toBe(alg);
    expect(await conf.sha256(r.url)).toBe(f.sha);
    const patches = conf.requests.filter((q) => q.url.endsWith(conf.upload(r.url)?.id ?? '?') && q.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(0);
    expect(patches.every((q) => q.headers['upload-checksum']?.startsWith(`${alg} `))).toBe(true);
  });

  it('with a checksum, a whole-file chunk is split into requests of at most CHECKSUMMED_BODY_MAX (memory stays flat), each hashed right while the one before is sent', async () => {
    const size = 2 * CHECKSUMMED_BODY_MAX + 12_345;
    const f = await file('ck-big.bin', size, 14);
    const before = conf.requests.length;
    const r = await client(conf.endpoint, { chunkSize: Infinity }).uploadFile({ path: f.path, checksum: 'sha256' });
    expect(await conf.sha256(r.url)).toBe(f.sha);
    // The creation POST (creation-with-upload) carries the first body, the PATCHes the rest.
    const bodies = conf.requests
      .slice(before)
      .filter((q) => q.method === 'PATCH' || q.method === 'POST')
      .map((q) => Number(q.headers['content-length'] ?? 0))
      .filter((n) => n > 0);
    expect(bodies.reduce((a, b) => a + b, 0)).toBe(size);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(CHECKSUMMED_BODY_MAX);
    expect(bodies.length).toBe(3);
  });

  it("'auto' picks sha512 here, and none on a server without checksum", async () => {
    const f = await file('auto.bin', 10_000, 12);
    expect((await client(conf.endpoint).uploadFile({ path: f.path })).checksum).toBe('sha512');
    const plain = await startConformanceServer({ extensions: ['creation', 'termination'] });
    servers.push(plain);
    const r = await client(plain.endpoint).uploadFile({ path: f.path });
    expect(r.checksum).toBeUndefined();
    expect(await plain.sha256(r.url)).toBe(f.sha);
  });

  it('parallel uploads: partials concatenated into a final upload', async () => {
    const f = await file('parallel.bin', 1_000_003, 13);
    const r = await client(conf.endpoint, { chunkSize: 200_000 }).uploadFile({ path: f.path, parallelUploads: 3 });
    const up = conf.upload(r.url);
    expect(up?.concat).toBe('final');
    expect(up?.parts).toHaveLength(3);
    expect(up?.metadata.filename).toBe('parallel.bin');
    expect(await conf.sha256(r.url)).toBe(f.sha);
  });

  it('createPartialUpload + createFinalUpload', async () => {
    const a = await file('pa.bin', 70_000, 14);
    const b = await file('pb.bin', 30_000, 15);
    const c = client(conf.endpoint);
    const ua = await c.createPartialUpload({ path: a.path });
    const ub = await c.createPartialUpload({ path: b.path });
    const fin = await c.createFinalUpload([ua, ub], { filename: 'ab.bin' });
    expect(conf.upload(fin)?.length).toBe(100_000);
  });

  it('parses Upload-Expires', async () => {
    const c = client(conf.endpoint);
    const url = await c.createDeferredUpload();
    const info = await c.getUploadInfo(url);
    expect(info.expires).toBeInstanceOf(Date);
    expect(info.expires!.getTime()).toBeGreaterThan(Date.now());
  });

  it.each(['relative', 'protocol-relative'] as const)('resolves a %s Location', async (locationStyle) => {
    const s = await startConformanceServer({ locationStyle });
    servers.push(s);
    const f = await file(`loc-${locationStyle}.bin`, 50_000, 16);
    const r = await client(s.endpoint, { creationWithUpload: false }).uploadFile({ path: f.path });
    expect(r.url.startsWith(s.origin)).toBe(true);
    expect(await s.sha256(r.url)).toBe(f.sha);
  });

  it('works with a Plone-like server: endpoint below a content path, OPTIONS 204, final Location', async () => {
    const s = await startConformanceServer({
      basePath: '/plone/folder/@tus-upload',
      optionsStatus: 204,
      headStatus: 200,
      omitTusVersion: true,
      extensions: ['creation', 'termination'],
      finalLocation: (id) => `/plone/folder/created-${id}`,
    });
    servers.push(s);
    const f = await file('plone doc.pdf', 300_000, 17);
    const c = client(s.endpoint, { chunkSize: 100_000 });
    const info = await c.getServerInfo();
    expect(info.status).toBe(204);
    expect(info.version).toBe('1.0.0');
    const r = await c.uploadFile({ path: f.path });
    expect(r.resultUrl).toMatch(new RegExp(`^${s.origin}/plone/folder/created-`));
    expect(await s.sha256(r.url)).toBe(f.sha);
  });

  it('works with a tuspyserver-like server that requires filename and filetype', async () => {
    const s = await startConformanceServer({ requireFilenameFiletype: true, dropUnknownMetadata: true });
    servers.push(s);
    const f = await file("it's a \"file\" with spaces.dat", 40_000, 18);
    const r = await client(s.endpoint).uploadFile({ path: f.path, metadata: { extra: 'x' } });
    expect(s.upload(r.url)?.metadata).toEqual({ filename: "it's a \"file\" with spaces.dat", filetype: 'application/octet-stream' });
    expect(await s.sha256(r.url)).toBe(f.sha);
  });

  it('413 before sending anything when Tus-Max-Size is advertised', async () => {
    const s = await startConformanceServer({ maxSize: 1000 });
    servers.push(s);
    const f = await file('big.bin', 5000, 19);
    const err = (await client(s.endpoint).uploadFile({ path: f.path }).catch((e: unknown) => e)) as TusError;
    expect(err.code).toBe('too-large');
    expect(err.message).toMatch(/at most 1000 bytes/);
    expect(s.requests.filter((q) => q.method !== 'OPTIONS')).toHaveLength(0);
  });

  it('deleteUpload is a clear error without termination', async () => {
    const s = await startConformanceServer({ extensions: ['creation'] });
    servers.push(s);
    const err = (await client(s.endpoint).deleteUpload(`${s.endpoint}/x`).catch((e: unknown) => e)) as TusError;
    expect(err.code).toBe('unsupported');
    expect(err.message).toMatch(/termination/);
  });
});

describe('read-ahead timing', () => {
  it('readAheadTooLate: a wait over 1 ms and over a tenth of the previous request', () => {
    expect(readAheadTooLate(0.5, 2)).toBe(false); // under 1 ms: never
    expect(readAheadTooLate(2, 100)).toBe(false); // 2 % of the request
    expect(readAheadTooLate(12, 70)).toBe(true); // a slow disk on a fast LAN
    expect(readAheadTooLate(1.5, 10)).toBe(true);
  });
});
