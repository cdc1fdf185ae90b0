/**
 * The desktop's settings and profiles, persisted with electron-store in the user-data directory. Schema, defaults
 * and migrations live in settings-schema.ts; the repositories in repositories.ts (both tested on Node).
 */
import ElectronStore from 'electron-store';
import { safeStorage } from 'electron';
import { cipherFromSafeStorage } from './secrets';
import { createDesktopRepositories } from './repositories';
import type { DesktopRepositories, DocumentStore } from './repositories';
import type { StoreDocument } from './settings-schema';

/** Opens (migrating and repairing) `tusk-settings.json` in `cwd` (the user-data directory). */
export function openDesktopRepositories(cwd: string): DesktopRepositories {
  // No electron-store schema/migrations: those run in loadDocument so they are the same code the tests run.
  const store = new ElectronStore<Record<string, unknown>>({ name: 'tusk-settings', cwd, clearInvalidConfig: false });
  const documentStore: DocumentStore = {
    read: () => store.store,
    write: (doc: StoreDocument) => {
      store.store = doc as unknown as Record<string, unknown>;
    },
  };
  return createDesktopRepositories(documentStore, cipherFromSafeStorage(safeStorage));
}
