/**
 * Uploads one file with one client and prints one JSON line with the figures, so each client's RSS and event loop
 * are its own. Usage: client-child.ts <tusk|tus-js-client|node-raw|socket-loop> <endpoint> <file> <chunkSize|Infinity> <none|sha256>
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a client child reports. */
export interface ClientChildResult {
  ok: boolean;
  error?: string;
  bytes: number;
  ms: number;
  /** Peak resident set size in bytes during the upload, sampled every 20 ms. */
  peakRss: number;
  /** RSS just before the upload started (Node, tsx and the client's modules loaded), bytes. */
  rssStart: number;
  /** The OS's maximum RSS of the whole process life (startup and module loading included), bytes. */
  maxRssOs: number;
  /**
   * Event-loop delay p99 during the upload, ms: how late the monitor's 10 ms timer ticked. Node's histogram records
   * the whole interval between ticks (an idle loop reads ≈10.9 ms at p99), so the resolution is subtracted here.
   */
  loopP99Ms: number;
  loopMaxMs: number;
  /** The histogram's own p99 (interval between ticks, resolution included), for comparison with older figures. */
  loopIntervalP99Ms: number;
  /** CPU time of the whole process (every thread: event loop, hashing workers, libuv's pool) during the upload, ms. */
  cpuMs: number;
}

const [client, endpoint, file, chunkArg, checksumArg] = process.argv.slice(2);
if (!client || !endpoint || !file || !chunkArg || !checksumArg) {
  process.stderr.write('usage: client-child.ts <tusk|tus-js-client|node-raw|socket-loop> <endpoint> <file> <chunkSize|Infinity> <none|sha256>\n');
  process.exit(2);
}
const chunkSize = chunkArg === 'Infinity' ? Infinity : Number(chunkArg);
const size = statSync(file).size;

// Load the client's modules before the clock and the event-loop monitor start: tsx transpiles on first import, and
// that is start-up cost, not upload cost.
const tuskModule = client === 'tusk' ? await import('../main/engine/tus/client') : undefined;
const tusJsModule = client === 'tus-js-client' ? await import('tus-js-client') : undefined;

async function uploadTusk(): Promise<void> {
  const { TusClient } = tuskModule!;
  const c = new TusClient({ endpoint: endpoint!, chunkSize, checksum: checksumArg === 'sha256' ? 'sha256' : false, maxRetries: 0 });
  try {
    const r = await c.uploadFile({ path: file! });
    if (!r.complete || r.offset !== size) throw new Error(`Tusk finished at offset ${r.offset} of ${size}`);
  } finally {
    await c.close();
  }
}

async function uploadTusJs(): Promise<void> {
  const tus = tusJsModule!;
  await new Promise<void>((resolve, reject) => {
    const up = new tus.Upload(createReadStream(file!), {
      endpoint: endpoint!,
      chunkSize,
      retryDelays: [],
      metadata: { filename: 'bench.bin' },
      onError: reject,
      onSuccess: () => resolve(),
    });
    up.start();
  });
}

/** A single PATCH piping a ReadStream (the fallback when curl is absent). */
async function uploadNodeRaw(): Promise<void> {
  const created = await fetch(endpoint!, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) } });
  const url = new URL(created.headers.get('location') ?? '', endpoint).href;
  await new Promise<void>((resolve, reject) => {
    const req = request(url, {
      method: 'PATCH',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(size) },
    });
    req.on('response', (res) => {
      res.resume();
      if (res.statusCode === 204) resolve();
      else reject(new Error(`PATCH answered ${res.statusCode}`));
    });
    req.on('error', reject);
    createReadStream(file!, { highWaterMark: 1 << 20 }).pipe(req);
  });
}

/**
 * The floor of any sequential chunked client here: a bare TCP socket sending PATCH after PATCH (each chunk read
 * synchronously into one buffer, head and body in one corked write, the 204 waited for), no tus logic, no HTTP
 * library, no error handling beyond the status. What remains between it and one whole-file PATCH is the per-request
 * round trip itself (server and scheduling), which no client of a sequential protocol can hide.
 */
async function uploadSocketLoop(): Promise<void> {
  const created = await fetch(endpoint!, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) } });
  const url = new URL(created.headers.get('location') ?? '', endpoint);
  const sock = connect(Number(url.port), url.hostname);
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  const fd = openSync(file!, 'r');
  const step = Number.isFinite(chunkSize) ? chunkSize : size;
  const buf = Buffer.allocUnsafe(Math.min(step, size));
  let waiting: ((head: string) => void) | undefined;
  let acc = '';
  sock.on('data', (d: Buffer) => {
    acc += d.toString('latin1');
    const end = acc.indexOf('\r\n\r\n');
    if (end >= 0) {
      const head = acc.slice(0, end);
      acc = acc.slice(end + 4);
      waiting?.(head);
    }
  });
  try {
    for (let off = 0; off < size; off += step) {
      const len = Math.min(step, size - off);
      readSync(fd, buf, 0, len, off);
      const answered = new Promise<string>((r) => (waiting = r));
      sock.cork();
      sock.write(
        `PATCH ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ntus-resumable: 1.0.0\r\nupload-offset: ${off}\r\n` +
          `content-type: application/offset+octet-stream\r\ncontent-length: ${len}\r\n\r\n`,
      );
      sock.write(buf.subarray(0, len));
      sock.uncork();
      const head = await answered;
      if (!head.startsWith('HTTP/1.1 204')) throw new Error(`PATCH answered ${head.split('\r\n')[0]}`);
    }
  } finally {
    closeSync(fd);
    sock.end();
  }
}

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 20);
const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
const result: ClientChildResult = { ok: false, bytes: size, ms: 0, peakRss: 0, rssStart: process.memoryUsage.rss(), maxRssOs: 0, loopP99Ms: 0, loopMaxMs: 0, loopIntervalP99Ms: 0, cpuMs: 0 };
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
try {
  if (client === 'tusk') await uploadTusk();
  else if (client === 'tus-js-client') await uploadTusJs();
  else if (client === 'node-raw') await uploadNodeRaw();
  else if (client === 'socket-loop') await uploadSocketLoop();
  else throw new Error(`unknown client "${client}"`);
  result.ok = true;
} catch (err) {
  result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
result.ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
result.cpuMs = (cpu.user + cpu.system) / 1000;
loop.disable();
clearInterval(sampler);
result.peakRss = Math.max(peakRss, process.memoryUsage.rss());
result.maxRssOs = process.resourceUsage().maxRSS * 1024;
result.loopIntervalP99Ms = loop.percentile(99) / 1e6;
result.loopP99Ms = Math.max(0, result.loopIntervalP99Ms - LOOP_RESOLUTION_MS);
result.loopMaxMs = Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS);
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
