/**
 * `tusk queue list|resume|retry|cancel|clear [--state-dir <dir>] [--json]`: the durable queue from a terminal.
 * Each command opens the state dir (one process at a time holds it), does its work, and releases it. `list`, `cancel`
 * and `clear` load it offline (no HEAD per unfinished upload; `cancel` sends only its own DELETEs), `resume` and
 * `retry` restore it fully (source checks, server offsets) and upload.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { Engine } from '../../engine/engine-types';
import { createEngine } from '../../engine/index';
import { internalsOf } from '../../engine/engine-internals';
import { isTusError } from '../../engine/tus/errors';
import type { CancelOutcome } from '../../engine/queue/queue';
import type { JobView, Target } from '../../../shared/types';
import { EXIT } from '../options';
import { Output } from '../output';
import { UsageError } from '../parse';
import { trapInterrupt } from '../interrupt';
import { shellQuote } from '../quote';
import { defaultStateDir, queueResumeHint, summarize, waitForJobs } from './queued-upload';
import { formatBytes } from '../progress';

export { runQueuedUpload, defaultStateDir, parseRate } from './queued-upload';
export type { QueuedUploadOptions } from './queued-upload';

interface CommonOptions {
  stateDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/** True when the state dir exists; a dir never used is an empty queue, and read-only commands do not create it. */
async function exists(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined)) !== undefined;
}

async function withEngine<T>(
  o: CommonOptions,
  mode: { autoStart: boolean; restore: 'full' | 'offline' },
  out: Output,
  run: (engine: Engine) => Promise<T>,
): Promise<T> {
  const engine = await createEngine({ stateDir: o.stateDir ?? defaultStateDir(), ...mode });
  try {
    for (const m of internalsOf(engine).queue.recoveryMessages) out.info(`tusk: warning: ${m}`);
    return await run(engine);
  } finally {
    await engine.close();
  }
}

/**
 * The jobs as the store holds them. The engine is opened offline: no request goes out (no HEAD for offsets), no
 * source file is checked and nothing starts, so listing works with the server down and changes no job. It still takes
 * the state-dir lock, so it is refused while another process uses the dir.
 */
export async function listJobs(stateDir: string): Promise<{ jobs: JobView[]; warnings: string[] }> {
  if (!(await exists(stateDir))) return { jobs: [], warnings: [] };
  const engine = await createEngine({ stateDir, restore: 'offline' });
  try {
    const { queue } = internalsOf(engine);
    return { jobs: queue.snapshot().jobs, warnings: [...queue.recoveryMessages] };
  } finally {
    await engine.close();
  }
}

/** Turns ids or unique id prefixes into targets; no ids = every job. An unknown or ambiguous id is a usage error. */
function targetsOf(engine: Engine, ids: string[]): Target[] {
  if (ids.length === 0) return [{ kind: 'all' }];
  const all = internalsOf(engine).queue.jobIds();
  return ids.map((given) => {
    const hits = all.filter((id) => id.startsWith(given));
    if (hits.length === 1) return { kind: 'job', id: hits[0] };
    if (hits.length === 0)
      throw new UsageError(`No job id starts with "${given}". Run \`tusk queue list\` to see the ids.`);
    throw new UsageError(`"${given}" matches ${hits.length} jobs; give more characters of the id.`);
  });
}

