/**
 * Queue benchmark (`npm run bench:queue`). Prints, beside the targets (and tus-js-client where it applies):
 * 1. enqueue of a 100,000-file folder (time and peak RSS; target ≤ 3 s, ≤ 300 MiB), in a child process on plain node;
 * 2. cost of persisting a status change with 100,000 jobs (from bench/store.ts; target ≤ 1 ms amortized);
 * 3. 2,000 files of 16 KiB to the discard server: Tusk's queue vs a sequential tus-js-client loop (target ≥ 5×),
 *    after the same two warm-up passes for both, medians of 3 round-robin rounds, beside the bare-undici floor;
 * 4. accuracy of a 5 MiB/s bandwidth limit (target within ±10%);
 * 5. time from restart to the first resumed byte (target ≤ 1 s).
 * Writes `bench/out/queue.json`. Options: `--files N` for step 1 (default 100000), `--skip-store`, `--concurrency N`
 * for step 3 (default 32), `--only enqueue,store,small,limit,restart`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { createEngine } from '../main/engine/index';
import { internalsOf } from '../main/engine/engine-internals';
import { MemoryProfileRepository, makeProfile } from '../main/engine/profiles';
import { MemorySettingsRepository } from '../main/engine/settings';
import { MemoryQueueStore } from '../main/engine/queue/memory-store';
import type { Engine } from '../main/engine/engine-types';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { makeTempDir, removeDir, writeRandomFile } from '../tests/helpers/files';

const MiB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SMALL_CONCURRENCY = Number(argValue('--concurrency') ?? 32);
const ONLY = argValue('--only');
const want = (name: string): boolean => !ONLY || ONLY.split(',').includes(name);
const ENQUEUE_FILES = Number(argValue('--files') ?? 100_000);
const SMALL_FILES = 2000;
const SMALL_WARM = 1000;

async function engineFor(stateDir: string, endpoint: string, opts: { concurrency?: number; bandwidthLimit?: number; autoStart?: boolean } = {}): Promise<Engine> {
  return createEngine({
    stateDir,
    ...(process.env.BENCH_MEMORY_STORE ? { store: new MemoryQueueStore() } : {}),
    profiles: new MemoryProfileRepository([makeProfile({ id: 'bench', endpoint, chunkSize: 8 * MiB, checksum: 'none', maxConcurrent: 64 })]),
    settings: new MemorySettingsRepository({ concurrency: opts.concurrency ?? 8, bandwidthLimit: opts.bandwidthLimit ?? 0 }),
    autoStart: opts.autoStart ?? true,
  });
}

/** The discard server runs in its own process (bench/servers-child.ts) so it does not share the client's event loop. */
async function startServers(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'servers-child.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', res);
    child.once('exit', (code) => rej(new Error(`servers-child exited with ${code}`)));
  });
  const { discard } = JSON.parse(line) as { discard: string };
  return {
    endpoint: discard,
    close: () =>
      new Promise<void>((res) => {
        child.once('exit', () => res());
        child.stdin!.end();
      }),
  };
}

let servers: undefined | { endpoint: string; close: () => Promise<void> };

