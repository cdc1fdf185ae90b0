/**
 * Paths handed to Tusk on its command line ("Open with Tusk", a second launch, the login item). Pure, tested on Node.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of `pathsFromArgv`. */
export interface ArgvOptions {
  /**
   * How many leading entries are not arguments: 1 in a packaged app (the executable), 2 when run as
   * `electron <app path>` in development and tests. Default 1.
   */
  skipLeading?: number;
}

/**
 * The file and folder paths in an argv, absolute (relative ones resolved against `cwd`, `file://` URLs converted).
 * Flags (`--hidden`, Chromium's `--original-process-start-time=…`, macOS `-psn_…`) are skipped; after `--` every
 * entry is a path. Duplicates are removed, order kept.
 */
export function pathsFromArgv(argv: readonly string[], cwd: string, options: ArgvOptions = {}): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let onlyPaths = false;
  for (const arg of argv.slice(options.skipLeading ?? 1)) {
    if (!onlyPaths && arg === '--') {
      onlyPaths = true;
      continue;
    }
    if (!arg || (!onlyPaths && arg.startsWith('-'))) continue;
    let path: string;
    if (/^file:\/\//i.test(arg)) {
      try {
        path = fileURLToPath(arg);
      } catch {
        continue;
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      continue; // other URLs (tusk://, https://) are not files
    } else {
      path = isAbsolute(arg) ? arg : resolve(cwd, arg);
    }
    if (!seen.has(path)) {
      seen.add(path);
      out.push(path);
    }
  }
  return out;
}

/** Whether the app was started by the login item (which passes `--hidden`). */
export function startedHidden(argv: readonly string[]): boolean {
  return argv.includes('--hidden');
}
