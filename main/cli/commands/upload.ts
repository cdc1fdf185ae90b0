import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TusClient } from '../../engine/tus/client';
import type { UploadFileOptions, UploadResult } from '../../engine/tus/types';
import { EXIT, addTransferOptions, runCommand } from '../options';
import type { Output } from '../output';
import { UsageError, parseCount, transferOptionsFrom, uploadOptionsFrom, type TransferFlags } from '../parse';
import type { ServerProfile } from '../../../shared/types';
import { defaultStateDir, parseRate, runQueuedUpload } from './queued-upload';

/** Flags of `tusk upload`. */
export interface UploadFlags extends TransferFlags {
  endpoint?: string;
  json?: boolean;
  /** Files uploaded at once (queued mode). */
  concurrency?: string;
  /** Bandwidth cap such as `10MiB` (queued mode). */
  limitRate?: string;
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
      .argument('<path...>', 'files or folders to upload')
      .option('--endpoint <url>', 'the tus creation URL, e.g. https://host/files/')
      .option('--concurrency <n>', 'files uploaded at once, 1-64 (uses the queue; default 4)')
      .option('--limit-rate <rate>', 'bandwidth cap in bytes/s, e.g. 500k, 10MiB (uses the queue)'),
  ).action(async (files: string[], flags: UploadFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      if (!flags.endpoint)
        throw new UsageError('Missing --endpoint: give the tus creation URL, e.g. --endpoint https://host/files/.');
      if (flags.concurrency !== undefined || flags.limitRate !== undefined || (await anyFolder(files)))
        return runQueuedSelection(files, { ...flags, endpoint: flags.endpoint }, out);
      const client = new TusClient(transferOptionsFrom(flags, flags.endpoint));
      try {
        const per = uploadOptionsFrom(flags);
        let failed = 0;
        for (const file of files) if (!(await transferOne(client, out, file, per))) failed++;
        return failed ? EXIT.failed : EXIT.ok;
      } finally {
        await client.close();
      }
    });
  });
}

/** True when any of the paths is a folder (missing paths are left to the upload to report). */
async function anyFolder(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) return true;
  }
  return false;
}

/** Uploads (or resumes) one file and prints the outcome; true on success. Shared with `resume`. */
export async function transferOne(
  client: TusClient,
  out: Output,
  file: string,
  options: Partial<UploadFileOptions>,
): Promise<boolean> {
  const path = resolve(file);
  const bar = out.progress(file);
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  try {
    const result: UploadResult = await client.uploadFile({
      ...options,
      path,
      signal: ac.signal,
      onProgress: bar ? (sent, total) => bar.update(sent, total) : undefined,
      onEvent: (e) => {
        if (e.type === 'retry')
          out.info(`tusk: ${file}: retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s after: ${e.error.message}`);
        else if (e.type === 'restarted') out.info(`tusk: ${file}: starting over (${e.reason})`);
        else if (e.type === 'resumed') out.info(`tusk: ${file}: resuming at byte ${e.offset}`);
      },
    });
    bar?.done();
    out.result(
      { file, url: result.url, bytes: result.offset, resultUrl: result.resultUrl ?? null, complete: result.complete },
      result.resultUrl ? `${result.url} (${result.resultUrl})` : result.url,
    );
    return true;
  } catch (err) {
    bar?.done();
    out.error(err, { file });
    return false;
  } finally {
    process.off('SIGINT', onSignal);
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
  const code = await runQueuedUpload(paths, {
    endpoint,
    stateDir,
    headers: client.headers,
    verifyTls: client.verifyTls ?? true,
    ...(flags.ca !== undefined ? { caPath: resolve(flags.ca) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(limitRate !== undefined ? { limitRate } : {}),
    ...(client.chunkSize !== undefined ? { chunkSize: client.chunkSize } : {}),
    ...(flags.checksum !== undefined ? { checksum: flags.checksum as ServerProfile['checksum'] } : {}),
    json: true,
    quiet: Boolean(flags.json),
    out: (text) => (summary += text),
    err: (line) => out.info(`tusk: ${line}`),
  });
  const jobs = (JSON.parse(summary || '{"jobs":[]}') as { jobs: SummaryJob[] }).jobs;
  for (const j of jobs) {
    const label = j.relativePath ?? j.path;
    if (j.status === 'completed') {
      const url = j.uploadUrl ?? '';
      out.result(
        { file: j.path, url, bytes: j.size, resultUrl: j.resultUrl ?? null, complete: true },
        `${url}${j.resultUrl ? ` (${j.resultUrl})` : ''}\t${label}`,
      );
    } else {
      const message = j.error?.message
        ? `${j.error.message}${j.error.hint ? ` ${j.error.hint}` : ''}`
        : `${j.status}: not finished; run \`tusk queue resume --state-dir ${stateDir}\` to continue.`;
      out.fail({ file: j.path }, j.error?.code ?? j.status, `${label}: ${message}`);
    }
    if (j.notice) out.info(`tusk: note: ${label}: ${j.notice}`);
  }
  return code === 0 ? EXIT.ok : EXIT.failed;
}
