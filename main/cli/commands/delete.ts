import type { Command } from 'commander';
import { TusClient } from '../../engine/tus/client';
import { parseHttpUrl } from '../../engine/tus/url';
import { EXIT, addConnectionOptions, runCommand, type ConnectionFlags } from '../options';
import { transferOptionsFrom } from '../parse';

/** `tusk delete <upload-url>`: terminates an upload (termination extension). */
export function registerDeleteCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('delete')
      .description('delete an upload on the server (termination extension)')
      .argument('<upload-url>', 'the upload URL')
      .option(
        '--endpoint <url>',
        "the tus creation URL, asked whether it supports termination (default: the URL's parent)",
      )
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (url: string, flags: { endpoint?: string; json?: boolean } & ConnectionFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      const endpoint = flags.endpoint ?? new URL('.', parseHttpUrl(url, 'upload URL')).toString().replace(/\/$/, '');
      const client = new TusClient({ ...transferOptionsFrom(flags, endpoint, (l) => out.info(`tusk: ${l}`)), maxRetries: 0 });
      try {
        await client.deleteUpload(url);
        out.result({ url, deleted: true }, `deleted ${url}`);
        return EXIT.ok;
      } finally {
        await client.close();
      }
    });
  });
}
