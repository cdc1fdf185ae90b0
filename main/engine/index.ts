/**
 * `createEngine(options)`: the engine as the Electron shell, the CLI and the browser harness use it. It opens the
 * durable store in the state dir, loads profiles and settings (the given repositories, or JSON files in the state
 * dir), restores the queue (unless `restore: 'offline'`) and, unless `autoStart` is false, continues every unfinished
 * upload.
 */
import { mkdir } from 'node:fs/promises';
import type { EngineApi } from '../../shared/ipc';
import type { Engine, EngineNotification, EngineOptions, EngineStatus, ProfileRepository, SettingsRepository } from './engine-types';
import type { QueueStore } from './store/types';
import { openStore } from './store';
import { TusClient } from './tus/client';
import { UploadQueue, type QueueTuning, type TusClientFactory } from './queue/queue';
import { FileProfileRepository } from './profiles';
import { FileSettingsRepository } from './settings';
import { createApi } from './api';
import { registerEngine } from './engine-internals';

/** `EngineOptions` plus what tests and benchmarks may swap (a store, a client factory, retry timing). */
export interface CreateEngineOptions extends EngineOptions, QueueTuning {
  /** An already open store (default: `openStore(stateDir)`). */
  store?: QueueStore;
  /** Builds TusClients (default: `new TusClient(options)`). */
  clientFactory?: TusClientFactory;
  /**
   * `'full'` (default): check every unfinished job's source file and ask its server for the offset (in the
   * background), then continue. `'offline'`: load the state as recorded and nothing more: no request, no file check,
   * and nothing starts on its own (as with `autoStart: false`), for commands that only read or change the local queue
   * (`tusk queue list|cancel|clear`). Requests those commands ask for themselves (cancel's DELETE) still go out.
   */
  restore?: 'full' | 'offline';
}

/** Builds and starts the engine. Throws `StoreLockedError` when another process uses the state dir. */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  await mkdir(options.stateDir, { recursive: true });
  const profiles: ProfileRepository = options.profiles ?? new FileProfileRepository(options.stateDir);
  const settingsRepo: SettingsRepository = options.settings ?? new FileSettingsRepository(options.stateDir);
  const settings = await settingsRepo.get();
  const store = options.store ?? (await openStore(options.stateDir));
  const clientFactory: TusClientFactory = options.clientFactory ?? ((o) => new TusClient(o));
  const queue = new UploadQueue({
    store,
    clientFactory,
    getProfile: (id) => profiles.get(id),
    resolveHeaders: (id) => profiles.resolveHeaders(id),
    concurrency: settings.concurrency,
    bandwidthLimit: settings.bandwidthLimit,
    autoStart: options.restore === 'offline' ? false : (options.autoStart ?? true),
    ...(options.now ? { now: options.now } : {}),
    ...(options.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: options.retryBaseDelayMs } : {}),
    ...(options.retryMaxDelayMs !== undefined ? { retryMaxDelayMs: options.retryMaxDelayMs } : {}),
    ...(options.deltaIntervalMs !== undefined ? { deltaIntervalMs: options.deltaIntervalMs } : {}),
    ...(options.restoreConcurrency !== undefined ? { restoreConcurrency: options.restoreConcurrency } : {}),
  });
  await queue.warmProfiles();

  const grants: string[] = [];
  let closed = false;
  let api: EngineApi | undefined;
  const engine: Engine = {
    get api(): EngineApi {
      api ??= createApi(engine);
      return api;
    },
    stateDir: options.stateDir,
    onDelta: (l) => queue.onDelta(l),
    onStatus: (l: (s: EngineStatus) => void) => queue.onStatus(l),
    onNotification: (l: (n: EngineNotification) => void) => queue.onNotification(l),
    status: () => queue.status(),
    grantPaths: (paths) => {
      grants.push(...paths);
    },
    suspend: async () => queue.suspend(),
    wake: async () => queue.wake(),
    close: async () => {
      if (closed) return;
      closed = true;
      await queue.close();
      await store.close();
    },
  };
  registerEngine(engine, {
    queue,
    store,
    profiles,
    settings: settingsRepo,
    grants,
    requirePathGrants: options.requirePathGrants ?? false,
    clientFactory,
  });
  // Restoring asks servers for offsets; it runs in the background so the first resumed byte is not held up.
  const restoring = options.restore === 'offline' ? Promise.resolve() : queue.restore().catch(() => undefined);
  registerEngine(engine, { restoring });
  return engine;
}

export { createApi } from './api';
export { UploadQueue } from './queue/queue';
export { TokenBucketLimiter } from './queue/limiter';
export { scanFolder } from './queue/scan';
export { MemoryProfileRepository, FileProfileRepository, makeProfile } from './profiles';
export { MemorySettingsRepository, FileSettingsRepository, defaultSettings } from './settings';
