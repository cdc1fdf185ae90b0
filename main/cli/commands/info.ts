import type { Command } from 'commander';
import { TusClient } from '../../engine/tus/client';
import { EXIT, addConnectionOptions, runCommand, type ConnectionFlags } from '../options';
import { transferOptionsFrom } from '../parse';

/** `tusk info <upload-url>`: offset, length, completeness, metadata and expiry of an upload (HEAD). */
export function registerInfoCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('info')
      .description('show an upload: offset, length, complete, metadata, expires')
      .argument('<upload-url>', 'the upload URL')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (url: string, flags: { json?: boolean } & ConnectionFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      const client = new TusClient({ ...transferOptionsFrom(flags, url, (l) => out.info(`tusk: ${l}`)), maxRetries: 0 });
      try {
        const info = await client.getUploadInfo(url);
        const expires = info.expires?.toISOString() ?? null;
        out.result(
          {
            url,
            offset: info.offset,
            length: info.length ?? null,
            complete: info.complete,
            metadata: info.metadata,
            expires,
            deferredLength: info.deferredLength,
          },
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
