import { describe, expect, it } from 'vitest';
import { buildRows } from './queue';
import { canMove, commonLevel, dropTarget, listPosition, moveTarget, priorityLevel, PRIORITY, type Move } from './reorder';

/** The run order the engine's `reorder(jobId, toIndex)` produces (UploadQueue.reorder: remove, then insert at toIndex). */
function applyMove(order: readonly string[], jobId: string, toIndex: number): string[] {
  const rest = order.filter((id) => id !== jobId);
  const at = Math.max(0, Math.min(toIndex, rest.length));
  return [...rest.slice(0, at), jobId, ...rest.slice(at)];
}

// Run order: a, b, [F: f1, f2, f3], c — with f2 after c in the raw order to check interleaving is handled.
const order = ['a', 'b', 'f1', 'f3', 'c', 'f2', 'd'];
const batches: Record<string, string> = { f1: 'F', f2: 'F', f3: 'F' };
const batchOf = (id: string): string | undefined => batches[id];

/** The top-level list (folders collapsed) after a move. */
function shown(o: string[]): string[] {
  return buildRows(o, batchOf, new Set()).map((r) => r.id);
}

function moved(jobId: string, move: Move): string[] | undefined {
  const to = moveTarget(order, batchOf, jobId, move);
  return to === undefined ? undefined : applyMove(order, jobId, to);
}

