import { isTusError } from '../engine/tus/errors';

/** Where a command writes: JSON lines on stdout with `--json`, people's messages on stderr. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
  ) {}

  /** One result: a JSON line, or `human` on stdout. */
  result(obj: Record<string, unknown>, human: string): void {
    this.stdout.write(this.json ? `${JSON.stringify(obj)}\n` : `${human}\n`);
  }

  /** A message for a person (stderr, never stdout). */
  info(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Reports an error on stderr (and as a JSON line with `--json`). */
  error(err: unknown, extra: Record<string, unknown> = {}): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = isTusError(err) ? err.code : 'error';
    if (this.json) this.stdout.write(`${JSON.stringify({ ...extra, error: { code, message } })}\n`);
    this.stderr.write(`tusk: ${message}\n`);
  }

  /** Reports a failure known only by code and text (stderr, and a JSON line with `--json`). */
  fail(extra: Record<string, unknown>, code: string, message: string): void {
    if (this.json) this.stdout.write(`${JSON.stringify({ ...extra, error: { code, message } })}\n`);
    this.stderr.write(`tusk: ${message}\n`);
  }

  /** A progress bar on a TTY (none with --json or when stderr is not a terminal). */
  progress(label: string): ProgressBar | undefined {
    const s = this.stderr as NodeJS.WriteStream;
    if (this.json || !s.isTTY) return undefined;
    return new ProgressBar(s, label);
  }
}

/** Formats bytes for people (binary units). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A one-line progress bar with speed and ETA, redrawn at most 10 times a second. */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private startBytes: number | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  /** Redraws (throttled). */
  update(sent: number, total: number | undefined): void {
    const now = Date.now();
    this.startBytes ??= sent;
    if (now - this.last < 100 && sent !== total) return;
    this.last = now;
    const elapsed = (now - this.started) / 1000;
    const speed = elapsed > 0 ? (sent - this.startBytes) / elapsed : 0;
    const width = 24;
    const frac = total ? Math.min(1, sent / total) : 0;
    const bar = total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}%` : '[streaming]';
    const eta = total && speed > 0 ? formatEta((total - sent) / speed) : '--:--';
    const cols = this.stream.columns ?? 100;
    const line = `${bar} ${formatBytes(sent)}${total ? `/${formatBytes(total)}` : ''} ${formatBytes(speed)}/s ETA ${eta} ${this.label}`;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
  }

  /** Clears the line. */
  done(): void {
    const cols = this.stream.columns ?? 100;
    this.stream.write(`\r${' '.repeat(cols - 1)}\r`);
  }
}
