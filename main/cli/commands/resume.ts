import type { Command } from 'commander';
import { TusClient } from '../../engine/tus/client';
import { parseHttpUrl } from '../../engine/tus/url';
import { EXIT, addTransferOptions, runCommand } from '../options';
import { UsageError, transferOptionsFrom, uploadOptionsFrom, type TransferFlags } from '../parse';
import { trapInterrupt } from '../interrupt';
import { checkStdinUse, resumeHintFor, transferOne } from './upload';

/** Flags of `tusk resume`. */
export interface ResumeFlags extends TransferFlags {
  url?: string;
  endpoint?: string;
  json?: boolean;
}

/** `tusk resume <file> --url <upload-url>`: continues an upload from the server's offset. */
export function registerResumeCommand(program: Command): void {
  addTransferOptions(
    program
      .command('resume')
      .description('resume an interrupted upload from the server offset')
      .argument('<file>', 'the file being uploaded, or - to read the same data again from standard input')
      .option('--url <upload-url>', 'the upload URL printed by `tusk upload`')
      .option('--endpoint <url>', 'creation URL for a new upload if the old one is gone (default: the URL\'s parent)'),
  ).action(async (file: string, flags: ResumeFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      if (!flags.url) throw new UsageError('Missing --url: give the upload URL to resume, e.g. --url https://host/files/abc.');
      checkStdinUse([file], flags, false);
      const endpoint = flags.endpoint ?? new URL('.', parseHttpUrl(flags.url, 'upload URL')).toString();
      const client = new TusClient(transferOptionsFrom(flags, endpoint, (l) => out.info(`tusk: ${l}`)));
      const interrupt = trapInterrupt((t) => out.info(t));
      try {
        const outcome = await transferOne(
          client,
          out,
          file,
          { ...uploadOptionsFrom(flags), uploadUrl: flags.url },
          { interrupt, hint: resumeHintFor(flags, flags.endpoint) },
        );
        return outcome === 'ok' ? EXIT.ok : outcome === 'interrupted' ? interrupt.exitCode : EXIT.failed;
      } finally {
        interrupt.dispose();
        await client.close();
      }
    });
  });
}
