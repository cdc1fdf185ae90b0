/**
 * Pure rules for moving jobs and naming priorities in the window. The engine's `reorder({ jobId, toIndex })` takes an
 * index into the whole run order (every job, finished ones too, sorted by priority desc then order) with the moved
 * job left out; these functions turn what a person asks ("up", "to the top", "drop here") into that index, following
 * what the list shows: a folder (batch) is one row at top level, so a loose file moves past a whole folder, and a
 * file inside a folder moves among its siblings only.
 */
import type { JobStatus } from '../../shared/types';
import type { DisplayRow } from './queue';

/** A move a person can ask for. */
export type Move = 'top' | 'up' | 'down' | 'bottom';

/** The three priorities the window offers, as numbers in the contract's range (-100…100; higher runs first). */
export const PRIORITY = { high: 10, normal: 0, low: -10 } as const;

/** A named priority. */
export type PriorityLevel = keyof typeof PRIORITY;

/** The levels in menu order. */
export const PRIORITY_LEVELS: readonly PriorityLevel[] = ['high', 'normal', 'low'];

/** The level a numeric priority shows as (the CLI or a reorder may leave other numbers: the sign decides). */
export function priorityLevel(priority: number): PriorityLevel {
  return priority > 0 ? 'high' : priority < 0 ? 'low' : 'normal';
}

/** The level shared by all given priorities, or `mixed`; `undefined` for none. */
export function commonLevel(priorities: Iterable<number>): PriorityLevel | 'mixed' | undefined {
  let level: PriorityLevel | undefined;
  for (const p of priorities) {
    const l = priorityLevel(p);
    if (level === undefined) level = l;
    else if (level !== l) return 'mixed';
  }
  return level;
}

/**
 * Whether moving a job changes anything: it decides when a job that waits starts. A running job is not interrupted
 * by a move, and a finished one never runs again unless retried, so both stay where they are.
 */
export function canMove(status: JobStatus): boolean {
  return status === 'queued' || status === 'paused' || status === 'retrying' || status === 'failed';
}

type BatchOf = (jobId: string) => string | undefined;

/** Top-level units in list order: a loose job, or a folder with its members in run order. */
function topUnits(order: readonly string[], batchOf: BatchOf): string[][] {
  const units: string[][] = [];
  const byBatch = new Map<string, string[]>();
  for (const id of order) {
    const b = batchOf(id);
    if (b === undefined) {
      units.push([id]);
      continue;
    }
    let unit = byBatch.get(b);
    if (!unit) {
      unit = [];
      byBatch.set(b, unit);
      units.push(unit);
    }
    unit.push(id);
  }
  return units;
}

/** The `toIndex` that puts `jobId` right before `anchor` (or after it), counted without `jobId` itself. */
function indexAt(order: readonly string[], jobId: string, anchor: string, after: boolean): number {
  let i = 0;
  for (const id of order) {
    if (id === anchor) return after ? i + 1 : i;
    if (id !== jobId) i++;
  }
  return i;
}

/**
 * The `toIndex` for `api.reorder` that carries out `move`, or `undefined` when the job is already at that edge (or
 * not in `order`). A loose job moves past whole folders; a folder member moves among its siblings.
 */
export function moveTarget(order: readonly string[], batchOf: BatchOf, jobId: string, move: Move): number | undefined {
  if (!order.includes(jobId)) return undefined;
  const batchId = batchOf(jobId);
  if (batchId !== undefined) {
    const siblings = order.filter((id) => batchOf(id) === batchId);
    const i = siblings.indexOf(jobId);
    const last = siblings.length - 1;
    if ((move === 'up' || move === 'top') && i === 0) return undefined;
    if ((move === 'down' || move === 'bottom') && i === last) return undefined;
    if (move === 'up') return indexAt(order, jobId, siblings[i - 1], false);
    if (move === 'top') return indexAt(order, jobId, siblings[0], false);
    if (move === 'down') return indexAt(order, jobId, siblings[i + 1], true);
    return indexAt(order, jobId, siblings[last], true);
  }
  const units = topUnits(order, batchOf);
  const i = units.findIndex((u) => u.length === 1 && u[0] === jobId);
  const last = units.length - 1;
  if ((move === 'up' || move === 'top') && i === 0) return undefined;
  if ((move === 'down' || move === 'bottom') && i === last) return undefined;
  if (move === 'top') return 0;
  if (move === 'bottom') return order.length - 1;
  if (move === 'up') return indexAt(order, jobId, units[i - 1][0], false);
  // Down: just before the row after next. A folder stands where its first member does, so this shows the job one row
  // lower even when a folder's members are spread through the run order, and after all of them when they are not.
  return i + 2 <= last ? indexAt(order, jobId, units[i + 2][0], false) : order.length - 1;
}

/**
 * The `toIndex` for dropping `jobId` into the gap before display row `gap` (0…rows.length), or `undefined` when that
 * gap is not a place it can go (a loose file inside an open folder, a folder member outside its folder) or would not
 * move it. A loose file dropped anywhere inside an open folder's rows lands after the folder.
 */
export function dropTarget(
  rows: readonly DisplayRow[],
  order: readonly string[],
  batchOf: BatchOf,
  jobId: string,
  gap: number,
): number | undefined {
  const from = rows.findIndex((r) => r.kind === 'job' && r.id === jobId);
  if (from < 0 || gap < 0 || gap > rows.length) return undefined;
  if (gap === from || gap === from + 1) return undefined;
  const batchId = batchOf(jobId);
  if (batchId !== undefined) {
    // Only between the folder's own rows.
    const before = rows[gap];
    if (before?.kind === 'job' && before.nested && batchOf(before.id) === batchId) return indexAt(order, jobId, before.id, false);
    const prev = rows[gap - 1];
    if (prev?.kind === 'job' && prev.nested && batchOf(prev.id) === batchId) return indexAt(order, jobId, prev.id, true);
    return undefined;
  }
  // A loose file goes before the next top-level row at or after the gap (a folder counts from its first member).
  for (let r = gap; r < rows.length; r++) {
    const row = rows[r];
    if (row.kind === 'job' && row.nested) continue;
    if (row.kind === 'job' && row.id === jobId) return undefined;
    const anchor = row.kind === 'job' ? row.id : order.find((id) => batchOf(id) === row.id);
    if (anchor === undefined) return undefined;
    const to = indexAt(order, jobId, anchor, false);
    return to === order.indexOf(jobId) ? undefined : to;
  }
  const to = order.length - 1;
  return to === order.indexOf(jobId) ? undefined : to;
}

/**
 * Where a job stands as the list shows it, for announcements: among the top-level rows for a loose job, among its
 * folder's files for a member. `undefined` when it is not in `order`.
 */
export function listPosition(
  order: readonly string[],
  batchOf: BatchOf,
  jobId: string,
): { position: number; of: number; batchId?: string } | undefined {
  if (!order.includes(jobId)) return undefined;
  const batchId = batchOf(jobId);
  if (batchId !== undefined) {
    const siblings = order.filter((id) => batchOf(id) === batchId);
    return { position: siblings.indexOf(jobId) + 1, of: siblings.length, batchId };
  }
  const units = topUnits(order, batchOf);
  return { position: units.findIndex((u) => u.length === 1 && u[0] === jobId) + 1, of: units.length };
}