async function waitIdle(engine: Engine, ids: string[]): Promise<void> {
  const q = internalsOf(engine).queue;
  // Totals are kept incrementally, so polling them costs nothing next to the uploads being measured.
  for (;;) {
    const t = q.totals();
    if (t.filesDone + t.filesFailed >= ids.length) {
      if (t.filesFailed) throw new Error(`${t.filesFailed} jobs failed: ${ids.map((id) => q.job(id)!).find((j) => j.status === 'failed')?.lastError?.message}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function createFiles(folder: string, n: number, size: number): Promise<void> {
  const body = Buffer.alloc(size, 7);
  const perDir = 1000;
  for (let d = 0; d * perDir < n; d++) {
    const sub = join(folder, `d${d}`);
    await mkdir(sub, { recursive: true });
    const count = Math.min(perDir, n - d * perDir);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < count; i++) writes.push(writeFile(join(sub, `f${i}.bin`), body));
    await Promise.all(writes);
  }
}

/**
 * This file as one esbuild bundle for plain `node` (children run it: no tsx/TypeScript loader in the process measured,
 * as in a built app or the bundled CLI). Built once per run.
 */
let bundled: Promise<string> | undefined;
function bundleSelf(tmp: string): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const bundle = join(tmp, 'queue-bench.mjs');
    await build({
      entryPoints: [fileURLToPath(import.meta.url)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'warning',
      // Bundled CommonJS dependencies call require().
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    return bundle;
  })();
  return bundled;
}

/** Runs the bundle with `args` in a child process and returns its last stdout line as JSON. */
async function runBundleChild<T>(tmp: string, args: string[], nodeArgs: string[] = []): Promise<T> {
  const bundle = await bundleSelf(tmp);
  const child = spawn(process.execPath, [...nodeArgs, bundle, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  if (code !== 0) throw new Error(`bench child ${args[0]} exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/**
 * Enqueue runs in a child process started with plain `node` on an esbuild bundle of this file, so its RSS is what a
 * built app (or the bundled CLI) carries: no tsx/TypeScript loader (~120 MiB), and not the garbage of creating the files.
 */
async function benchEnqueue(tmp: string): Promise<{ files: number; ms: number; peakRssMiB: number; baseRssMiB: number; mode: string }> {
  const folder = join(tmp, 'many');
  process.stdout.write(`  creating ${ENQUEUE_FILES} files…\n`);
  await createFiles(folder, ENQUEUE_FILES, 1);
  const r = await runBundleChild<{ ms: number; peakRssMiB: number; baseRssMiB: number }>(
    tmp,
    ['--enqueue-child', folder, join(tmp, 'state-enqueue'), String(ENQUEUE_FILES)],
    ['--expose-gc'],
  );
  await removeDir(folder);
  return { files: ENQUEUE_FILES, ...r, mode: 'child process: plain node on an esbuild bundle' };
}

/** The child side of `benchEnqueue`: one addPaths of the folder, then one JSON line with the figures. */
async function enqueueChild(folder: string, stateDir: string, files: number): Promise<void> {
  global.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peak = baseRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const engine = await engineFor(stateDir, 'http://127.0.0.1:9/files', { autoStart: false });
  // A UI-like listener, so the deltas for the new jobs are built as in the app.
  let viewed = 0;
  engine.onDelta((d) => (viewed += d.jobs?.length ?? 0));
  const t0 = performance.now();
  const added = await engine.api.addPaths({ paths: [folder], profileId: 'bench' });
  const ms = performance.now() - t0;
  // Until the UI has been sent every new job (deltas in parts), which is part of the memory peak.
  while (viewed < files) await new Promise((r) => setTimeout(r, 10));
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  if (added.jobIds.length !== files) throw new Error(`enqueued ${added.jobIds.length} of ${files}`);
  await engine.close();
  process.stdout.write(JSON.stringify({ ms, peakRssMiB: peak / MiB, baseRssMiB: baseRss / MiB }) + '\n');
}

/**
 * The floor of any client on undici here: the same files, read with one readFile each and sent as bare
 * creation-with-upload POSTs through one keep-alive Agent with as many in flight as the queue runs (no queue, no
 * journal, no events). Tells how much of the Tusk time is the HTTP layer itself on this machine.
 */
async function rawUndiciMs(paths: string[], endpoint: string, inFlight: number): Promise<number> {
  const { Agent } = await import('undici');
  const u = new URL(endpoint);
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < paths.length) {
        const p = paths[next++];
        const body = await readFile(p);
        const res = await agent.request({
          origin: u.origin,
          path: u.pathname,
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': String(body.length),
            'Content-Type': 'application/offset+octet-stream',
            'Upload-Metadata': `filename ${Buffer.from(p).toString('base64')}`,
          },
          body,
          signal: new AbortController().signal,
        });
        await res.body.text();
        if (res.statusCode !== 201) throw new Error(`raw POST answered ${res.statusCode}`);
      }
    }),
  );
  const ms = performance.now() - t0;
  await agent.close();
  return ms;
}

