import type { Command } from 'commander';
import { fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TusClient } from '../../engine/tus/client';
import type { UploadFileOptions, UploadResult } from '../../engine/tus/types';
import { EXIT, addTransferOptions, runCommand } from '../options';
import { abortedError } from '../../engine/tus/errors';
import { trapInterrupt, type Interrupt } from '../interrupt';
import { shellQuote } from '../quote';
import type { Output } from '../output';
import { UsageError, parseCount, transferOptionsFrom, uploadOptionsFrom, type TransferFlags } from '../parse';
import type { ServerProfile } from '../../../shared/types';
import { defaultStateDir, parseRate, queueResumeHint, runQueuedUpload } from './queued-upload';

/** Flags of `tusk upload`. */
export interface UploadFlags extends TransferFlags {
  endpoint?: string;
  json?: boolean;
  /** Files uploaded at once (queued mode). */
  concurrency?: string;
  /** Bandwidth cap such as `10MiB` (queued mode). */
  limitRate?: string;
  /** Follow symbolic links inside folders (queued mode; a file named directly is always read through its link). */
  followSymlinks?: boolean;
}

/**
 * `tusk upload <file-or-folder>... --endpoint <url>`: single files go straight through the engine one after another;
 * folders, `--concurrency` and `--limit-rate` go through the durable queue (resumable with `tusk queue resume`).
 * Either way stdout gets one result per file.
 */
export function registerUploadCommand(program: Command): void {
  addTransferOptions(
    program
      .command('upload')
      .description('upload files and folders to a tus endpoint')
      .argument('<path...>', 'files or folders to upload; - reads one upload from standard input')
      .option('--endpoint <url>', 'the tus creation URL, e.g. https://host/files/')
      .option('--concurrency <n>', 'files uploaded at once, 1-64 (uses the queue; default 4)')
      .option('--limit-rate <rate>', 'bandwidth cap in bytes/s, e.g. 500k, 10MiB (uses the queue)')
      .option('--follow-symlinks', 'follow symbolic links inside folders (links that loop back are reported and skipped)'),
  ).action(async (files: string[], flags: UploadFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      if (!flags.endpoint)
        throw new UsageError('Missing --endpoint: give the tus creation URL, e.g. --endpoint https://host/files/.');
      const queued = flags.concurrency !== undefined || flags.limitRate !== undefined || (await anyFolder(files));
      checkStdinUse(files, flags, queued);
      if (queued) return runQueuedSelection(files, { ...flags, endpoint: flags.endpoint }, out);
      const client = new TusClient(transferOptionsFrom(flags, flags.endpoint, (l) => out.info(`tusk: ${l}`)));
      const interrupt = trapInterrupt((t) => out.info(t));
      try {
        const per = uploadOptionsFrom(flags);
        const hint = resumeHintFor(flags, flags.endpoint);
        let failed = 0;
        for (const [i, file] of files.entries()) {
          const position = files.length > 1 ? { done: i, total: files.length } : undefined;
          const outcome = await transferOne(client, out, file, per, { interrupt, hint, files: position });
          if (outcome === 'interrupted') {
            const rest = files.slice(i + 1);
            if (rest.length > 0)
              out.info(`tusk: not started: ${rest.map(shellQuote).join(' ')} (upload them with the same command).`);
            return interrupt.exitCode;
          }
          if (outcome === 'failed') failed++;
        }
        return failed ? EXIT.failed : EXIT.ok;
      } finally {
        interrupt.dispose();
        await client.close();
      }
    });
  });
}

/** The path that means standard input (`tar c dir | tusk upload - …`). */
export const STDIN = '-';

/**
 * Where `-` (standard input) may be used: once, and only on the direct path (the durable queue persists paths it can
 * open again; a pipe cannot be), not split into parallel parts, and not from a terminal (nothing would arrive).
 */
export function checkStdinUse(files: string[], flags: TransferFlags, queued: boolean): void {
  const count = files.filter((f) => f === STDIN).length;
  if (count === 0) return;
  if (count > 1) throw new UsageError('"-" (standard input) can be given only once.');
  if (queued)
    throw new UsageError(
      '"-" (standard input) cannot go through the queue (folders, --concurrency, --limit-rate): a pipe cannot be opened again after a restart. Upload it on its own.',
    );
  if (flags.parallel !== undefined && flags.parallel !== '1')
    throw new UsageError('--parallel needs files: standard input cannot be split into parts.');
  if (process.stdin.isTTY)
    throw new UsageError('"-" reads the upload from standard input, which is a terminal here: pipe the data in, e.g. `tar c dir | tusk upload - --endpoint …`.');
}

/**
 * The engine's source for a CLI path: a file, or standard input as a stream (its size known when it is a redirected
 * regular file, else deferred length; named `stdin` unless --metadata filename=… says otherwise).
 */
function sourceFor(file: string, metadata: Record<string, string> | undefined): Pick<UploadFileOptions, 'path' | 'stream' | 'size' | 'metadata'> {
  if (file !== STDIN) return { path: resolve(file) };
  const st = fstatSync(0);
  return {
    stream: process.stdin,
    ...(st.isFile() ? { size: st.size } : {}),
    metadata: { filename: 'stdin', filetype: 'application/octet-stream', ...metadata },
  };
}

