/**
 * The terminal progress bar of `tusk upload`, `tusk resume` and `tusk queue resume|retry`: `renderProgress` builds one
 * line from numbers (pure, unit-tested), `ProgressBar` redraws it in place on stderr when stderr is a terminal.
 */

/** What one frame of the bar shows. */
export interface ProgressFrame {
  /** Bytes the server has. */
  sent: number;
  /** Bytes in all; `undefined` when unknown (a stream of deferred length). */
  total: number | undefined;
  /** Bytes per second (smoothed by the caller). */
  speed: number;
  /** Seconds left; computed from `speed` when omitted. */
  etaSeconds?: number;
  /** Aggregate of several files: shown as `done/total files`. */
  files?: { done: number; total: number };
  /** A file name or other label, shown last and shortened from the left when the line is too long. */
  label?: string;
  /** Terminal width; the line is at most `columns - 1` characters so it never wraps. */
  columns: number;
}

/** Formats bytes for people (binary units: `0 B`, `1.5 KiB`, `12.0 MiB`). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Math.max(0, n);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Formats seconds as `m:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One line of progress: `[#####.......]  42% 12.0 MiB/28.6 MiB 1.2 MiB/s ETA 0:14 3/5 files name`. To fit
 * `columns - 1`, the label is shortened from the left ("…" + its end), the bar narrows (down to 10 cells, then goes),
 * then the file count, the byte counts and the speed go; percent and ETA stay longest. Unknown totals show no bar and
 * no percent; a zero-byte total counts as complete.
 */
export function renderProgress(f: ProgressFrame): string {
  const max = Math.max(1, f.columns - 1);
  const known = f.total !== undefined;
  const total = f.total ?? 0;
  const frac = !known ? 0 : total === 0 ? 1 : Math.min(1, Math.max(0, f.sent / total));
  const remaining = known ? Math.max(0, total - f.sent) : undefined;
  const eta =
    f.etaSeconds ?? (remaining === undefined ? undefined : remaining === 0 ? 0 : f.speed > 0 ? remaining / f.speed : undefined);
  const pct = known ? `${Math.floor(frac * 100)}%`.padStart(4) : '';
  const bytes = known ? `${formatBytes(f.sent)}/${formatBytes(total)}` : formatBytes(f.sent);
  const parts = {
    pct,
    bytes,
    speed: `${formatBytes(f.speed)}/s`,
    eta: `ETA ${formatEta(eta)}`,
    files: f.files ? `${f.files.done}/${f.files.total} files` : '',
  };
  // Whole pieces go when the line is too long, least useful first.
  const join = (): string => [parts.pct, parts.bytes, parts.speed, parts.eta, parts.files].filter(Boolean).join(' ');
  for (const drop of ['files', 'bytes', 'speed'] as const) if (join().length > max) parts[drop] = '';
  const tail = join();

  let barCells = 0;
  if (known) {
    // The bar gets 10–30 cells: first next to a label of up to 12 characters, else with the label shortened more.
    const room = max - tail.length - 3;
    const labelRoom = f.label ? Math.min(f.label.length, 12) + 1 : 0;
    barCells = Math.min(30, room - labelRoom >= 10 ? room - labelRoom : room);
    if (barCells < 10) barCells = 0;
  }
  const filled = Math.round(frac * barCells);
  const bar = barCells ? `[${'#'.repeat(filled)}${'.'.repeat(barCells - filled)}] ` : '';
  let line = `${bar}${tail}`;
  if (f.label) {
    const room = max - line.length - 1;
    if (room >= 4) line += ` ${shortenLeft(f.label, room)}`;
  }
  return line.length > max ? line.slice(0, max) : line;
}

/** `text` cut to `width` characters, keeping its end (a file name's end says most). */
function shortenLeft(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}

/** Where a bar draws: a terminal (stderr). */
export interface BarStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/** Erase to the end of the line (ANSI EL). */
const CLEAR_EOL = '\x1b[K';

/**
 * A bar redrawn in place (`\r` + line + erase-to-end) at most every `intervalMs`, with a smoothed speed when the
 * caller gives none. `message()` prints a line above the bar without leaving a half-drawn bar behind.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  private frame: Omit<ProgressFrame, 'columns'> | undefined;
  private sample: { at: number; sent: number } | undefined;
  private speed = 0;

  constructor(
    private readonly stream: BarStream,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records progress and redraws when the last frame is older than the interval (or when the total is reached). */
  update(frame: Omit<ProgressFrame, 'columns' | 'speed'> & { speed?: number }): void {
    const t = this.now();
    const speed = frame.speed ?? this.measure(t, frame.sent);
    this.frame = { ...frame, speed };
    const finished = frame.total !== undefined && frame.sent >= frame.total;
    if (this.drawn && !finished && t - this.lastDraw < this.intervalMs) return;
    this.draw(t);
  }

  /** Prints a message on its own line; the bar is redrawn below it. */
  message(text: string): void {
    this.stream.write(`${this.drawn ? `\r${CLEAR_EOL}` : ''}${text}\n`);
    if (this.drawn) this.draw(this.now());
  }

  /** Erases the bar (call before printing results or exiting). */
  done(): void {
    if (this.drawn) this.stream.write(`\r${CLEAR_EOL}`);
    this.drawn = false;
  }

  private draw(t: number): void {
    if (!this.frame) return;
    this.lastDraw = t;
    this.drawn = true;
    this.stream.write(`\r${renderProgress({ ...this.frame, columns: this.stream.columns ?? 80 })}${CLEAR_EOL}`);
  }

  /** Speed over the last samples, smoothed (EWMA with a ~2 s memory) so the ETA does not jump with every chunk. */
  private measure(t: number, sent: number): number {
    const prev = this.sample;
    if (!prev || sent < prev.sent) {
      this.sample = { at: t, sent };
      return this.speed;
    }
    const dt = (t - prev.at) / 1000;
    if (dt < 0.2) return this.speed;
    const current = (sent - prev.sent) / dt;
    const alpha = Math.min(1, dt / 2);
    this.speed = this.speed === 0 ? current : this.speed + alpha * (current - this.speed);
    this.sample = { at: t, sent };
    return this.speed;
  }
}
