import type { Command } from 'commander';
import { TusClient } from '../../engine/tus/client';
import { EXIT, addConnectionOptions, runCommand, type ConnectionFlags } from '../options';
import { transferOptionsFrom } from '../parse';

/** `tusk server <endpoint>`: what a tus server supports (OPTIONS). */
export function registerServerCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('server')
      .description('show what a tus server supports: version, extensions, max size, checksums')
      .argument('<endpoint>', 'the tus creation URL')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (endpoint: string, flags: { json?: boolean } & ConnectionFlags) => {
    await runCommand(Boolean(flags.json), async (out) => {
      const client = new TusClient({ ...transferOptionsFrom(flags, endpoint, (l) => out.info(`tusk: ${l}`)), maxRetries: 0 });
      try {
        const i = await client.getServerInfo();
        out.result(
          {
            endpoint: i.endpoint,
            version: i.version,
            versions: i.versions,
            extensions: i.extensions,
            maxSize: i.maxSize ?? null,
            checksumAlgorithms: i.checksumAlgorithms,
          },
          [
            `endpoint:   ${i.endpoint}`,
            `version:    ${i.version}${i.versions.length > 1 ? ` (also ${i.versions.slice(1).join(', ')})` : ''}`,
            `extensions: ${i.extensions.join(', ') || '-'}`,
            `max size:   ${i.maxSize ?? '-'}`,
            `checksums:  ${i.checksumAlgorithms.join(', ') || '-'}`,
          ].join('\n'),
        );
        return EXIT.ok;
      } finally {
        await client.close();
      }
    });
  });
}