describe('moveTarget', () => {
  it('moves a loose job past one row at a time, a folder counting as one row', () => {
    expect(shown(order)).toEqual(['a', 'b', 'F', 'c', 'd']);
    expect(shown(moved('c', 'up')!)).toEqual(['a', 'b', 'c', 'F', 'd']);
    expect(shown(moved('b', 'down')!)).toEqual(['a', 'F', 'b', 'c', 'd']);
    // Past a folder whose members are together, the job goes after all of them, so the folder runs first.
    const tidy = ['a', 'b', 'f1', 'f2', 'f3', 'c'];
    const to = moveTarget(tidy, batchOf, 'b', 'down');
    expect(applyMove(tidy, 'b', to!)).toEqual(['a', 'f1', 'f2', 'f3', 'b', 'c']);
    expect(moved('c', 'down')).toEqual(['a', 'b', 'f1', 'f3', 'f2', 'd', 'c']);
    expect(shown(moved('b', 'up')!)).toEqual(['b', 'a', 'F', 'c', 'd']);
  });

  it('moves to the top and bottom of the whole queue', () => {
    expect(moved('d', 'top')).toEqual(['d', 'a', 'b', 'f1', 'f3', 'c', 'f2']);
    expect(moved('a', 'bottom')).toEqual(['b', 'f1', 'f3', 'c', 'f2', 'd', 'a']);
  });

  it('refuses moves past an edge and unknown jobs', () => {
    for (const m of ['up', 'top'] as const) expect(moveTarget(order, batchOf, 'a', m)).toBeUndefined();
    for (const m of ['down', 'bottom'] as const) expect(moveTarget(order, batchOf, 'd', m)).toBeUndefined();
    expect(moveTarget(order, batchOf, 'zzz', 'up')).toBeUndefined();
  });

  it('moves a folder member among its siblings only', () => {
    const siblings = (o: string[]): string[] => o.filter((id) => batchOf(id) === 'F');
    expect(siblings(moved('f3', 'up')!)).toEqual(['f3', 'f1', 'f2']);
    expect(siblings(moved('f1', 'down')!)).toEqual(['f3', 'f1', 'f2']);
    expect(siblings(moved('f2', 'top')!)).toEqual(['f2', 'f1', 'f3']);
    expect(siblings(moved('f1', 'bottom')!)).toEqual(['f3', 'f2', 'f1']);
    expect(moveTarget(order, batchOf, 'f1', 'up')).toBeUndefined();
    expect(moveTarget(order, batchOf, 'f2', 'bottom')).toBeUndefined();
    // Loose jobs keep their places.
    expect(moved('f2', 'top')!.filter((id) => !batchOf(id))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives indexes the engine reads without the moved job', () => {
    // c is at 4; "up" past the folder puts it before f1, which is index 2 once c is taken out.
    expect(moveTarget(order, batchOf, 'c', 'up')).toBe(2);
    expect(moveTarget(order, batchOf, 'd', 'top')).toBe(0);
    expect(moveTarget(order, batchOf, 'a', 'bottom')).toBe(6);
  });
});

describe('dropTarget', () => {
  const expanded = new Set(['F']);
  const rows = buildRows(order, batchOf, expanded);
  const ids = rows.map((r) => r.id);

  it('drops a loose job into gaps between top-level rows', () => {
    expect(ids).toEqual(['a', 'b', 'F', 'f1', 'f3', 'f2', 'c', 'd']);
    const to = dropTarget(rows, order, batchOf, 'd', 0);
    expect(applyMove(order, 'd', to!)[0]).toBe('d');
    // Before the folder row: before its first member.
    expect(shown(applyMove(order, 'd', dropTarget(rows, order, batchOf, 'd', 2)!))).toEqual(['a', 'b', 'd', 'F', 'c']);
    // Inside the open folder: after the folder.
    expect(shown(applyMove(order, 'a', dropTarget(rows, order, batchOf, 'a', 4)!))).toEqual(['b', 'F', 'a', 'c', 'd']);
    // At the very end.
    expect(applyMove(order, 'a', dropTarget(rows, order, batchOf, 'a', rows.length)!).at(-1)).toBe('a');
  });

  it('ignores drops that would not move the job', () => {
    expect(dropTarget(rows, order, batchOf, 'b', 1)).toBeUndefined();
    expect(dropTarget(rows, order, batchOf, 'b', 2)).toBeUndefined();
    // c sits right after the folder's rows: dropping it inside the folder means "after the folder", where it is.
    expect(dropTarget(rows, order, batchOf, 'c', 5)).toBeUndefined();
    expect(dropTarget(rows, order, batchOf, 'd', rows.length)).toBeUndefined();
    expect(dropTarget(rows, order, batchOf, 'nope', 0)).toBeUndefined();
  });

  it('keeps a folder member inside its folder', () => {
    const siblings = (o: string[]): string[] => o.filter((id) => batchOf(id) === 'F');
    expect(siblings(applyMove(order, 'f2', dropTarget(rows, order, batchOf, 'f2', 3)!))).toEqual(['f2', 'f1', 'f3']);
    expect(siblings(applyMove(order, 'f1', dropTarget(rows, order, batchOf, 'f1', 6)!))).toEqual(['f3', 'f2', 'f1']);
    expect(dropTarget(rows, order, batchOf, 'f1', 0)).toBeUndefined();
    expect(dropTarget(rows, order, batchOf, 'f1', 7)).toBeUndefined();
  });
});

describe('positions and priorities', () => {
  it('says where a job stands as the list shows it', () => {
    expect(listPosition(order, batchOf, 'c')).toEqual({ position: 4, of: 5 });
    expect(listPosition(order, batchOf, 'f2')).toEqual({ position: 3, of: 3, batchId: 'F' });
    expect(listPosition(order, batchOf, 'x')).toBeUndefined();
  });

  it('names priorities by sign and finds a folder’s common level', () => {
    expect(priorityLevel(PRIORITY.high)).toBe('high');
    expect(priorityLevel(PRIORITY.low)).toBe('low');
    expect(priorityLevel(0)).toBe('normal');
    expect(priorityLevel(73)).toBe('high');
    expect(PRIORITY.high).toBeLessThanOrEqual(100);
    expect(PRIORITY.low).toBeGreaterThanOrEqual(-100);
    expect(commonLevel([10, 5])).toBe('high');
    expect(commonLevel([10, 0])).toBe('mixed');
    expect(commonLevel([])).toBeUndefined();
  });

  it('offers moves only for jobs that have not started or will run again', () => {
    expect(canMove('queued')).toBe(true);
    expect(canMove('paused')).toBe(true);
    expect(canMove('uploading')).toBe(false);
    expect(canMove('completed')).toBe(false);
    expect(canMove('cancelled')).toBe(false);
  });
});
