/**
 * How the outside (the Electron shell, the CLI, the browser test harness) builds and drives the engine.
 * `createEngine(options)` (main/engine/index.ts) returns an `Engine`; `createApi(engine)` (main/engine/api.ts)
 * implements the renderer contract `EngineApi` (shared/ipc.ts) on top of it. No Electron here.
 */
import type { EngineApi } from '../../shared/ipc';
import type { BatchView, QueueDelta, QueueTotals, ServerProfile, Settings } from '../../shared/types';

/** Where profiles live. The desktop keeps them in electron-store (secrets encrypted); CLI and tests in the state dir. */
export interface ProfileRepository {
  list(): Promise<ServerProfile[]>;
  get(id: string): Promise<ServerProfile | undefined>;
  /** Saves (creates when `id` is new). Secret headers with an empty value keep their stored value. */
  save(profile: ServerProfile): Promise<ServerProfile>;
  delete(id: string): Promise<void>;
  /** The headers to send, secret values decrypted. Only the engine calls this; never sent to the renderer. */
  resolveHeaders(id: string): Promise<Record<string, string>>;
}

/** Where settings live (electron-store in the desktop; a JSON file or memory elsewhere). */
export interface SettingsRepository {
  get(): Promise<Settings>;
  update(patch: Partial<Settings>): Promise<Settings>;
}

/** Options of `createEngine`. */
export interface EngineOptions {
  /** The queue's durable state directory (journal, lock). */
  stateDir: string;
  profiles?: ProfileRepository;
  settings?: SettingsRepository;
  /** When true (the desktop), `addPaths` accepts only paths granted with `grantPaths` (drop, dialog, argv). */
  requirePathGrants?: boolean;
  /** Start uploading restored jobs immediately (default true). */
  autoStart?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** Summary for the shell: tray tooltip, dock/taskbar progress and badge, power-save blocker. */
export interface EngineStatus {
  totals: QueueTotals;
  /** Jobs uploading or waiting to retry. */
  active: number;
  paused: boolean;
}

/** Something the shell turns into one desktop notification (never one per file). */
export type EngineNotification =
  | { kind: 'batch-finished'; batch: BatchView }
  | { kind: 'jobs-finished'; count: number; bytes: number }
  | { kind: 'failures'; count: number; firstReason: string };

/** The running engine. */
export interface Engine {
  readonly api: EngineApi;
  readonly stateDir: string;
  /** Coalesced queue changes (at most ~10 per second), ready for IPC. */
  onDelta(listener: (delta: QueueDelta) => void): () => void;
  onStatus(listener: (status: EngineStatus) => void): () => void;
  onNotification(listener: (notification: EngineNotification) => void): () => void;
  status(): EngineStatus;
  /** Allows these paths (and what is below them) to be enqueued when `requirePathGrants` is on. */
  grantPaths(paths: string[]): void;
  /** Pauses every running job for a reason (suspend, network lost) without marking them paused by a person. */
  suspend(reason: string): Promise<void>;
  /** Undoes `suspend`: asks servers for offsets again and continues. */
  wake(): Promise<void>;
  /** Stops uploads (resumable), flushes state and releases the state directory. */
  close(): Promise<void>;
}
