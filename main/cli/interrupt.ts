/**
 * Ctrl-C for long-running commands (`upload`, `resume`, `queue resume|retry`). The first SIGINT (or SIGTERM) aborts
 * `signal`: the command stops its uploads (they stay resumable), flushes its state, says how to continue and exits
 * with `EXIT.interrupted` (130; 143 for SIGTERM). A second one exits at once with the same code: the state on disk is
 * crash-safe, so nothing already recorded is lost, only the last progress note may be older.
 */

/** What a command sees of the trap. */
export interface Interrupt {
  /** Aborted by the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Which signal arrived first, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** The exit code for the signal received: 130 for SIGINT, 143 for SIGTERM (128 + signal number, as shells do). */
  readonly exitCode: number;
  /** How to continue, printed if a second signal quits at once (commands keep it current). */
  hint: string;
  /** Removes the handlers (Node's default handling comes back). */
  dispose(): void;
}

const CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Installs the handlers until `dispose()`. `say` prints to people (stderr). `exit` is `process.exit` except in tests.
 */
export function trapInterrupt(
  say: (text: string) => void = (t) => process.stderr.write(`${t}\n`),
  exit: (code: number) => void = (code) => process.exit(code),
): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (received === undefined) {
      received = sig;
      say('tusk: stopping (uploads stay resumable); press Ctrl-C again to quit at once.');
      controller.abort();
      return;
    }
    say(`tusk: quitting now. ${trap.hint}`);
    exit(CODES[received] ?? 130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const trap: Interrupt = {
    hint: 'Run the same command again to continue.',
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received ? (CODES[received] ?? 130) : 0;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
  return trap;
}