/** Tusk's queue on a folder (a fresh engine and state dir): ms from `addPaths` to the last job finished. */
async function tuskFolderMs(folder: string, stateDir: string, endpoint: string): Promise<number> {
  const engine = await engineFor(stateDir, endpoint, { concurrency: SMALL_CONCURRENCY });
  const t0 = performance.now();
  const added = await engine.api.addPaths({ paths: [folder], profileId: 'bench' });
  await waitIdle(engine, added.jobIds);
  const ms = performance.now() - t0;
  await engine.close();
  return ms;
}

/** The anchor: tus-js-client 4 uploading the files one after the other (its documented usage), each read first. */
async function tusJsMs(paths: string[], endpoint: string): Promise<number> {
  const t0 = performance.now();
  for (const p of paths) {
    const data = await readFile(p);
    await new Promise<void>((resolveUpload, reject) => {
      const upload = new tus.Upload(data, {
        endpoint,
        metadata: { filename: p },
        retryDelays: [],
        onError: reject,
        onSuccess: () => resolveUpload(),
      });
      upload.start();
    });
  }
  return performance.now() - t0;
}

function pathsOf(folder: string, n: number): string[] {
  const paths: string[] = [];
  for (let d = 0; d * 1000 < n; d++) for (let i = 0; i < Math.min(1000, n - d * 1000); i++) paths.push(join(folder, `d${d}`, `f${i}.bin`));
  return paths;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type SmallSide = 'tusk' | 'tus-js-client' | 'undici';

/**
 * One side of the small-file bench in its own process (so no side inherits another's JIT type feedback on Node's
 * streams and event emitters): warm-up passes on the 1,000 warm-up files until the JIT has settled, then the timed
 * pass on the 2,000. Settled = two passes in a row within 15 % of each other after at least 3 passes (at most 6),
 * the same rule for every side. At least 3: with 2, a process often stopped while both passes were still unsettled
 * (Tusk 0.32–0.34 s against 0.21–0.26 s after 3–6 passes, the same hour). Why: the second and third engines of a process still deoptimized ≈20 functions (event
 * emitters, the journal's copy, the HTTP parser; --trace-deopt) and recompiled them on the second core the server
 * needs: 1.6–2.5× the user CPU of later passes. An app that has run for a while is past that.
 */
async function smallChild(name: SmallSide, endpoint: string, warm: string, folder: string, stateDir: string): Promise<void> {
  const warmPaths = pathsOf(warm, SMALL_WARM);
  const paths = pathsOf(folder, SMALL_FILES);
  const run = (files: string[], dir: string, state: string): Promise<number> =>
    name === 'tusk' ? tuskFolderMs(dir, state, endpoint) : name === 'tus-js-client' ? tusJsMs(files, endpoint) : rawUndiciMs(files, endpoint, SMALL_CONCURRENCY * 4);
  const warmMs: number[] = [];
  for (let pass = 0; pass < 6; pass++) {
    warmMs.push(await run(warmPaths, warm, `${stateDir}-warm-${pass}`));
    const [a, b] = warmMs.slice(-2);
    if (pass >= 2 && Math.abs(a - b) <= 0.15 * Math.min(a, b)) break;
  }
  const ms = await run(paths, folder, stateDir);
  process.stdout.write(JSON.stringify({ ms, warmPasses: warmMs.length }) + '\n');
}

/**
 * 2,000 × 16 KiB to the discard server. Three rounds, round-robin; in each, every side (Tusk's queue, the
 * tus-js-client loop, the bare-undici floor) runs in a fresh child process that first uploads the same 1,000 other
 * files twice (see `smallChild`), then the 2,000 (a fresh Tusk engine and state dir each pass). The figures are the
 * medians, the rounds are kept.
 */
async function benchSmallFiles(tmp: string): Promise<{
  files: number;
  tuskMs: number;
  tusJsMs: number;
  ratio: number;
  rawUndiciMs: number;
  floorRatio: number;
  rounds: Array<{ tuskMs: number; tusJsMs: number; rawUndiciMs: number }>;
  warmPasses: Record<string, number[]>;
}> {
  const server = servers!;
  const folder = join(tmp, 'small');
  const warm = join(tmp, 'small-warm');
  const N = SMALL_FILES;
  await createFiles(folder, N, 16 * 1024);
  await createFiles(warm, SMALL_WARM, 16 * 1024);
  try {
    const rounds: Array<{ tuskMs: number; tusJsMs: number; rawUndiciMs: number }> = [];
    const warmPasses: Record<string, number[]> = {};
    const side = (name: string, r: number): Promise<number> =>
      runBundleChild<{ ms: number; warmPasses: number }>(tmp, ['--small-child', name, server.endpoint, warm, folder, join(tmp, `state-small-${name}-${r}`)]).then(
        (x) => ((warmPasses[name] ??= []).push(x.warmPasses), x.ms),
      );
    for (let r = 0; r < 3; r++) {
      const tuskMs = await side('tusk', r);
      const anchorMs = await side('tus-js-client', r);
      const rawMs = await side('undici', r);
      rounds.push({ tuskMs, tusJsMs: anchorMs, rawUndiciMs: rawMs });
    }
    const tuskMs = median(rounds.map((r) => r.tuskMs));
    const anchorMs = median(rounds.map((r) => r.tusJsMs));
    const rawMs = median(rounds.map((r) => r.rawUndiciMs));
    return { files: N, tuskMs, tusJsMs: anchorMs, ratio: anchorMs / tuskMs, rawUndiciMs: rawMs, floorRatio: anchorMs / rawMs, rounds, warmPasses };
  } finally {
    await removeDir(folder);
    await removeDir(warm);
  }
}

async function benchLimit(tmp: string): Promise<{ limit: number; achieved: number; errorPct: number }> {
  const server = servers!;
  const limit = 5 * MiB;
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    files.push(join(tmp, `limit-${i}.bin`));
    await writeRandomFile(files[i], 6 * MiB, i + 1);
  }
  const engine = await engineFor(join(tmp, 'state-limit'), server.endpoint, { concurrency: 4, bandwidthLimit: limit });
  const t0 = performance.now();
  const added = await engine.api.addPaths({ paths: files, profileId: 'bench' });
  await waitIdle(engine, added.jobIds);
  const s = (performance.now() - t0) / 1000;
  await engine.close();
  const achieved = (files.length * 6 * MiB) / s;
  return { limit, achieved, errorPct: ((achieved - limit) / limit) * 100 };
}

