import type { Command } from 'commander';
import { isTusError } from '../engine/tus/errors';
import { Output } from './output';
import { UsageError, collect } from './parse';

/**
 * Exit codes of `tusk`: 0 everything worked, 1 an upload or request failed, 2 a usage error, 130 stopped by Ctrl-C
 * (143 by SIGTERM; uploads stay resumable).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Adds the transfer flags shared by `upload` and `resume` (and by commands added later, such as `queue`). */
export function addTransferOptions(cmd: Command): Command {
  return cmd
    .option('--chunk-size <size>', 'bytes per PATCH request, e.g. 8MiB (default 8MiB)')
    .option('--checksum <algorithm>', 'none, auto, sha1, sha256, sha512 or md5 (default auto)')
    .option('--parallel <n>', 'upload in n parallel parts (needs the concatenation extension)')
    .option('--header <header>', "extra request header 'Name: value' (repeatable); @file reads such lines from a file", collect)
    .option('--metadata <pair>', 'upload metadata key=value (repeatable)', collect)
    .option('--stop-at <bytes>', 'stop once the server has this many bytes (resumable later)')
    .option('--retries <n>', 'retries per chunk after a failure (default 3)')
    .option('--retry-delay <s>', 'base delay between retries in seconds (default 1)')
    .option('--timeout <s>', 'socket inactivity timeout in seconds (default 30)')
    .option('--insecure', 'do not verify TLS certificates (only for a server you trust)')
    .option('--ca <file>', 'PEM file with an extra CA certificate to trust (servers with a private CA)')
    .option('--proxy <url>', 'forward proxy http://[user:password@]host:port, or none (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY)')
    .option('--state-dir <dir>', 'store upload URLs here and resume interrupted uploads of the same file')
    .option('--json', 'print one JSON object per line on stdout')
    .option('-v, --verbose', 'print every request and answer on stderr (secret header values are not shown)');
}

/**
 * Adds the connection flags of the one-request commands (`info`, `server`, `delete`): headers and TLS trust, worded
 * like `upload`'s so a private-CA server is reached the same way everywhere.
 */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--header <header>', "extra request header 'Name: value' (repeatable); @file reads such lines from a file", collect)
    .option('--insecure', 'do not verify TLS certificates (only for a server you trust)')
    .option('--ca <file>', 'PEM file with an extra CA certificate to trust (servers with a private CA)')
    .option('--proxy <url>', 'forward proxy http://[user:password@]host:port, or none (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY)')
    .option('-v, --verbose', 'print every request and answer on stderr (secret header values are not shown)');
}

/** The flags `addConnectionOptions` adds, as commander hands them over. */
export interface ConnectionFlags {
  verbose?: boolean;
  header?: string[];
  insecure?: boolean;
  ca?: string;
  proxy?: string;
}

/**
 * Runs a command body and turns the outcome into an exit code: usage mistakes (bad flags, bad URLs) are 2, failed
 * transfers 1. The code is set, not forced, so stdout is flushed before the process ends.
 */
export async function runCommand(json: boolean, body: (out: Output) => Promise<number>): Promise<void> {
  const out = new Output(json);
  try {
    process.exitCode = await body(out);
  } catch (err) {
    out.error(err);
    const usage = err instanceof UsageError || (isTusError(err) && err.code === 'invalid-url');
    process.exitCode = usage ? EXIT.usage : EXIT.failed;
  } finally {
    out.endProgress();
  }
}
