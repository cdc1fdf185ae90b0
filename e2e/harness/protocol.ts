/**
 * Messages between the browser harness (Playwright test process) and the engine host child process
 * (engine-host.ts). Plain data over Node's IPC channel.
 */
import type { QueueDelta } from '../../shared/types';

/** Engine knobs a test may turn (fast retries, quick deltas). */
export interface HostTuning {
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  deltaIntervalMs?: number;
  autoStart?: boolean;
}

/** Parent → host. */
export type ToHost =
  | { type: 'start'; stateDir: string; tuning: HostTuning }
  | { type: 'call'; id: number; name: string; args: unknown[] }
  | { type: 'close' };

/** Host → parent. */
export type FromHost =
  | { type: 'started' }
  | { type: 'start-failed'; message: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; message: string }
  | { type: 'delta'; delta: QueueDelta }
  | { type: 'closed' };