async function benchRestart(tmp: string): Promise<{ trials: number[]; medianMs: number }> {
  const server = servers!;
  const file = join(tmp, 'restart.bin');
  await writeRandomFile(file, 64 * MiB, 9);
  const trials: number[] = [];
  {
    for (let t = 0; t < 3; t++) {
      const state = join(tmp, `state-restart-${t}`);
      const first = await engineFor(state, server.endpoint, { bandwidthLimit: 16 * MiB });
      const { jobIds: [id] } = await first.api.addPaths({ paths: [file], profileId: 'bench' });
      const q1 = internalsOf(first).queue;
      while (q1.job(id)!.offset < 4 * MiB) await new Promise((r) => setTimeout(r, 5));
      await first.close();
      const t0 = performance.now();
      const second = await engineFor(state, server.endpoint, { bandwidthLimit: 16 * MiB });
      const q2 = internalsOf(second).queue;
      // The job's offset starts at the server's offset; the first body byte sent moves it.
      let start: number | undefined;
      for (;;) {
        const j = q2.job(id)!;
        if (j.status === 'uploading' && start === undefined && j.offset > 0) start = j.offset;
        if (start !== undefined && j.offset > start) break;
        await new Promise((r) => setImmediate(r));
      }
      trials.push(performance.now() - t0);
      await second.close();
    }
  }
  const sorted = [...trials].sort((a, b) => a - b);
  return { trials, medianMs: sorted[1] };
}

