/**
 * `tusk queue list|resume|retry|cancel|clear [--state-dir <dir>] [--json]`: the durable queue from a terminal.
 * Each command opens the state dir (one process at a time holds it), does its work, and releases it.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { Engine } from '../../engine/engine-types';
import { FileProfileRepository, UploadQueue, createEngine } from '../../engine/index';
import { internalsOf } from '../../engine/engine-internals';
import { openStore } from '../../engine/store';
import type { JobView, Target } from '../../../shared/types';
import { defaultStateDir, formatBytes, summarize, waitForJobs } from './queued-upload';

export { runQueuedUpload, defaultStateDir, parseRate } from './queued-upload';
export type { QueuedUploadOptions } from './queued-upload';

interface CommonOptions {
  stateDir?: string;
  json?: boolean;
  quiet?: boolean;
}

async function withEngine<T>(o: CommonOptions, autoStart: boolean, run: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine({ stateDir: o.stateDir ?? defaultStateDir(), autoStart });
  try {
    for (const m of internalsOf(engine).queue.recoveryMessages) process.stderr.write(`warning: ${m}\n`);
    return await run(engine);
  } finally {
    await engine.close();
  }
}

/**
 * The jobs as the store holds them, without starting the engine: `createEngine` restores the queue, which asks every
 * server for its offset (HEAD) even with `autoStart: false`, and listing must not touch the network. A queue is built
 * on the open store (it holds the state-dir lock like any other command) but never restored, started or given a
 * working client, so nothing is sent and no job changes.
 */
export async function listJobs(stateDir: string): Promise<{ jobs: JobView[]; warnings: string[] }> {
  // A state dir that was never used holds no jobs; listing it should not create it.
  if (!(await stat(stateDir).catch(() => undefined))) return { jobs: [], warnings: [] };
  const store = await openStore(stateDir);
  const profiles = new FileProfileRepository(stateDir);
  const queue = new UploadQueue({
    store,
    clientFactory: () => {
      throw new Error('tusk queue list is read-only and sends no requests.');
    },
    getProfile: (id) => profiles.get(id),
    resolveHeaders: (id) => profiles.resolveHeaders(id),
    concurrency: 1,
    bandwidthLimit: 0,
    autoStart: false,
  });
  try {
    return { jobs: queue.snapshot().jobs, warnings: [...queue.recoveryMessages] };
  } finally {
    await queue.close();
    await store.close();
  }
}

/** Turns ids or unique id prefixes into targets; no ids = every job. */
function targetsOf(engine: Engine, ids: string[]): Target[] {
  if (ids.length === 0) return [{ kind: 'all' }];
  const all = internalsOf(engine).queue.jobIds();
  return ids.map((given) => {
    const hits = all.filter((id) => id.startsWith(given));
    if (hits.length === 1) return { kind: 'job', id: hits[0] };
    if (hits.length === 0) throw new Error(`No job id starts with "${given}". Run \`tusk queue list\` to see the ids.`);
    throw new Error(`"${given}" matches ${hits.length} jobs; give more characters of the id.`);
  });
}

function printJobs(jobs: JobView[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify(jobs, null, 2) + '\n');
    return;
  }
  if (jobs.length === 0) {
    process.stdout.write('The queue is empty.\n');
    return;
  }
  for (const j of jobs) {
    const pct = j.size > 0 ? Math.floor((j.offset / j.size) * 100) : j.status === 'completed' ? 100 : 0;
    const extra = j.lastError ? `  ${j.lastError.message}` : j.notice ? `  (${j.notice})` : '';
    process.stdout.write(
      `${j.id.slice(0, 8)}  ${j.status.padEnd(9)}  ${String(pct).padStart(3)}%  ${formatBytes(j.size).padStart(10)}  attempt ${j.attempt}  ${j.relativePath ?? j.path}${extra}\n`,
    );
  }
}

async function runAction(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  } catch (err) {
    process.stderr.write(`tusk: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** Adds `tusk queue …` to the program. */
export function registerQueueCommands(program: Command): void {
  const queue = program
    .command('queue')
    .description('Show and control the durable upload queue (resumable across restarts).');
  const common = (c: Command): Command =>
    c
      .option('--state-dir <dir>', `queue state directory (default ${defaultStateDir()})`)
      .option('--json', 'machine-readable output');

  common(queue.command('list').description('List queued, running, failed and finished jobs.')).action(
    (o: CommonOptions) =>
      runAction(async () => {
        const { jobs, warnings } = await listJobs(o.stateDir ?? defaultStateDir());
        for (const m of warnings) process.stderr.write(`warning: ${m}\n`);
        printJobs(jobs, o.json);
      }),
  );

  common(queue.command('resume').description('Resume paused and interrupted jobs and wait until the queue is done.'))
    .option('--quiet', 'no progress lines')
    .action((o: CommonOptions) =>
      runAction(() =>
        withEngine(o, true, async (engine) => {
          await engine.api.resume({ kind: 'all' });
          const jobs = await waitForJobs(engine, undefined, o);
          return summarize(
            jobs.filter((j) => j.status !== 'cancelled'),
            o,
          );
        }),
      ),
    );

  common(
    queue.command('retry [ids...]').description('Retry failed or cancelled jobs (all when no ids) and wait for them.'),
  )
    .option('--quiet', 'no progress lines')
    .action((ids: string[], o: CommonOptions) =>
      runAction(() =>
        withEngine(o, true, async (engine) => {
          const targets = targetsOf(engine, ids);
          for (const t of targets) await engine.api.retry(t);
          const chosen =
            targets[0]?.kind === 'all' ? undefined : targets.map((t) => (t.kind === 'job' ? t.id : '')).filter(Boolean);
          const jobs = await waitForJobs(engine, chosen, o);
          return summarize(
            jobs.filter((j) => j.status !== 'cancelled'),
            o,
          );
        }),
      ),
    );

  common(
    queue
      .command('cancel [ids...]')
      .description('Cancel jobs (all unfinished when no ids) and remove their uploads on the server.'),
  ).action((ids: string[], o: CommonOptions) =>
    runAction(() =>
      withEngine(o, false, async (engine) => {
        for (const t of targetsOf(engine, ids)) await engine.api.cancel(t);
        if (!o.json) process.stdout.write('Cancelled.\n');
        else printJobs((await engine.api.getSnapshot()).jobs, true);
      }),
    ),
  );

  common(
    queue.command('clear').description('Remove completed and cancelled jobs from the queue (history keeps them).'),
  ).action((o: CommonOptions) =>
    runAction(() =>
      withEngine(o, false, async (engine) => {
        const before = (await engine.api.getSnapshot()).jobs.length;
        await engine.api.clearFinished();
        const after = (await engine.api.getSnapshot()).jobs.length;
        if (o.json) process.stdout.write(JSON.stringify({ removed: before - after, remaining: after }) + '\n');
        else process.stdout.write(`Removed ${before - after} finished jobs; ${after} remain.\n`);
      }),
    ),
  );
}
