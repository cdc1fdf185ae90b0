/**
 * The store's own copy of the state, kept by applying every record as it is written (and as it is replayed at open),
 * so compaction can write a snapshot without asking the queue. Records are never mutated after they are stored: a
 * patch replaces the job object, so a compaction in progress sees a consistent set.
 */
import type { HistoryEntry, ServerProfile } from '../../../shared/types';
import { migrateRecord, type RawRecord, type RecordKind } from './migrations';
import type { BatchRecord, JobRecord } from './types';

/** History entries kept in the snapshot (and in memory). */
export const HISTORY_LIMIT = 10_000;

function isObject(v: unknown): v is RawRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** The state as the store sees it. */
export class MemoryState {
  readonly jobs = new Map<string, JobRecord>();
  readonly batches = new Map<string, BatchRecord>();
  readonly profiles = new Map<string, ServerProfile>();
  history: HistoryEntry[] = [];
  /** Ids in `history`: a snapshot may already hold an entry that the journal replays again (see `snapshotOf`). */
  private historyIds = new Set<string>();

  /** Adds a history entry (once per id), trimming the oldest in bulk so the cost stays O(1) amortized. */
  addHistory(entry: HistoryEntry): void {
    if (this.historyIds.has(entry.id)) return;
    this.history.push(entry);
    this.historyIds.add(entry.id);
    if (this.history.length > 2 * HISTORY_LIMIT) {
      this.history = this.history.slice(-HISTORY_LIMIT);
      this.historyIds = new Set(this.history.map((h) => h.id));
    }
  }

  /** The newest `HISTORY_LIMIT` entries, oldest first. */
  recentHistory(): HistoryEntry[] {
    return this.history.length > HISTORY_LIMIT ? this.history.slice(-HISTORY_LIMIT) : this.history.slice();
  }

  /**
   * Applies one snapshot record (`job`, `batch`, `profile`, `history`) written in schema `version`.
   * Returns false when the record does not have the shape it must have.
   */
  applySnapshotRecord(kind: RecordKind, data: unknown, version: number): boolean {
    if (!isObject(data)) return false;
    const d = migrateRecord(kind, data, version);
    if (typeof d.id !== 'string') return false;
    switch (kind) {
      case 'job':
        this.jobs.set(d.id, d as unknown as JobRecord);
        return true;
      case 'batch':
        this.batches.set(d.id, d as unknown as BatchRecord);
        return true;
      case 'profile':
        this.profiles.set(d.id, d as unknown as ServerProfile);
        return true;
      case 'history':
        this.addHistory(d as unknown as HistoryEntry);
        return true;
    }
  }

  /**
   * Applies one journal record written in schema `version`. Returns false when it is not a known, well-formed record.
   * The caller owns `record`: its objects become part of the state.
   */
  applyJournalRecord(record: RawRecord, version: number): boolean {
    switch (record.t) {
      case 'putJob':
        return this.applySnapshotRecord('job', record.d, version);
      case 'putBatch':
        return this.applySnapshotRecord('batch', record.d, version);
      case 'putProfile':
        return this.applySnapshotRecord('profile', record.d, version);
      case 'appendHistory':
        return this.applySnapshotRecord('history', record.d, version);
      case 'patchJob': {
        if (typeof record.id !== 'string' || !isObject(record.d)) return false;
        const current = this.jobs.get(record.id);
        // A patch of a job removed meanwhile is harmless: nothing to apply it to.
        if (!current) return true;
        const next: RawRecord = { ...current, ...record.d, id: record.id };
        if (isStringArray(record.u)) for (const key of record.u) delete next[key];
        this.jobs.set(record.id, next as unknown as JobRecord);
        return true;
      }
      case 'removeJobs':
        if (!isStringArray(record.ids)) return false;
        for (const id of record.ids) this.jobs.delete(id);
        return true;
      case 'removeBatches':
        if (!isStringArray(record.ids)) return false;
        for (const id of record.ids) this.batches.delete(id);
        return true;
      case 'removeProfile':
        if (typeof record.id !== 'string') return false;
        this.profiles.delete(record.id);
        return true;
      default:
        return false;
    }
  }
}
