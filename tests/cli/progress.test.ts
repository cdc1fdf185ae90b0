/** The terminal progress bar: `renderProgress` (pure) and `ProgressBar` (redraw in place, throttling, speed). */
import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes, formatEta, renderProgress } from '../../main/cli/progress';

const MiB = 1024 * 1024;

describe('renderProgress', () => {
  it('shows bar, percent, bytes, speed, ETA and label', () => {
    const line = renderProgress({ sent: 25 * MiB, total: 100 * MiB, speed: 5 * MiB, label: 'big.iso', columns: 100 });
    expect(line).toMatch(/^\[#+\.+\] {2}25% 25\.0 MiB\/100\.0 MiB 5\.0 MiB\/s ETA 0:15 big\.iso$/);
    const bar = /^\[([#.]+)\]/.exec(line)?.[1] ?? '';
    expect(bar.length).toBeGreaterThanOrEqual(10);
    // A quarter of the cells are filled.
    expect(bar.split('#').length - 1).toBe(Math.round(bar.length / 4));
  });

  it('never exceeds columns - 1 and narrows the bar, then the label, as the terminal narrows', () => {
    const frame = { sent: 3 * MiB, total: 10 * MiB, speed: MiB, label: 'folder/sub/a-rather-long-file-name.bin', files: { done: 2, total: 7 } };
    for (const columns of [200, 120, 80, 60, 50, 40, 30, 20, 10, 2, 1]) {
      const line = renderProgress({ ...frame, columns });
      expect(line.length, `columns ${columns}`).toBeLessThanOrEqual(Math.max(1, columns - 1));
    }
    const wide = renderProgress({ ...frame, columns: 200 });
    expect(wide).toContain('folder/sub/a-rather-long-file-name.bin');
    expect(/^\[([#.]+)\]/.exec(wide)?.[1].length).toBe(30);
    // An 80-column terminal keeps a bar; the label keeps its end.
    const narrow = renderProgress({ ...frame, columns: 80 });
    expect(narrow).toMatch(/^\[#+\.+\] {2}30% 3\.0 MiB\/10\.0 MiB 1\.0 MiB\/s ETA 0:07 2\/7 files …[\w-]+\.bin$/);
    // Too narrow for a bar of 10 cells: no bar; then whole pieces go (file count, bytes), never half a word.
    expect(renderProgress({ ...frame, columns: 60 })).toMatch(/^ 30% 3\.0 MiB\/10\.0 MiB 1\.0 MiB\/s ETA 0:07 2\/7 files …/);
    expect(renderProgress({ ...frame, columns: 50 })).toMatch(/^ 30% 3\.0 MiB\/10\.0 MiB 1\.0 MiB\/s ETA 0:07 …[\w.]+$/);
    expect(renderProgress({ ...frame, columns: 30 })).toMatch(/^ 30% 1\.0 MiB\/s ETA 0:07/);
  });

  it('unknown total: no bar, no percent, bytes so far and speed, ETA unknown', () => {
    const line = renderProgress({ sent: 1536, total: undefined, speed: 512, label: 'stdin', columns: 80 });
    expect(line).toBe('1.5 KiB 512 B/s ETA --:-- stdin');
  });

  it('zero-byte file: complete at once (100%, ETA 0:00), no division by zero', () => {
    const line = renderProgress({ sent: 0, total: 0, speed: 0, label: 'empty.txt', columns: 80 });
    expect(line).toContain('100% 0 B/0 B 0 B/s ETA 0:00 empty.txt');
    expect(line).toMatch(/^\[#+\]/);
    expect(line).not.toMatch(/NaN|Infinity/);
  });

  it('no speed yet: ETA unknown; a given ETA wins over the computed one', () => {
    expect(renderProgress({ sent: 0, total: MiB, speed: 0, columns: 80 })).toContain('ETA --:--');
    expect(renderProgress({ sent: 0, total: MiB, speed: 1, etaSeconds: 3725, columns: 80 })).toContain('ETA 1:02:05');
  });

  it('many files: one aggregate line with done/total files', () => {
    const line = renderProgress({ sent: 700, total: 1000, speed: 100, files: { done: 41, total: 120 }, label: 'x.jpg', columns: 100 });
    expect(line).toMatch(/ 70% 700 B\/1000 B 100 B\/s ETA 0:03 41\/120 files x\.jpg$/);
    expect(line.split('\n')).toHaveLength(1);
  });

  it('clamps sent beyond total to 100%', () => {
    expect(renderProgress({ sent: 12, total: 10, speed: 1, columns: 80 })).toContain('100%');
  });
});

describe('formatters', () => {
  it('formatBytes and formatEta', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatEta(59)).toBe('0:59');
    expect(formatEta(61)).toBe('1:01');
    expect(formatEta(3600)).toBe('1:00:00');
    expect(formatEta(undefined)).toBe('--:--');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('--:--');
  });
});

/** A terminal stand-in that records what was written (the real-terminal run is in tty.test.ts). */
function recorder(columns = 80): { stream: { columns: number; write(t: string): boolean }; text: () => string } {
  let text = '';
  return {
    stream: {
      columns,
      write(t: string) {
        text += t;
        return true;
      },
    },
    text: () => text,
  };
}

describe('ProgressBar', () => {
  it('redraws in place (\\r … erase to end of line), at most once per interval, always at the end', () => {
    let now = 0;
    const r = recorder();
    const bar = new ProgressBar(r.stream, 100, () => now);
    bar.update({ sent: 0, total: 1000, speed: 10 });
    now = 50;
    bar.update({ sent: 100, total: 1000, speed: 10 }); // throttled
    now = 120;
    bar.update({ sent: 200, total: 1000, speed: 10 });
    now = 130;
    bar.update({ sent: 1000, total: 1000, speed: 10 }); // the last frame is never throttled
    const frames = r.text().split('\r').filter(Boolean);
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(f.endsWith('\x1b[K')).toBe(true);
    expect(frames.map((f) => /(\d+)%/.exec(f)?.[1])).toEqual(['0', '20', '100']);
    expect(r.text()).not.toContain('\n');
    bar.done();
    expect(r.text().endsWith('\r\x1b[K')).toBe(true);
  });

  it('messages go on their own line above the bar, which is redrawn below', () => {
    let now = 0;
    const r = recorder();
    const bar = new ProgressBar(r.stream, 100, () => now);
    bar.update({ sent: 500, total: 1000, speed: 10 });
    now = 10;
    bar.message('tusk: retry 1 in 1.0 s');
    expect(r.text()).toMatch(/\r\x1b\[Ktusk: retry 1 in 1\.0 s\n\r.* 50% .*\x1b\[K$/);
  });

  it('measures a smoothed speed when the caller gives none', () => {
    let now = 0;
    const r = recorder(120);
    const bar = new ProgressBar(r.stream, 0, () => now);
    for (let i = 0; i <= 10; i++) {
      now = i * 500;
      bar.update({ sent: i * 512 * 1024, total: 10 * MiB });
    }
    // 512 KiB every 0.5 s = 1 MiB/s; 5 MiB left → 0:05.
    expect(r.text().split('\r').pop()).toMatch(/ 50% 5\.0 MiB\/10\.0 MiB 1\.0 MiB\/s ETA 0:05/);
  });
});
