/**
 * Reading the state directory at open: the snapshot, then the journal replayed on top of it. Every line stands
 * alone, so one bad line costs that line only; what cannot be read is counted, described and copied aside.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { StoreIoError } from './errors';
import { JOURNAL_FILE, SNAPSHOT_FILE, asidePath, readIfExists } from './files';
import { SCHEMA_VERSION, type RecordKind } from './migrations';
import { decodeLine, isAllZero, splitLines } from './records';
import { MemoryState } from './state';
import type { RecoveryReport } from './types';

/** What `loadState` found, and what the store must do about it before it appends. */
export interface LoadResult {
  state: MemoryState;
  /** The last sequence number in the state (snapshot or journal). */
  seq: number;
  recovery: RecoveryReport;
  /** Schema version the files were written in. */
  version: number;
  snapshotBytes: number;
  journalBytes: number;
  /** The files must be rewritten (snapshot + empty journal) before appending: migration, corruption, no snapshot. */
  rewrite: boolean;
  /** A torn tail to cut off: the journal's length up to its last complete line. */
  truncateJournalTo?: number;
}

const SNAPSHOT_KINDS: Record<string, RecordKind> = { job: 'job', batch: 'batch', profile: 'profile', history: 'history' };

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Reads and replays the state directory `dir` (which is locked by the caller). */
export async function loadState(dir: string, now: () => number): Promise<LoadResult> {
  const state = new MemoryState();
  const recovery: RecoveryReport = { droppedRecords: 0, movedAside: [], messages: [] };
  const snapshotPath = path.join(dir, SNAPSHOT_FILE);
  const journalPath = path.join(dir, JOURNAL_FILE);
  const snapshot = await readIfExists(snapshotPath);
  const journal = await readIfExists(journalPath);
  let rewrite = false;
  let version = SCHEMA_VERSION;
  let seq = 0;

  if (!snapshot) {
    rewrite = true;
    if (journal && journal.length > 0) {
      recovery.messages.push(
        `The snapshot file ${snapshotPath} is missing; Tusk rebuilt the queue from the journal alone, so jobs saved only in the snapshot are not listed.`,
      );
    }
  } else {
    let header: Record<string, unknown> | undefined;
    let trailer: Record<string, unknown> | undefined;
    let bad = 0;
    let records = 0;
    let first = true;
    for (const line of splitLines(snapshot)) {
      const rec = decodeLine(line.bytes);
      const isFirst = first;
      first = false;
      if (!rec) {
        bad++;
        continue;
      }
      if (rec.t === 'header' && isFirst) {
        header = rec;
        if (typeof rec.schemaVersion === 'number') version = rec.schemaVersion;
        else version = 0;
        if (version > SCHEMA_VERSION) {
          throw new StoreIoError(
            'state-too-new',
            dir,
            `The state directory ${dir} was written by a newer Tusk (state schema v${version}; this Tusk reads up to v${SCHEMA_VERSION}).`,
            'Update Tusk, or use a different --state-dir. Nothing was changed on disk.',
          );
        }
        continue;
      }
      if (rec.t === 'end') {
        trailer = rec;
        continue;
      }
      const kind = typeof rec.t === 'string' ? SNAPSHOT_KINDS[rec.t] : undefined;
      if (kind && state.applySnapshotRecord(kind, rec.d, version)) records++;
      else bad++;
    }
    const headerSeq = typeof header?.seq === 'number' ? header.seq : undefined;
    const trailerSeq = typeof trailer?.seq === 'number' ? trailer.seq : undefined;
    seq = headerSeq ?? trailerSeq ?? 0;
    const expected = typeof trailer?.records === 'number' ? trailer.records : undefined;
    const missingByCount = expected !== undefined && expected > records + bad ? expected - records - bad : 0;
    if (bad > 0 || !header || !trailer || missingByCount > 0) {
      rewrite = true;
      recovery.droppedRecords += bad + missingByCount;
      const aside = await asidePath(dir, SNAPSHOT_FILE, 'corrupt', now());
      await fsp.copyFile(snapshotPath, aside);
      recovery.movedAside.push(aside);
      const what: string[] = [];
      if (bad > 0) what.push(plural(bad, 'unreadable line', 'unreadable lines'));
      if (!header) what.push('no valid header');
      if (!trailer) what.push('no end marker (the file was cut short)');
      if (missingByCount > 0) what.push(`${missingByCount} records missing`);
      recovery.messages.push(
        `The snapshot file ${snapshotPath} is damaged (${what.join(', ')}). Tusk kept the ${plural(records, 'record', 'records')} it could read` +
          ` and replayed the journal on top; the original was copied to ${aside} for inspection.`,
      );
    }
  }

  let truncateJournalTo: number | undefined;
  if (journal && journal.length > 0) {
    const lines = Array.from(splitLines(journal));
    let corrupt = 0;
    let missingSeqs = 0;
    // Gaps count only from a known starting point (a readable snapshot header).
    let prevSeq: number | undefined = seq > 0 || !snapshot ? seq : undefined;
    let lastGood = seq;
    let goodEnd = 0;
    let torn: { bytes: number } | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const rec = decodeLine(line.bytes);
      const isLast = i === lines.length - 1;
      if (!rec || typeof rec.s !== 'number') {
        if (isLast && (!line.terminated || isAllZero(line.bytes))) torn = { bytes: journal.length - line.start };
        else corrupt++;
        continue;
      }
      goodEnd = line.start + line.bytes.length + 1;
      if (rec.s <= seq) continue; // already in the snapshot (a crash between writing it and trimming the journal)
      if (!state.applyJournalRecord(rec, version)) {
        corrupt++;
        continue;
      }
      if (prevSeq !== undefined && rec.s > prevSeq + 1) missingSeqs += rec.s - prevSeq - 1;
      prevSeq = rec.s;
      if (rec.s > lastGood) lastGood = rec.s;
    }
    seq = Math.max(seq, lastGood);
    if (torn) {
      recovery.droppedRecords += 1;
      recovery.messages.push(
        `The last change in ${journalPath} was only partly written (${plural(torn.bytes, 'byte', 'bytes')}), most likely because Tusk was stopped while saving. ` +
          'It was ignored; every complete change before it was kept.',
      );
      truncateJournalTo = goodEnd;
    }
    if (corrupt > 0) {
      rewrite = true;
      recovery.droppedRecords += corrupt;
      const aside = await asidePath(dir, JOURNAL_FILE, 'corrupt', now());
      await fsp.copyFile(journalPath, aside);
      recovery.movedAside.push(aside);
      const lost =
        missingSeqs > 0
          ? ` By their sequence numbers, ${plural(missingSeqs, 'change is', 'changes are')} missing.`
          : ' The sequence numbers around them are continuous, so no saved change appears to be missing.';
      recovery.messages.push(
        `${plural(corrupt, 'line', 'lines')} of ${journalPath} could not be read (damaged or unknown). Tusk kept every readable change before and after ` +
          `${corrupt === 1 ? 'it' : 'them'}.${lost} The original journal was copied to ${aside} for inspection.`,
      );
    }
  }

  if (version < SCHEMA_VERSION && snapshot) {
    rewrite = true;
    const backup = path.join(dir, `snapshot.v${version}.bak`);
    await fsp.copyFile(snapshotPath, backup);
    if (journal) await fsp.copyFile(journalPath, path.join(dir, `journal.v${version}.bak`));
    recovery.messages.push(
      `The state was saved by an older Tusk (schema v${version}) and was upgraded to v${SCHEMA_VERSION}; the old files were kept as ${backup}.`,
    );
  }

  return {
    state,
    seq,
    recovery,
    version,
    snapshotBytes: snapshot?.length ?? 0,
    journalBytes: journal?.length ?? 0,
    rewrite,
    truncateJournalTo,
  };
}
