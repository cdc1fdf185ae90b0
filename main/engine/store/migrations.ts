/**
 * Schema versions of the state directory and how older ones are brought up to date at open.
 *
 * The snapshot header carries `schemaVersion`; the journal is always written in the snapshot's version (after a
 * migration the store rewrites both at once). A migration maps each stored record of one kind; it must be pure and
 * must not drop records.
 */

/** The version this build writes. */
export const SCHEMA_VERSION = 1;

/** A record as read from disk, before it is trusted. */
export type RawRecord = Record<string, unknown>;

/** The kinds of stored records a migration can rewrite. */
export type RecordKind = 'job' | 'batch' | 'profile' | 'history';

/** One step from `from` to `from + 1`. */
export interface Migration {
  from: number;
  to: number;
  description: string;
  /** Rewrites one record; kinds without a function are unchanged. */
  migrate: Partial<Record<RecordKind, (record: RawRecord) => RawRecord>>;
}

/**
 * Version 0 is the shape before the header carried a version. Its records are v1 records except that optional
 * bookkeeping could be missing, so this step only fills in defaults (otherwise a no-op).
 */
export const migrations: readonly Migration[] = [
  {
    from: 0,
    to: 1,
    description: 'v0 (no schema version) to v1: fill in defaults for fields v1 always has',
    migrate: {
      job: (r) => ({ metadata: {}, priority: 0, order: 0, offset: 0, attempt: 0, attemptLog: [], ...r }),
      batch: (r) => ({ problems: [], ...r }),
    },
  },
];

/** Applies every migration from `version` to `SCHEMA_VERSION` to one record. */
export function migrateRecord(kind: RecordKind, record: RawRecord, version: number): RawRecord {
  let out = record;
  for (const m of migrations) {
    if (m.from >= version && m.to <= SCHEMA_VERSION) {
      const fn = m.migrate[kind];
      if (fn) out = fn(out);
    }
  }
  return out;
}