if (args[0] === '--enqueue-child') {
  await enqueueChild(args[1], args[2], Number(args[3]));
  process.exit(0);
}
if (args[0] === '--small-child') {
  await smallChild(args[1] as SmallSide, args[2], args[3], args[4], args[5]);
  process.exit(0);
}

const tmp = await makeTempDir('tusk-queue-bench-');
const results: Record<string, unknown> = {
  machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
  at: new Date().toISOString(),
};
const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
try {
  servers = await startServers();
  console.log(`queue bench: ${cpus().length} cpu (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
  const enq = want('enqueue') ? await benchEnqueue(tmp) : undefined;
  if (enq) results.enqueue = enq;
  if (enq) console.log(
    `  enqueue ${enq.files} files:        ${(enq.ms / 1000).toFixed(2)} s, peak RSS ${enq.peakRssMiB.toFixed(0)} MiB (before ${enq.baseRssMiB.toFixed(0)} MiB; ${enq.mode})   target ≤ 3 s, ≤ 300 MiB  ${pass(enq.ms <= 3000 && enq.peakRssMiB <= 300)}`,
  );
  if (!args.includes('--skip-store') && want('store')) {
    try {
      const { runStoreBench } = (await import('./store')) as { runStoreBench: () => Promise<Record<string, number>> };
      const st = await runStoreBench();
      results.store = st;
      console.log(`  status change at 100k jobs:    ${st.patchUsAmortized.toFixed(2)} µs amortized (bench/store.ts)   target ≤ 1000 µs  ${pass(st.patchUsAmortized <= 1000)}`);
    } catch (err) {
      console.log(`  status change at 100k jobs:    not measured (${(err as Error).message})`);
    }
  }
  const small = want('small') ? await benchSmallFiles(tmp) : undefined;
  if (small) results.smallFiles = small;
  if (small) console.log(
    `  2,000 × 16 KiB to discard:      Tusk queue ${(small.tuskMs / 1000).toFixed(2)} s, tus-js-client sequential ${(small.tusJsMs / 1000).toFixed(2)} s → ${small.ratio.toFixed(1)}×   target ≥ 5×  ${pass(small.ratio >= 5)}`,
  );
  if (small) console.log(
    `    (medians of 3 round-robin rounds, each side in its own process after 1,000-file warm-up passes until steady — Tusk ${small.warmPasses.tusk?.join('/')}, tus-js-client ${small.warmPasses['tus-js-client']?.join('/')} passes: ${small.rounds.map((r) => `${(r.tuskMs / 1000).toFixed(2)}/${(r.tusJsMs / 1000).toFixed(2)}`).join(', ')} s Tusk/tus-js-client;` +
      ` floor: bare undici POSTs of the same files ${(small.rawUndiciMs / 1000).toFixed(2)} s → ${small.floorRatio.toFixed(1)}×)`,
  );
  const lim = want('limit') ? await benchLimit(tmp) : undefined;
  if (lim) results.limit = lim;
  if (lim) console.log(
    `  5 MiB/s limit:                  achieved ${(lim.achieved / MiB).toFixed(2)} MiB/s (${lim.errorPct >= 0 ? '+' : ''}${lim.errorPct.toFixed(1)}%)   target ±10%  ${pass(Math.abs(lim.errorPct) <= 10)}`,
  );
  const rs = want('restart') ? await benchRestart(tmp) : undefined;
  if (rs) results.restart = rs;
  if (rs) console.log(
    `  restart → first resumed byte:   ${rs.medianMs.toFixed(0)} ms median of ${rs.trials.map((x) => x.toFixed(0)).join(', ')}   target ≤ 1000 ms  ${pass(rs.medianMs <= 1000)}`,
  );
  await mkdir(join(here, 'out'), { recursive: true });
  await writeFile(resolve(here, 'out', 'queue.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await servers?.close();
  await removeDir(tmp);
}
