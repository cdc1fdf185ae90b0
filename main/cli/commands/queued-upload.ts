/**
 * `tusk upload` through the queue: folders become batches, `--concurrency` files run at once, `--limit-rate` caps the
 * bandwidth. The state dir makes it resumable: run the same command again (or `tusk queue resume`) after a crash.
 */
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Engine, SettingsRepository } from '../../engine/engine-types';
import { FileSettingsRepository, createEngine } from '../../engine/index';
import { internalsOf } from '../../engine/engine-internals';
import { makeProfile } from '../../engine/profiles';
import type { JobView, ServerProfile } from '../../../shared/types';
import { formatBytes, type ProgressBar } from '../progress';
import { trapInterrupt, type Interrupt } from '../interrupt';
import { shellQuote } from '../quote';

/** Options of `runQueuedUpload` (what `tusk upload` parsed). */
export interface QueuedUploadOptions {
  endpoint: string;
  /** Files uploaded at once (default 4). */
  concurrency?: number;
  /** Bytes per second, or text such as `10MiB`, `500k` (0 = unlimited). */
  limitRate?: number | string;
  /** Default: `defaultStateDir()`. */
  stateDir?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Bytes per PATCH (0 = whole file in one request). */
  chunkSize?: number;
  checksum?: ServerProfile['checksum'];
  /** Verify the server's TLS certificate (default true; `--insecure` sets false). */
  verifyTls?: boolean;
  /** A PEM file with an extra CA to trust (`--ca`); stored as an absolute path so `tusk queue resume` finds it. */
  caPath?: string;
  /** `--proxy`: a proxy URL or false (none); absent: the environment's. */
  proxy?: string | false;
  /** Follow symbolic links inside folders for this run (`--follow-symlinks`), whatever the state dir's settings say. */
  followSymlinks?: boolean;
  /** Print a JSON summary instead of text. */
  json?: boolean;
  /** No progress lines on stderr. */
  quiet?: boolean;
  /** Where text goes (tests pass their own). */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** A terminal progress bar (the CLI passes one when stderr is a terminal and `--json` is off). */
  bar?: ProgressBar;
  /** Ctrl-C handling of the caller; without one, the run traps SIGINT/SIGTERM itself while it waits. */
  interrupt?: Interrupt;
}

/** `$XDG_STATE_HOME/tusk`, else `~/.local/state/tusk`. */
export function defaultStateDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return xdg && xdg.startsWith('/') ? join(xdg, 'tusk') : join(homedir(), '.local', 'state', 'tusk');
}

/**
 * Parses a rate: a plain number is bytes/s; `k`/`M`/`G` (with or without `i`, as in curl's --limit-rate) are powers
 * of 1024; `kB`/`MB`/`GB` are powers of 1000. A trailing `/s` is allowed.
 */
export function parseRate(text: number | string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0)
      throw new Error(`--limit-rate must be 0 or more bytes per second, got ${text}.`);
    return Math.floor(text);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)(?:\/s)?\s*$/i.exec(text);
  if (!m)
    throw new Error(`--limit-rate "${text}" is not a rate. Use bytes per second, e.g. 1048576, 500k, 10MiB or 2MB.`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const power = unit === '' ? 0 : 'kmgt'.indexOf(unit) + 1;
  const decimal = m[3] === '' && m[4] !== '' && power > 0;
  return Math.floor(n * (decimal ? 1000 : 1024) ** power);
}

/**
 * Finds or creates the profile for an endpoint. A profile is identified by endpoint, headers, TLS settings
 * (`verifyTls`, `caPath`) and proxy: the same command again gets the same profile (so resume works), while a run with
 * other choices gets its own profile and leaves the jobs of the earlier one with the settings they were queued with.
 */
