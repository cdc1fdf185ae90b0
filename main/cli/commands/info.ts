import type { Command } from 'commander';
import { TusClient } from '../../engine/tus/client';
import { EXIT, runCommand } from '../options';
import { collect, transferOptionsFrom } from '../parse';

/** `tusk info <upload-url>`: offset, length, completeness, metadata and expiry of an upload (HEAD). */
export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('show an upload: offset, length, complete, metadata, expires')
    .argument('<upload-url>', 'the upload URL')
    .option('--header <header>', "extra request header 'Name: value' (repeatable)", collect)
    .option('--insecure', 'do not verify TLS certificates')
    .option('--json', 'print one JSON object on stdout')
    .action(async (url: string, flags: { header?: string[]; insecure?: boolean; json?: boolean }) => {
      await runCommand(Boolean(flags.json), async (out) => {
        const client = new TusClient({ ...transferOptionsFrom(flags, url), maxRetries: 0 });
        try {
          const info = await client.getUploadInfo(url);
          const expires = info.expires?.toISOString() ?? null;
          out.result(
            { url, offset: info.offset, length: info.length ?? null, complete: info.complete, metadata: info.metadata, expires, deferredLength: info.deferredLength },
            [
              `url:      ${url}`,
              `offset:   ${info.offset}`,
              `length:   ${info.length ?? 'deferred'}`,
              `complete: ${info.complete ? 'yes' : 'no'}`,
              `expires:  ${expires ?? '-'}`,
              ...Object.entries(info.metadata).map(([k, v]) => `metadata: ${k}=${v}`),
            ].join('\n'),
          );
          return EXIT.ok;
        } finally {
          await client.close();
        }
      });
    });
}
