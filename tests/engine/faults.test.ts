import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TusClient, type TusClientOptions, type TusError, type UploadEvent } from '../../main/engine/tus';
import { startTusNodeServer, type TusNodeServer } from '../servers/tus-node';
import { startConformanceServer, type ConformanceServer } from '../servers/conformance';
import { startFaultProxy, type Fault, type FaultProxy } from '../servers/fault-proxy';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

let dir: string;
let tusNode: TusNodeServer;
let conf: ConformanceServer;
let proxy: FaultProxy;
let confProxy: FaultProxy;
const clients: TusClient[] = [];

function client(endpoint: string, extra: Partial<TusClientOptions> = {}): TusClient {
  const c = new TusClient({ endpoint, retryDelay: 5, chunkSize: 100_000, creationWithUpload: false, ...extra });
  clients.push(c);
  return c;
}

let seed = 100;
async function file(size: number): Promise<{ path: string; sha: string }> {
  const path = join(dir, `f${seed}.bin`);
  const sha = await writeRandomFile(path, size, seed++);
  return { path, sha };
}

beforeAll(async () => {
  dir = await makeTempDir('tusk-faults-');
  tusNode = await startTusNodeServer();
  conf = await startConformanceServer();
  proxy = await startFaultProxy({ target: tusNode.origin });
  confProxy = await startFaultProxy({ target: conf.origin });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
  await confProxy?.close();
  await tusNode?.close();
  await conf?.close();
  await removeDir(dir);
});

const endpoint = (): string => proxy.endpointFor(tusNode.endpoint);

/** Uploads a fresh `size`-byte file through the proxy with only `faults` armed; resolves with the file, result and events. */
async function uploadThrough(size: number, faults: Fault[], opts: Partial<TusClientOptions> = {}) {
  proxy.clearFaults();
  const f = await file(size);
  for (const fault of faults) proxy.addFault(fault);
  const events: UploadEvent[] = [];
  const r = await client(endpoint(), opts).uploadFile({ path: f.path, onEvent: (e) => events.push(e) });
  return { f, r, events };
}

