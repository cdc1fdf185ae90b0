import type { Command } from 'commander';
import { resolve } from 'node:path';
import { TusClient } from '../../engine/tus/client';
import type { UploadFileOptions, UploadResult } from '../../engine/tus/types';
import { EXIT, addTransferOptions, runCommand } from '../options';
import type { Output } from '../output';
import { UsageError, transferOptionsFrom, uploadOptionsFrom, type TransferFlags } from '../parse';

/** Flags of `tusk upload`. */
export interface UploadFlags extends TransferFlags {
  endpoint?: string;
  json?: boolean;
}

/** `tusk upload <file>... --endpoint <url>`: uploads files one after another; prints each upload URL. */
export function registerUploadCommand(program: Command): void {
  addTransferOptions(
    program
      .command('upload')
      .description('upload files to a tus endpoint')
      .argument('<file...>', 'files to upload')
      .option('--endpoint <url>', 'the tus creation URL, e.g. https://host/files/'),
  ).action(async (files: string[], flags: UploadFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      if (!flags.endpoint) throw new UsageError('Missing --endpoint: give the tus creation URL, e.g. --endpoint https://host/files/.');
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

/** Uploads (or resumes) one file and prints the outcome; true on success. Shared with `resume`. */
export async function transferOne(client: TusClient, out: Output, file: string, options: Partial<UploadFileOptions>): Promise<boolean> {
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
        if (e.type === 'retry') out.info(`tusk: ${file}: retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s after: ${e.error.message}`);
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