/** True when any of the paths is a folder (missing paths are left to the upload to report). */
async function anyFolder(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) return true;
  }
  return false;
}

/** What the resume hint after Ctrl-C needs to know of the run. */
export interface ResumeHint {
  /** Extra words for `tusk resume` (`--endpoint`, `--state-dir`) and a note on flags to repeat. */
  args: string[];
  note: string;
  stateDir?: string;
}

/** Builds the resume hint's fixed part from the flags of `upload` or `resume`. */
export function resumeHintFor(flags: TransferFlags & { endpoint?: string }, endpoint: string | undefined): ResumeHint {
  const args: string[] = [];
  if (endpoint !== undefined) args.push('--endpoint', shellQuote(endpoint));
  if (flags.stateDir !== undefined) args.push('--state-dir', shellQuote(flags.stateDir));
  const repeat = [
    flags.header?.length ? '--header' : '',
    flags.insecure ? '--insecure' : '',
    flags.ca !== undefined ? '--ca' : '',
    flags.proxy !== undefined ? '--proxy' : '',
    flags.chunkSize !== undefined ? '--chunk-size' : '',
    flags.checksum !== undefined ? '--checksum' : '',
  ].filter(Boolean);
  return {
    args,
    note: repeat.length ? ` (with the same ${repeat.join(', ')} as this run)` : '',
    ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
  };
}

/** How one `transferOne` ended. */
export type TransferOutcome = 'ok' | 'failed' | 'interrupted';

/** What `transferOne` shares with the loop around it. */
export interface TransferContext {
  /** Ctrl-C: its signal stops the transfer; its hint is kept current for a second Ctrl-C. */
  interrupt: Interrupt;
  hint: ResumeHint;
  /** Position in a multi-file run, for the bar's aggregate. */
  files?: { done: number; total: number };
}

/** Uploads (or resumes) one file and prints the outcome. Shared with `resume`. */
export async function transferOne(
  client: TusClient,
  out: Output,
  file: string,
  options: Partial<UploadFileOptions>,
  ctx: TransferContext,
): Promise<TransferOutcome> {
  const source = sourceFor(file, options.metadata);
  const label = file === STDIN ? 'stdin' : file;
  const bar = out.progress();
  let url = options.uploadUrl;
  let acked = 0;
  /** False once the URL storage (the state dir) failed to keep this upload's URL: a re-run would not find it. */
  let urlStored = true;
  const howToResume = (): string => {
    if (!url) return `Nothing of ${label} reached the server yet: run the same command again.`;
    const cmd = `tusk resume ${shellQuote(file)} --url ${shellQuote(url)} ${ctx.hint.args.join(' ')}`.trimEnd();
    if (file === STDIN)
      return `To continue, pipe the same data into \`${cmd}\`${ctx.hint.note}; the bytes the server already has are skipped.`;
    const again =
      ctx.hint.stateDir !== undefined && urlStored ? ', or run the same `tusk upload` again (with --state-dir it resumes by itself)' : '';
    return `To continue ${file}, run \`${cmd}\`${ctx.hint.note}${again}.`;
  };
  const remember = (u: string): void => {
    url = u;
    ctx.interrupt.hint = howToResume();
  };
  ctx.interrupt.hint = howToResume();
  try {
    if (ctx.interrupt.signal.aborted) throw abortedError();
    const result: UploadResult = await client.uploadFile({
      ...options,
      ...source,
      signal: ctx.interrupt.signal,
      onProgress: bar ? (sent, total) => bar.update({ sent, total, label, files: ctx.files }) : undefined,
      onChunkComplete: (offset) => {
        acked = offset;
      },
      onUploadUrl: options.parallelUploads && options.parallelUploads > 1 ? undefined : remember,
      onEvent: (e) => {
        if (e.type === 'retry')
          out.info(`tusk: ${file}: retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s after: ${e.error.message}`);
        else if (e.type === 'restarted') out.info(`tusk: ${file}: starting over (${e.reason})`);
        else if (e.type === 'url-not-stored') {
          urlStored = false;
          remember(e.url);
          out.info(`tusk: ${file}: the upload goes on, but its URL was not saved for resuming: ${e.error.message} If it stops: ${howToResume()}`);
        }
        else if (e.type === 'resumed') {
          acked = e.offset;
          remember(e.url);
          out.info(`tusk: ${file}: resuming at byte ${e.offset}`);
        }
      },
    });
    out.result(
      { file, url: result.url, bytes: result.offset, resultUrl: result.resultUrl ?? null, complete: result.complete },
      result.resultUrl ? `${result.url} (${result.resultUrl})` : result.url,
    );
    return 'ok';
  } catch (err) {
    if (ctx.interrupt.signal.aborted) {
      const message = `Interrupted: ${label} stopped at byte ${acked}. ${howToResume()}`;
      out.fail({ file, url: url ?? null, bytes: acked }, 'interrupted', message);
      return 'interrupted';
    }
    out.error(err, { file });
    return 'failed';
  }
}

