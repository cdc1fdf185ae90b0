/**
 * What `createApi(engine)` needs beyond the public `Engine` interface, attached to the engine object by
 * `createEngine` (a WeakMap, so the public type stays as the contract says).
 */
import type { Engine, ProfileRepository, SettingsRepository } from './engine-types';
import type { QueueStore } from './store/types';
import type { TusClientFactory, UploadQueue } from './queue/queue';

/** The engine's parts. */
export interface EngineInternals {
  queue: UploadQueue;
  store: QueueStore;
  profiles: ProfileRepository;
  settings: SettingsRepository;
  /** Granted paths (files or folders) when `requirePathGrants` is on. */
  grants: string[];
  requirePathGrants: boolean;
  clientFactory: TusClientFactory;
  /** Resolves when the restore pass (source checks, server offsets) is done. */
  restoring?: Promise<unknown>;
}

const internals = new WeakMap<Engine, EngineInternals>();

/** Attaches (or extends) the parts of an engine. */
export function registerEngine(engine: Engine, parts: Partial<EngineInternals>): void {
  const prev = internals.get(engine);
  internals.set(engine, { ...(prev as EngineInternals), ...parts });
}

/** The parts of an engine made by `createEngine`; throws for any other object. */
export function internalsOf(engine: Engine): EngineInternals {
  const p = internals.get(engine);
  if (!p) throw new Error('createApi(engine) needs an engine made by createEngine().');
  return p;
}
