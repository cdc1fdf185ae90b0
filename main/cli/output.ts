import { isTusError } from '../engine/tus/errors';
import { ProgressBar } from './progress';

/**
 * Where a command writes: results on stdout (JSON lines with `--json`, nothing else), people's messages and the
 * progress bar on stderr. While a bar is drawn, messages and results first erase it, so no line is left half-drawn.
 */
export class Output {
  private bar: ProgressBar | undefined;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
  ) {}

  /** One result: a JSON line, or `human` on stdout. */
  result(obj: Record<string, unknown>, human: string): void {
    this.bar?.done();
    this.stdout.write(this.json ? `${JSON.stringify(obj)}\n` : `${human}\n`);
  }

  /** A message for a person (stderr, never stdout). */
  info(text: string): void {
    if (this.bar) this.bar.message(text);
    else this.stderr.write(`${text}\n`);
  }

  /** Reports an error on stderr (and as a JSON line with `--json`). */
  error(err: unknown, extra: Record<string, unknown> = {}): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = isTusError(err) ? err.code : 'error';
    this.fail(extra, code, message);
  }

  /** Reports a failure known only by code and text (stderr, and a JSON line with `--json`). */
  fail(extra: Record<string, unknown>, code: string, message: string): void {
    this.bar?.done();
    if (this.json) this.stdout.write(`${JSON.stringify({ ...extra, error: { code, message } })}\n`);
    this.info(`tusk: ${message}`);
  }

  /**
   * The progress bar (one per command run) on stderr when it is a terminal; none with `--json` or when stderr is a
   * pipe or a file, so scripts and logs never get carriage returns.
   */
  progress(): ProgressBar | undefined {
    const s = this.stderr as NodeJS.WriteStream;
    if (this.json || !s.isTTY) return undefined;
    this.bar ??= new ProgressBar(s);
    return this.bar;
  }

  /** Erases the bar, if one is drawn (before the process ends). */
  endProgress(): void {
    this.bar?.done();
  }
}