/** Flags the queue does not take per upload: refusing them beats ignoring them silently. */
const DIRECT_ONLY: Array<[keyof UploadFlags, string]> = [
  ['parallel', '--parallel'],
  ['metadata', '--metadata'],
  ['stopAt', '--stop-at'],
  ['retries', '--retries'],
  ['retryDelay', '--retry-delay'],
  ['timeout', '--timeout'],
  ['verbose', '--verbose'],
];

/** One job of `runQueuedUpload`'s JSON summary (what this command reads back). */
interface SummaryJob {
  path: string;
  relativePath?: string;
  size: number;
  status: string;
  uploadUrl?: string;
  resultUrl?: string;
  error?: { code?: string; message?: string; hint?: string };
  notice?: string;
}

/**
 * The queued path of `tusk upload`: validates flags (usage errors → exit 2), checks the server once (unreachable or
 * untrusted → exit 1 at once instead of the queue's endless retries), runs `runQueuedUpload` with the TLS choices (its
 * profile records them, so `tusk queue resume` uses them too), and prints one result per file like the direct path.
 */
export async function runQueuedSelection(
  paths: string[],
  flags: UploadFlags & { endpoint: string },
  out: Output,
): Promise<number> {
  for (const [key, name] of DIRECT_ONLY)
    if (flags[key] !== undefined)
      throw new UsageError(
        `${name} is not available when uploading folders or with --concurrency/--limit-rate; upload single files without those to use it.`,
      );
  const endpoint = flags.endpoint;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol))
    throw new UsageError(
      `Invalid --endpoint "${endpoint}": give the http(s) tus creation URL, e.g. --endpoint https://host/files/.`,
    );
  const concurrency = flags.concurrency !== undefined ? parseCount(flags.concurrency, '--concurrency', 1) : undefined;
  if (concurrency !== undefined && concurrency > 64)
    throw new UsageError(`Invalid --concurrency "${flags.concurrency}": give a whole number from 1 to 64.`);
  let limitRate: number | undefined;
  try {
    limitRate = flags.limitRate !== undefined ? parseRate(flags.limitRate) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const client = transferOptionsFrom({ ...flags, stateDir: undefined }, endpoint);
  const stateDir = resolve(flags.stateDir ?? defaultStateDir());

  const probe = new TusClient({ ...client, maxRetries: 0 });
  try {
    await probe.getServerInfo();
  } catch (err) {
    out.error(err);
    return EXIT.failed;
  } finally {
    await probe.close();
  }

  let summary = '';
  const interrupt = trapInterrupt((t) => out.info(t));
  let code: number;
  try {
    code = await runQueuedUpload(paths, {
      endpoint,
      stateDir,
      headers: client.headers,
      verifyTls: client.verifyTls ?? true,
      ...(flags.ca !== undefined ? { caPath: resolve(flags.ca) } : {}),
      ...(client.proxy !== undefined ? { proxy: client.proxy } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(limitRate !== undefined ? { limitRate } : {}),
      ...(flags.followSymlinks ? { followSymlinks: true } : {}),
      ...(client.chunkSize !== undefined ? { chunkSize: client.chunkSize } : {}),
      ...(flags.checksum !== undefined ? { checksum: flags.checksum as ServerProfile['checksum'] } : {}),
      json: true,
      quiet: Boolean(flags.json),
      bar: out.progress(),
      interrupt,
      out: (text) => (summary += text),
      err: (line) => out.info(`tusk: ${line}`),
    });
  } finally {
    interrupt.dispose();
  }
  const stopped = interrupt.signal.aborted;
  const jobs = (JSON.parse(summary || '{"jobs":[]}') as { jobs: SummaryJob[] }).jobs;
  for (const j of jobs) {
    const label = j.relativePath ?? j.path;
    if (j.status === 'completed') {
      const url = j.uploadUrl ?? '';
      out.result(
        { file: j.path, url, bytes: j.size, resultUrl: j.resultUrl ?? null, complete: true },
        `${url}${j.resultUrl ? ` (${j.resultUrl})` : ''}\t${label}`,
      );
    } else if (j.error?.message) {
      out.fail({ file: j.path }, j.error.code ?? j.status, `${label}: ${j.error.message}${j.error.hint ? ` ${j.error.hint}` : ''}`);
    } else if (stopped) {
      out.fail(
        { file: j.path, url: j.uploadUrl ?? null },
        'interrupted',
        `${label}: interrupted before it finished (${j.status}).`,
      );
    } else {
      out.fail({ file: j.path }, j.status, `${label}: ${j.status}: not finished. ${queueResumeHint(stateDir)}`);
    }
    if (j.notice) out.info(`tusk: note: ${label}: ${j.notice}`);
  }
  if (stopped) {
    out.info(`tusk: stopped; the queue is saved in ${stateDir}. ${queueResumeHint(stateDir)}`);
    return interrupt.exitCode;
  }
  return code === 0 ? EXIT.ok : EXIT.failed;
}