describe('faults between client and server', () => {
  it('409 → HEAD for the offset, seek, continue', async () => {
    const methods: string[] = [];
    const { f, r, events } = await uploadThrough(400_000, [{ kind: 'offset-drift', match: { method: 'PATCH', nth: 2 } }], {
      onBeforeRequest: (q) => void methods.push(q.method),
    });
    expect(proxy.stats.faultsInjected).toBeGreaterThanOrEqual(1);
    // the 409 is followed by a HEAD, then the PATCH again
    const i = methods.indexOf('HEAD');
    expect(i).toBeGreaterThan(0);
    expect(methods[i + 1]).toBe('PATCH');
    expect(events.some((e) => e.type === 'retry')).toBe(false);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('423 and 5xx are retried with backoff', async () => {
    const { f, r, events } = await uploadThrough(300_000, [
      { kind: 'status', status: 423, match: { method: 'PATCH', nth: 1 } },
      { kind: 'status', status: 503, body: 'maintenance', match: { method: 'PATCH', nth: 1 } },
    ]);
    const retries = events.filter((e): e is Extract<UploadEvent, { type: 'retry' }> => e.type === 'retry');
    expect(retries.map((e) => e.error.code)).toEqual(['locked', 'server']);
    expect(r.stats.retries).toBe(2);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it("429 and 503 with Retry-After: the retry waits as long as the server asked, not the (shorter) backoff", async () => {
    const t0 = performance.now();
    const { f, r, events } = await uploadThrough(300_000, [
      { kind: 'status', status: 429, headers: { 'Retry-After': '1' }, match: { method: 'POST', nth: 1 } },
      { kind: 'status', status: 503, headers: { 'Retry-After': '1' }, match: { method: 'PATCH', nth: 2 } },
    ]);
    const waited = performance.now() - t0;
    const retries = events.filter((e): e is Extract<UploadEvent, { type: 'retry' }> => e.type === 'retry');
    expect(retries.map((e) => [e.error.code, e.delayMs])).toEqual([
      ['rate-limited', 1000],
      ['server', 1000],
    ]);
    // retryDelay is 5 ms here: without Retry-After both retries would have come within milliseconds.
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(retries[0]!.error.message).toMatch(/slow down \(429 Too Many Requests\)\. It asked to wait 1 s\./);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('a connection reset mid-body is retried from the server offset', async () => {
    const { f, r, events } = await uploadThrough(1_000_000, [{ kind: 'reset', afterBytes: 150_000, match: { method: 'PATCH', nth: 1 } }], {
      chunkSize: 600_000,
    });
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('a stalled PATCH is aborted after stallTimeout and retried', async () => {
    // t0 now also covers writing the 200 kB source: a few ms against the 4 s bound.
    const t0 = Date.now();
    const { f, r, events } = await uploadThrough(200_000, [{ kind: 'stall', ms: 5000, match: { method: 'PATCH', nth: 1 } }], { stallTimeout: 300 });
    expect(Date.now() - t0).toBeLessThan(4000);
    const retry = events.find((e): e is Extract<UploadEvent, { type: 'retry' }> => e.type === 'retry');
    expect(retry?.error.code).toBe('timeout');
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('the retry counter resets when the offset advances', async () => {
    proxy.clearFaults();
    const f = await file(400_000);
    proxy.addFault({ kind: 'status', status: 500, match: { method: 'PATCH', nth: 1 } });
    let added = 0;
    const r = await client(endpoint(), { maxRetries: 1 }).uploadFile({
      path: f.path,
      // after each acknowledged chunk the next PATCH fails once: with maxRetries 1 this only works if the count resets
      onChunkComplete: (o) => {
        if (o < 400_000 && added < 3) {
          added++;
          proxy.addFault({ kind: 'status', status: 502, match: { method: 'PATCH', nth: 1 } });
        }
      },
    });
    expect(r.stats.retries).toBe(4);
    expect(await tusNode.sha256(r.url)).toBe(f.sha);
  });

  it('gives up after maxRetries with the server error and its words', async () => {
    proxy.clearFaults();
    const f = await file(50_000);
    proxy.addFault({ kind: 'status', status: 500, body: 'disk full', match: { method: 'PATCH', times: Infinity } });
    const err = (await client(endpoint(), { maxRetries: 2 }).uploadFile({ path: f.path }).catch((e: unknown) => e)) as TusError;
    proxy.clearFaults();
    expect(err.code).toBe('server');
    expect(err.serverMessage).toBe('disk full');
    expect(err.message).toMatch(/PATCH .* 500/);
  });

  it('onShouldRetry false fails at once', async () => {
    proxy.clearFaults();
    const f = await file(50_000);
    proxy.addFault({ kind: 'status', status: 503, match: { method: 'PATCH', nth: 1 } });
    const seen: number[] = [];
    const err = (await client(endpoint(), { onShouldRetry: (_e, a) => (seen.push(a), false) })
      .uploadFile({ path: f.path })
      .catch((e: unknown) => e)) as TusError;
    expect(err.code).toBe('server');
    expect(seen).toEqual([0]);
  });

  it('412 is a version error', async () => {
    proxy.clearFaults();
    const f = await file(1000);
    proxy.addFault({ kind: 'status', status: 412, match: { method: 'POST', nth: 1 } });
    const err = (await client(endpoint()).uploadFile({ path: f.path }).catch((e: unknown) => e)) as TusError;
    expect(err.code).toBe('version');
    expect(err.message).toMatch(/1\.0\.0/);
  });

  it('413 from the server names the problem', async () => {
    proxy.clearFaults();
    const f = await file(1000);
    proxy.addFault({ kind: 'status', status: 413, body: 'max 10 bytes', match: { method: 'POST', nth: 1 } });
    const err = (await client(endpoint()).uploadFile({ path: f.path }).catch((e: unknown) => e)) as TusError;
    expect(err.code).toBe('too-large');
    expect(err.message).toMatch(/max 10 bytes/);
  });

  it('460 → the chunk is resent; repeated 460 fails with checksum-mismatch', async () => {
    confProxy.clearFaults();
    const f = await file(300_000);
    confProxy.addFault({ kind: 'status', status: 460, match: { method: 'PATCH', nth: 2 } });
    const events: UploadEvent[] = [];
    const ce = confProxy.endpointFor(conf.endpoint);
    const r = await client(ce).uploadFile({ path: f.path, checksum: 'sha256', onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'checksum-mismatch')).toHaveLength(1);
    expect(await conf.sha256(r.url)).toBe(f.sha);
    confProxy.addFault({ kind: 'status', status: 460, match: { method: 'PATCH', times: Infinity } });
    const err = (await client(ce).uploadFile({ path: f.path, checksum: 'sha256' }).catch((e: unknown) => e)) as TusError;
    confProxy.clearFaults();
    expect(err.code).toBe('checksum-mismatch');
    expect(err.message).toMatch(/4 times/);
  });

  it('a server that is down is retried, then a network error', async () => {
    proxy.clearFaults();
    const f = await file(1000);
    proxy.addFault({ kind: 'down', match: { times: Infinity } });
    const events: UploadEvent[] = [];
    const err = (await client(endpoint(), { maxRetries: 2 })
      .uploadFile({ path: f.path, onEvent: (e) => events.push(e) })
      .catch((e: unknown) => e)) as TusError;
    proxy.clearFaults();
    expect(err.code).toBe('network');
    expect(err.hint).toBeTruthy();
  });
});
