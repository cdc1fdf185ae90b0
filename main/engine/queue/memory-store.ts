/**
 * A `QueueStore` kept in memory: for the browser harness, benchmarks of the queue alone, and tests that do not test
 * durability. Nothing survives the process.
 */
import type { HistoryEntry, ServerProfile } from '../../../shared/types';
import type { BatchRecord, JobRecord, LoadedState, QueueStore } from '../store/types';

/** An in-memory QueueStore. `state` is the live copy (what a real store would write). */
export class MemoryQueueStore implements QueueStore {
  readonly loaded: LoadedState;
  readonly state = {
    jobs: new Map<string, JobRecord>(),
    batches: new Map<string, BatchRecord>(),
    history: [] as HistoryEntry[],
    profiles: new Map<string, ServerProfile>(),
  };
  flushes = 0;

  constructor(
    readonly dir = ':memory:',
    initial?: Partial<LoadedState>,
  ) {
    this.loaded = {
      jobs: new Map(initial?.jobs ?? []),
      batches: new Map(initial?.batches ?? []),
      history: [...(initial?.history ?? [])],
      profiles: new Map(initial?.profiles ?? []),
      recovery: initial?.recovery ?? { droppedRecords: 0, movedAside: [], messages: [] },
    };
    for (const [k, v] of this.loaded.jobs) this.state.jobs.set(k, structuredClone(v));
    for (const [k, v] of this.loaded.batches) this.state.batches.set(k, structuredClone(v));
  }

  putJob(job: JobRecord): void {
    this.state.jobs.set(job.id, structuredClone(job));
  }
  patchJob(id: string, patch: Partial<JobRecord>): void {
    const j = this.state.jobs.get(id);
    if (j) this.state.jobs.set(id, { ...j, ...structuredClone(patch) });
  }
  removeJobs(ids: string[]): void {
    for (const id of ids) this.state.jobs.delete(id);
  }
  putBatch(batch: BatchRecord): void {
    this.state.batches.set(batch.id, structuredClone(batch));
  }
  removeBatches(ids: string[]): void {
    for (const id of ids) this.state.batches.delete(id);
  }
  appendHistory(entry: HistoryEntry): void {
    this.state.history.push(entry);
  }
  putProfile(profile: ServerProfile): void {
    this.state.profiles.set(profile.id, profile);
  }
  removeProfile(id: string): void {
    this.state.profiles.delete(id);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
  async compact(): Promise<void> {}
  async close(): Promise<void> {}
}
