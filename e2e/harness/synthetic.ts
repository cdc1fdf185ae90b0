/**
 * A synthetic engine feed for the one test the real engine cannot drive: 10,000 jobs with progress deltas at 10 per
 * second (a real engine would need 10,000 servers' worth of uploads). Same `EngineLink` shape as the real engine, and
 * the deltas have the real `QueueDelta` shape, so the page cannot tell the difference.
 */
import type { JobView, QueueDelta, QueueSnapshot, ServerProfile, Settings } from '../../shared/types';
import type { EngineLink } from './engine-process';

/** A synthetic queue and a timer that pushes deltas. */
export interface SyntheticEngine extends EngineLink {
  /** Starts pushing a delta every `intervalMs` that moves `perDelta` uploading jobs forward. */
  startProgress(intervalMs: number, perDelta: number): void;
  stopProgress(): void;
  deltasSent(): number;
}

const profile: ServerProfile = {
  id: 'synthetic',
  name: 'Synthetic',
  endpoint: 'http://127.0.0.1:9/files/',
  headers: [],
  chunkSize: 0,
  checksum: 'auto',
  parallelUploads: 1,
  verifyTls: true,
  maxConcurrent: 4,
};

const settings: Settings = {
  concurrency: 4,
  bandwidthLimit: 0,
  startAtLogin: false,
  startHidden: false,
  notifications: false,
  keepAwake: false,
  closeToTray: false,
  theme: 'system',
  ignorePatterns: [],
  followSymlinks: false,
};

/** A queue of `count` jobs (every 10th group of 50 in a folder batch), `uploading` ones spread over the list. */
export function syntheticEngine(count: number): SyntheticEngine {
  const now = Date.now();
  const jobs: JobView[] = [];
  for (let i = 0; i < count; i++) {
    const size = 1_000_000 + ((i * 7919) % 50_000_000);
    jobs.push({
      id: `j${i}`,
      profileId: profile.id,
      path: `/data/set-${Math.floor(i / 100)}/file-${i}.bin`,
      name: `file-${i}.bin`,
      relativePath: `set-${Math.floor(i / 100)}/file-${i}.bin`,
      size,
      offset: 0,
      status: i % 20 === 0 ? 'uploading' : 'queued',
      priority: 0,
      order: i,
      speed: 0,
      attempt: i % 20 === 0 ? 1 : 0,
      createdAt: now,
    });
  }
  let seq = 1;
  const snapshot = (): QueueSnapshot => ({
    jobs,
    batches: [],
    totals: { filesTotal: count, filesDone: 0, filesFailed: 0, filesActive: Math.ceil(count / 20), bytesTotal: jobs.reduce((a, j) => a + j.size, 0), bytesDone: 0, speed: 0 },
    bandwidthLimit: 0,
    throughput: [],
    seq,
  });
  const listeners = new Set<(d: QueueDelta) => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let sent = 0;
  let cursor = 0;
  const uploading = jobs.filter((j) => j.status === 'uploading');
  return {
    async call(name) {
      switch (name) {
        case 'getSnapshot':
          return snapshot();
        case 'getSettings':
          return settings;
        case 'listProfiles':
          return [profile];
        case 'getJobDetails':
          return undefined;
        default:
          throw new Error(`The synthetic feed does not implement "${name}".`);
      }
    },
    onDelta(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      this.stopProgress();
    },
    startProgress(intervalMs, perDelta) {
      timer = setInterval(() => {
        const changed: JobView[] = [];
        for (let k = 0; k < perDelta; k++) {
          const j = uploading[cursor++ % uploading.length];
          const next = { ...j, offset: Math.min(j.size - 1, j.offset + 200_000), speed: 2_000_000 + k * 1000, etaSeconds: 30 };
          uploading[(cursor - 1) % uploading.length] = next;
          changed.push(next);
        }
        seq += 1;
        sent += 1;
        const delta: QueueDelta = {
          seq,
          jobs: changed,
          totals: { filesTotal: count, filesDone: 0, filesFailed: 0, filesActive: uploading.length, bytesTotal: 0, bytesDone: sent * 1e6, speed: 20e6, etaSeconds: 600 },
          throughput: [{ at: Math.floor(Date.now() / 1000) * 1000, bytesPerSecond: 20e6 + (sent % 7) * 1e6 }],
        };
        for (const l of listeners) l(delta);
      }, intervalMs);
    },
    stopProgress() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    deltasSent: () => sent,
  };
}