async function profileFor(engine: Engine, o: QueuedUploadOptions): Promise<ServerProfile> {
  const { profiles, queue } = internalsOf(engine);
  const headers = Object.entries(o.headers ?? {}).map(([name, value]) => ({
    name,
    value,
    secret: /authorization|token|key|secret/i.test(name),
  }));
  const verifyTls = o.verifyTls ?? true;
  const caPath = o.caPath !== undefined ? resolve(o.caPath) : undefined;
  for (const p of await profiles.list()) {
    if (p.endpoint !== o.endpoint || p.verifyTls !== verifyTls || (p.caPath || undefined) !== caPath || p.proxy !== o.proxy) continue;
    const stored = await profiles.resolveHeaders(p.id);
    if (JSON.stringify(stored) !== JSON.stringify(o.headers ?? {})) continue;
    const wanted = {
      chunkSize: o.chunkSize ?? p.chunkSize,
      checksum: o.checksum ?? p.checksum,
      maxConcurrent: Math.max(p.maxConcurrent, o.concurrency ?? 4),
    };
    if (
      wanted.chunkSize !== p.chunkSize ||
      wanted.checksum !== p.checksum ||
      wanted.maxConcurrent !== p.maxConcurrent
    ) {
      const saved = await profiles.save({ ...p, ...wanted });
      queue.profileChanged(saved);
      return saved;
    }
    return p;
  }
  const created = makeProfile({
    endpoint: o.endpoint,
    name: o.endpoint,
    headers,
    maxConcurrent: Math.max(4, o.concurrency ?? 4),
    verifyTls,
    ...(caPath !== undefined ? { caPath } : {}),
    ...(o.proxy !== undefined ? { proxy: o.proxy } : {}),
    ...(o.chunkSize !== undefined ? { chunkSize: o.chunkSize } : {}),
    ...(o.checksum ? { checksum: o.checksum } : {}),
  });
  const saved = await profiles.save(created);
  queue.profileChanged(saved);
  return saved;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** How `waitForJobs` shows progress and learns of Ctrl-C. */
export interface WaitOptions {
  /** No progress lines (with `--json` or `--quiet`). */
  quiet?: boolean;
  /** Lines for people (stderr). */
  err?: (line: string) => void;
  /** A terminal bar redrawn in place; without one, a progress line every second unless quiet. */
  bar?: ProgressBar;
  /** Aborted by Ctrl-C: waiting stops (the engine's close then stops the uploads, resumable). */
  signal?: AbortSignal;
}

/**
 * Waits until every job in `ids` (or the whole queue when omitted) is completed, failed or cancelled, or until
 * `signal` aborts, showing progress. Returns the jobs as they are then.
 */
export async function waitForJobs(engine: Engine, ids: string[] | undefined, o: WaitOptions): Promise<JobView[]> {
  const { queue } = internalsOf(engine);
  const err = o.err ?? ((l: string) => process.stderr.write(l + '\n'));
  let lastPrint = 0;
  const retriesShown = new Set<string>();
  for (;;) {
    const list = ids ?? queue.jobIds();
    const jobs = list.map((id) => queue.job(id)).filter((j): j is JobView => j !== undefined);
    const open = ids
      ? jobs.filter((j) => !TERMINAL.has(j.status))
      : queue.isIdle()
        ? []
        : jobs.filter((j) => !TERMINAL.has(j.status) && j.status !== 'paused');
    if (open.length === 0 || o.signal?.aborted) {
      o.bar?.done();
      return jobs;
    }
    const now = Date.now();
    const retrying = jobs.find((j) => j.status === 'retrying');
    const retryNote =
      retrying?.lastError && retrying.nextAttemptAt
        ? `${retrying.name}: attempt ${retrying.attempt} failed (${retrying.lastError.message}); next in ${Math.max(0, Math.ceil((retrying.nextAttemptAt - now) / 1000))} s`
        : '';
    if (o.bar) {
      let size = 0;
      let done = 0;
      let filesDone = 0;
      for (const j of jobs) {
        size += j.size;
        done += j.status === 'completed' ? j.size : j.offset;
        if (j.status === 'completed') filesDone++;
      }
      if (retrying && retryNote && !retriesShown.has(`${retrying.id}:${retrying.attempt}`)) {
        retriesShown.add(`${retrying.id}:${retrying.attempt}`);
        o.bar.message(`tusk: ${retryNote}`);
      }
      // The bar measures speed from these bytes itself: the queue's overall speed is smoothed over many seconds
      // for the desktop's chart and lags at the start of a short run.
      o.bar.update({
        sent: done,
        total: size,
        files: { done: filesDone, total: jobs.length },
        label: open.find((j) => j.status === 'uploading')?.name ?? '',
      });
    } else if (!o.quiet && now - lastPrint >= 1000) {
      lastPrint = now;
      const t = queue.totals();
      err(
        `${t.filesDone}/${t.filesTotal} files, ${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)}, ${formatBytes(t.speed)}/s` +
          (t.etaSeconds !== undefined ? `, ${t.etaSeconds} s left` : '') +
          (retryNote ? ` — ${retryNote}` : ''),
      );
    }
    await new Promise<void>((r) => {
      // Every 100 ms, or at once on Ctrl-C.
      const timer = setTimeout(wake, 100);
      function wake(): void {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', wake);
        r();
      }
      o.signal?.addEventListener('abort', wake, { once: true });
    });
  }
}

/** What to tell a person whose queued run was stopped: the exact command that continues it. */
export function queueResumeHint(stateDir: string): string {
  return `Run \`tusk queue resume --state-dir ${shellQuote(stateDir)}\`, or the same command again, to continue where it stopped.`;
}

/** Prints a summary of finished jobs; returns the exit code (0 all completed, 1 otherwise). */
export function summarize(jobs: JobView[], o: { json?: boolean; out?: (line: string) => void }): number {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const failed = jobs.filter((j) => j.status !== 'completed');
  if (o.json) {
    out(
      JSON.stringify(
        {
          completed: jobs.length - failed.length,
          failed: failed.length,
          jobs: jobs.map((j) => ({
            id: j.id,
            path: j.path,
            relativePath: j.relativePath,
            size: j.size,
            status: j.status,
            uploadUrl: j.uploadUrl,
            resultUrl: j.resultUrl,
            attempt: j.attempt,
            error: j.lastError,
            notice: j.notice,
          })),
        },
      ),
    );
  } else {
    for (const j of jobs) {
      if (j.status === 'completed') out(`${j.relativePath ?? j.path}\t${j.uploadUrl ?? ''}`);
      else
        out(
          `${j.relativePath ?? j.path}\t${j.status.toUpperCase()}: ${j.lastError?.message ?? ''}${j.lastError?.hint ? ' ' + j.lastError.hint : ''}`,
        );
    }
    for (const j of jobs) if (j.notice) out(`note: ${j.relativePath ?? j.name}: ${j.notice}`);
  }
  return failed.length === 0 ? 0 : 1;
}

/** The state dir's settings with symbolic links followed, for one run: nothing of it is written to settings.json. */
function followingSymlinks(repo: SettingsRepository): SettingsRepository {
  return {
    get: async () => ({ ...(await repo.get()), followSymlinks: true }),
    update: async (patch) => ({ ...(await repo.update(patch)), followSymlinks: true }),
  };
}

/** `tusk upload <paths...> --endpoint <url> [--concurrency n] [--limit-rate r]` through the queue. Returns the exit code. */
export async function runQueuedUpload(paths: string[], options: QueuedUploadOptions): Promise<number> {
  const err = options.err ?? ((l: string) => process.stderr.write(l + '\n'));
  if (paths.length === 0) throw new Error('Nothing to upload: give one or more files or folders.');
  try {
    new URL(options.endpoint);
  } catch {
    throw new Error(
      `--endpoint "${options.endpoint}" is not a URL. Give the tus creation URL, e.g. https://example.com/files/.`,
    );
  }
  const rate = options.limitRate !== undefined ? parseRate(options.limitRate) : undefined;
  if (
    options.concurrency !== undefined &&
    (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 64)
  ) {
    throw new Error(`--concurrency must be a whole number from 1 to 64, got ${options.concurrency}.`);
  }
  const stateDir = options.stateDir ?? defaultStateDir();
  const engine = await createEngine({
    stateDir,
    ...(options.followSymlinks ? { settings: followingSymlinks(new FileSettingsRepository(stateDir)) } : {}),
  });
  const interrupt = options.interrupt ?? trapInterrupt(err);
  interrupt.hint = queueResumeHint(stateDir);
  let stopped = false;
  try {
    const { queue } = internalsOf(engine);
    for (const m of queue.recoveryMessages) err(`warning: ${m}`);
    if (options.concurrency !== undefined) queue.setConcurrency(options.concurrency);
    if (rate !== undefined) queue.setBandwidthLimit(rate);
    const profile = await profileFor(engine, options);
    const given = paths.map((p) => resolve(p));
    const added = await engine.api.addPaths({ paths: given, profileId: profile.id });
    // Running the same command again after Ctrl-C or a crash continues the earlier jobs of these paths (the queue
    // refuses to add a file twice) instead of stopping at "already in the queue".
    const snapshot = await engine.api.getSnapshot();
    const earlier = snapshot.jobs.filter(
      (j) =>
        j.profileId === profile.id &&
        !TERMINAL.has(j.status) &&
        !added.jobIds.includes(j.id) &&
        given.some((g) => j.path === g || j.path.startsWith(g + sep)),
    );
    const continued = new Set(earlier.map((j) => j.path));
    for (const j of earlier) {
      if (j.status === 'paused') await engine.api.resume({ kind: 'job', id: j.id });
      err(`continuing the earlier upload of ${j.path} (it was already in the queue)`);
    }
    // A folder is refused as a whole when every file in it already has an unfinished job: those are continued.
    const rejected = added.rejected.filter(
      (r) => !continued.has(r.path) && !earlier.some((j) => j.path.startsWith(r.path + sep)),
    );
    for (const r of rejected) err(`skipped ${r.path}: ${r.reason}`);
    for (const b of snapshot.batches) {
      if (!added.batchIds.includes(b.id)) continue;
      for (const p of b.problems) if (!continued.has(p.path)) err(`skipped ${p.path}: ${p.reason}`);
    }
    const waitIds = [...added.jobIds, ...earlier.map((j) => j.id)];
    const jobs = await waitForJobs(engine, waitIds, { ...options, signal: interrupt.signal });
    stopped = interrupt.signal.aborted;
    const code = summarize(jobs, options);
    if (stopped) return interrupt.exitCode;
    return rejected.length > 0 && code === 0 ? 1 : code;
  } finally {
    // Stops what still runs (resumable) and flushes the state before saying how to continue.
    await engine.close();
    // A caller with its own trap prints its own ending (after its result lines).
    if (!options.interrupt) {
      interrupt.dispose();
      if (stopped) err(`Stopped; the queue is saved in ${stateDir}. ${queueResumeHint(stateDir)}`);
    }
  }
}
