/**
 * Store micro-benchmark: `npx tsx bench/store.ts`. With 100,000 jobs in the store it measures the amortized cost of
 * one status change (including its share of the group writes), one flush (fsync), a compaction and the longest
 * event-loop stall during it, opening the state directory, and the file sizes; and, in the same run, the naive
 * alternative (rewrite the whole queue as JSON per change) as the anchor.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openStore } from '../main/engine/store/index';
import { makeJob } from '../tests/store/helpers';
import type { JobStatus } from '../shared/types';

const JOBS = 100_000;
const CHANGES = 100_000;
const FLUSHES = 50;
const NAIVE_CHANGES = 5;

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
const yieldLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the benchmark in a temp dir and returns the figures (ms, bytes, ratio). */
export async function runStoreBench(): Promise<Record<string, number>> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tusk-store-bench-'));
  try {
    let store = await openStore(path.join(dir, 'state'));
    for (let i = 0; i < JOBS; i++) store.putJob(makeJob(i));
    let t = process.hrtime.bigint();
    await store.compact();
    const compactNoLoadMs = ms(t);
    await store.flush();

    // Status changes, yielding to the event loop every 1,000 so group writes run as they would in the app.
    const statuses: JobStatus[] = ['uploading', 'retrying', 'uploading', 'completed'];
    t = process.hrtime.bigint();
    for (let k = 0; k < CHANGES; k++) {
      store.patchJob(`job-${k % JOBS}`, { status: statuses[k % statuses.length] });
      if (k % 1000 === 999) await yieldLoop();
    }
    await store.flush();
    const patchUs = (ms(t) * 1000) / CHANGES;

    // flush() after one change: one group write plus one fsync.
    t = process.hrtime.bigint();
    for (let k = 0; k < FLUSHES; k++) {
      store.patchJob('job-1', { offset: k });
      await store.flush();
    }
    const flushMs = ms(t) / FLUSHES;
    const journalBytes = store.journalBytes;

    // Compaction with the journal full of changes, watching the event loop meanwhile.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    t = process.hrtime.bigint();
    await store.compact();
    const compactMs = ms(t);
    delay.disable();
    const compactMaxStallMs = delay.max / 1e6;
    const snapshotBytes = store.snapshotBytes;
    // Leave a journal of 100k changes behind so the open below replays a realistic amount.
    for (let k = 0; k < CHANGES; k++) {
      store.patchJob(`job-${k % JOBS}`, { status: statuses[k % statuses.length] });
      if (k % 1000 === 999) await yieldLoop();
    }
    const reopenJournalBytes = (await store.flush(), store.journalBytes);
    await store.close();

    t = process.hrtime.bigint();
    store = await openStore(path.join(dir, 'state'));
    const openMs = ms(t);
    if (store.loaded.jobs.size !== JOBS) throw new Error(`expected ${JOBS} jobs after reopen, found ${store.loaded.jobs.size}`);
    await store.close();

    // The anchor: the whole queue rewritten as one JSON file per change (no fsync, like the store's patchJob).
    const jobs = Array.from({ length: JOBS }, (_, i) => makeJob(i));
    const naivePath = path.join(dir, 'naive.json');
    t = process.hrtime.bigint();
    for (let k = 0; k < NAIVE_CHANGES; k++) {
      jobs[k].status = 'completed';
      await fsp.writeFile(naivePath, JSON.stringify(jobs));
    }
    const naiveMs = ms(t) / NAIVE_CHANGES;

    return {
      jobs: JOBS,
      patchUsAmortized: patchUs,
      naiveRewriteMsPerChange: naiveMs,
      naiveOverJournalRatio: (naiveMs * 1000) / patchUs,
      flushMs,
      compactMs,
      compactMaxStallMs,
      compactFirstMs: compactNoLoadMs,
      openMs,
      snapshotBytes,
      journalBytesAfter100kChanges: journalBytes,
      journalBytesAtOpen: reopenJournalBytes,
    };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await runStoreBench();
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(`store bench: ${os.cpus().length} cpu (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, ${r.jobs} jobs`);
  console.log(`  status change, amortized (incl. group writes): ${r.patchUsAmortized.toFixed(2)} µs   (target ≤ 1000 µs)`);
  console.log(`  naive whole-queue JSON rewrite per change:      ${(r.naiveRewriteMsPerChange * 1000).toFixed(0)} µs   (anchor)`);
  console.log(`  ratio naive / journal:                          ${r.naiveOverJournalRatio.toFixed(0)}×`);
  console.log(`  flush() (group write + fsync):                  ${r.flushMs.toFixed(2)} ms`);
  console.log(`  compact() 100k jobs:                            ${r.compactMs.toFixed(0)} ms, longest event-loop stall ${r.compactMaxStallMs.toFixed(1)} ms`);
  console.log(`  open (snapshot + ${mib(r.journalBytesAtOpen)} journal):          ${r.openMs.toFixed(0)} ms`);
  console.log(`  snapshot ${mib(r.snapshotBytes)}; journal after 100k changes ${mib(r.journalBytesAfter100kChanges)}`);
}
