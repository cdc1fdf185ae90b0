/**
 * Default settings repositories for the CLI and tests: a JSON file in the state dir (`settings.json`) or memory.
 * The desktop passes its own electron-store backed repository instead.
 */
import { join } from 'node:path';
import type { Settings } from '../../shared/types';
import type { SettingsRepository } from './engine-types';
import { readJsonFile, writeJsonFile } from './json-file';
import { DEFAULT_IGNORE_PATTERNS } from './queue/scan';

/** The settings of a fresh install. */
export function defaultSettings(): Settings {
  return {
    concurrency: 4,
    bandwidthLimit: 0,
    startAtLogin: false,
    startHidden: false,
    notifications: true,
    keepAwake: true,
    closeToTray: true,
    theme: 'system',
    ignorePatterns: [...DEFAULT_IGNORE_PATTERNS],
    followSymlinks: false,
  };
}

/** Settings kept in memory (tests, the browser harness). */
export class MemorySettingsRepository implements SettingsRepository {
  private value: Settings;
  constructor(initial: Partial<Settings> = {}) {
    this.value = { ...defaultSettings(), ...initial };
  }
  async get(): Promise<Settings> {
    return { ...this.value, ignorePatterns: [...this.value.ignorePatterns] };
  }
  async update(patch: Partial<Settings>): Promise<Settings> {
    this.value = { ...this.value, ...patch };
    return this.get();
  }
}

/** Settings in `<stateDir>/settings.json`, written atomically on each update. */
export class FileSettingsRepository implements SettingsRepository {
  private cache: Settings | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, 'settings.json');
  }
  async get(): Promise<Settings> {
    if (!this.cache) {
      const raw = await readJsonFile(this.path);
      this.cache = { ...defaultSettings(), ...(raw && typeof raw === 'object' ? (raw as Partial<Settings>) : {}) };
    }
    return { ...this.cache, ignorePatterns: [...this.cache.ignorePatterns] };
  }
  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.get()), ...patch };
    this.cache = next;
    // Serialised so two quick updates cannot land out of order.
    const write = this.writing.then(() => writeJsonFile(this.path, next));
    this.writing = write.catch(() => undefined);
    await write;
    return this.get();
  }
}
