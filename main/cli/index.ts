/**
 * The `tusk` command line: the same engine as the desktop app, without Electron. Each command lives in
 * `commands/<name>.ts` and is added with one `registerXCommand(program)` line below.
 */
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerUploadCommand } from './commands/upload';
import { registerResumeCommand } from './commands/resume';
import { registerInfoCommand } from './commands/info';
import { registerServerCommand } from './commands/server';
import { registerDeleteCommand } from './commands/delete';
import { registerQueueCommands } from './commands/queue';
import { EXIT } from './options';

/** Builds the program with every command registered (tests and other entry points reuse it). */
export function buildProgram(): Command {
  const program = new Command('tusk')
    .description('Resumable uploads with the tus protocol (https://tus.io)')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerUploadCommand(program);
  registerResumeCommand(program);
  registerInfoCommand(program);
  registerServerCommand(program);
  registerDeleteCommand(program);
  registerQueueCommands(program);
  return program;
}

/** Parses argv and runs; usage errors exit 2, failed transfers 1, Ctrl-C 130 (see `EXIT`). */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander refuses (unknown flag or command, missing argument,
      // and `tusk` or `tusk queue` without a command, which prints the help on stderr) is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw err;
  }
}

/** Run when executed directly, through tsx, or from a bundle loaded by `bin/tusk.js`; not when imported by tests. */
function isEntry(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  if (/(^|[\\/])tusk(\.js)?$/.test(arg)) return true;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await main();