function printJobs(jobs: JobView[], out: Output): void {
  if (out.json) {
    // One line: the whole list as a JSON array, so `--json` output stays one JSON value per line.
    process.stdout.write(`${JSON.stringify(jobs)}\n`);
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

/** Runs a queue command: errors are printed (a JSON line too with `--json`); usage mistakes exit 2, the rest 1. */
async function runAction(o: CommonOptions, fn: (out: Output) => Promise<number | void>): Promise<void> {
  const out = new Output(Boolean(o.json));
  try {
    const code = await fn(out);
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  } catch (err) {
    const code = err instanceof UsageError ? 'usage' : isTusError(err) ? err.code : ((err as { code?: unknown }).code ?? 'error');
    out.fail({}, typeof code === 'string' ? code : 'error', err instanceof Error ? err.message : String(err));
    process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.failed;
  } finally {
    out.endProgress();
  }
}

/** A job `cancel` acts on, with what it knew before cancelling (the queue forgets the upload URL). */
interface Cancelled {
  job: JobView;
  url?: string;
  /** true: gone from the server; false: it could not be removed (see `error`); undefined: there was no upload. */
  removed?: boolean;
  error?: { code: string; message: string };
}

/** Adds `tusk queue …` to the program. */
export function registerQueueCommands(program: Command): void {
  const queue = program
    .command('queue')
    .description('Show and control the durable upload queue (resumable across restarts).');
  const common = (c: Command): Command =>
    c
      .option('--state-dir <dir>', `queue state directory (default ${defaultStateDir()})`)
      .option('--json', 'machine-readable output on stdout (JSON, one value per line)');

  common(queue.command('list').description('List queued, running, failed and finished jobs (sends no request).')).action(
    (o: CommonOptions) =>
      runAction(o, async (out) => {
        const { jobs, warnings } = await listJobs(o.stateDir ?? defaultStateDir());
        for (const m of warnings) out.info(`tusk: warning: ${m}`);
        printJobs(jobs, out);
      }),
  );

  /** Uploads until done or Ctrl-C; prints the summary and, when stopped, how to continue. */
  const uploadAndWait = async (
    engine: Engine,
    o: CommonOptions,
    out: Output,
    start: () => Promise<string[] | undefined>,
  ): Promise<number> => {
    const stateDir = o.stateDir ?? defaultStateDir();
    const interrupt = trapInterrupt((t) => out.info(t));
    interrupt.hint = queueResumeHint(stateDir);
    try {
      const chosen = await start();
      const bar = o.quiet ? undefined : out.progress();
      const jobs = await waitForJobs(engine, chosen, {
        quiet: Boolean(o.quiet || o.json),
        err: (l) => out.info(l),
        ...(bar ? { bar } : {}),
        signal: interrupt.signal,
      });
      if (interrupt.signal.aborted) {
        // Stop the uploads (resumable) and flush before printing anything that says the state is saved.
        await engine.close();
        summarize(
          jobs.filter((j) => j.status !== 'cancelled'),
          o,
        );
        out.info(`tusk: stopped; the queue is saved in ${stateDir}. ${queueResumeHint(stateDir)}`);
        return interrupt.exitCode;
      }
      return summarize(
        jobs.filter((j) => j.status !== 'cancelled'),
        o,
      );
    } finally {
      interrupt.dispose();
    }
  };

  common(queue.command('resume').description('Resume paused and interrupted jobs and wait until the queue is done.'))
    .option('--quiet', 'no progress lines')
    .action((o: CommonOptions) =>
      runAction(o, (out) =>
        withEngine(o, { autoStart: true, restore: 'full' }, out, (engine) =>
          uploadAndWait(engine, o, out, async () => {
            await engine.api.resume({ kind: 'all' });
            return undefined;
          }),
        ),
      ),
    );

  common(
    queue.command('retry [ids...]').description('Retry failed or cancelled jobs (all when no ids) and wait for them.'),
  )
    .option('--quiet', 'no progress lines')
    .action((ids: string[], o: CommonOptions) =>
      runAction(o, (out) =>
        withEngine(o, { autoStart: true, restore: 'full' }, out, (engine) =>
          uploadAndWait(engine, o, out, async () => {
            const targets = targetsOf(engine, ids);
            for (const t of targets) await engine.api.retry(t);
            return targets[0]?.kind === 'all'
              ? undefined
              : targets.map((t) => (t.kind === 'job' ? t.id : '')).filter(Boolean);
          }),
        ),
      ),
    );

  common(
    queue
      .command('cancel [ids...]')
      .description('Cancel jobs (all unfinished when no ids) and remove their uploads on the server.'),
  ).action((ids: string[], o: CommonOptions) =>
    runAction(o, async (out) => {
      const stateDir = o.stateDir ?? defaultStateDir();
      if (!(await exists(stateDir))) {
        if (ids.length > 0) throw new UsageError(`No job id starts with "${ids[0]}": ${stateDir} holds no queue.`);
        if (!o.json) process.stdout.write('The queue is empty; nothing to cancel.\n');
        return EXIT.ok;
      }
      return withEngine(o, { autoStart: false, restore: 'offline' }, out, async (engine) => {
        const { queue: q } = internalsOf(engine);
        const targets = targetsOf(engine, ids);
        const picked = new Set<string>();
        for (const t of targets) for (const id of t.kind === 'job' ? [t.id] : q.jobIds()) picked.add(id);
        const cancelled: Cancelled[] = [];
        for (const id of picked) {
          const job = q.job(id);
          if (!job) continue;
          if (job.status === 'completed' || job.status === 'cancelled') {
            if (ids.length > 0) out.info(`tusk: ${job.relativePath ?? job.path}: already ${job.status}; nothing to cancel.`);
            continue;
          }
          cancelled.push({ job, ...(job.uploadUrl ? { url: job.uploadUrl } : {}) });
        }
        // The queue's cancel sends DELETE (termination) and says per job whether the server upload is gone, and why not.
        const outcomes = new Map<string, CancelOutcome>();
        for (const t of targets) for (const oc of await q.cancel(t)) outcomes.set(oc.jobId, oc);
        for (const c of cancelled) {
          const oc = outcomes.get(c.job.id);
          if (!c.url || !oc || oc.removed === undefined) continue;
          c.removed = oc.removed;
          if (!oc.removed) c.error = { code: oc.code ?? 'error', message: oc.reason ?? 'the server did not remove it.' };
        }
        let failures = 0;
        for (const c of cancelled) {
          const label = c.job.relativePath ?? c.job.path;
          if (c.removed === false) {
            failures++;
            out.info(
              `tusk: ${label}: cancelled, but its upload could not be removed from the server: ${c.error?.message ?? ''} ` +
                `It stays there until the server expires it; remove it later with: tusk delete ${shellQuote(c.url ?? '')}`,
            );
          }
          if (o.json)
            process.stdout.write(
              `${JSON.stringify({
                id: c.job.id,
                path: c.job.path,
                status: 'cancelled',
                uploadUrl: c.url ?? null,
                serverRemoved: c.removed ?? null,
                ...(c.error ? { error: c.error } : {}),
              })}\n`,
            );
          else
            process.stdout.write(
              `${c.job.id.slice(0, 8)}  cancelled  ${label}${c.removed ? '  (removed from the server)' : c.removed === false ? '  (still on the server)' : ''}\n`,
            );
        }
        if (!o.json && cancelled.length === 0) process.stdout.write('Nothing to cancel.\n');
        return failures > 0 ? EXIT.failed : EXIT.ok;
      });
    }),
  );

  common(
    queue.command('clear').description('Remove completed and cancelled jobs from the queue (history keeps them).'),
  ).action((o: CommonOptions) =>
    runAction(o, async (out) => {
      const stateDir = o.stateDir ?? defaultStateDir();
      const print = (removed: number, remaining: number): void => {
        if (o.json) process.stdout.write(JSON.stringify({ removed, remaining }) + '\n');
        else process.stdout.write(`Removed ${removed} finished jobs; ${remaining} remain.\n`);
      };
      if (!(await exists(stateDir))) return print(0, 0);
      await withEngine(o, { autoStart: false, restore: 'offline' }, out, async (engine) => {
        const before = (await engine.api.getSnapshot()).jobs.length;
        await engine.api.clearFinished();
        const after = (await engine.api.getSnapshot()).jobs.length;
        print(before - after, after);
      });
    }),
  );
}

