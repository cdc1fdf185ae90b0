/**
 * `SettingsRepository` and `ProfileRepository` over one persisted document. The persistence itself is injected
 * (`DocumentStore`: electron-store in the app, a JSON file or memory in tests), so all of this runs on plain Node.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileRepository, SettingsRepository } from '../engine/engine-types';
import { makeProfile } from '../engine/profiles';
import type { ServerProfile, Settings } from '../../shared/types';
import { maskHeaders, openHeaders, sealHeaders } from './secrets';
import type { Cipher } from './secrets';
import { loadDocument, normalizeSettings, settingsFieldSchemas } from './settings-schema';
import type { LoadResult, StoreDocument, StoredProfile } from './settings-schema';

/** Reads and writes the raw document. */
export interface DocumentStore {
  read(): unknown;
  write(doc: StoreDocument): void;
}

/** An in-memory `DocumentStore` (tests, and a fallback when the settings file cannot be opened). */
export function memoryDocumentStore(initial?: unknown): DocumentStore & { current: unknown } {
  const store = {
    current: initial === undefined ? undefined : structuredClone(initial),
    read: () => store.current,
    write: (doc: StoreDocument) => {
      store.current = structuredClone(doc);
    },
  };
  return store;
}

/** The profile the embedded server uses. */
export interface LocalServerProfileInput {
  endpoint: string;
}

/** Everything built over the document. */
export interface DesktopRepositories {
  settings: SettingsRepository & {
    /** Synchronous read, for startup decisions before the engine exists. */
    current(): Settings;
    onChange(listener: (settings: Settings) => void): () => void;
  };
  profiles: ProfileRepository;
  /** What loading the document did (migrations, repairs), for the log and a toast. */
  load: Omit<LoadResult, 'doc'>;
  /**
   * Creates the "Local test server" profile on first run, or points the existing one at the current endpoint.
   * Returns undefined when a person deleted it before (it is not recreated).
   */
  ensureLocalServerProfile(input: LocalServerProfileInput): ServerProfile | undefined;
  /** Whether the local server should run (its profile exists, or it was never declined). */
  wantsLocalServer(): boolean;
  /** The port the local server used last time (to keep saved upload URLs valid), if any. */
  localServerPort(): number | undefined;
}

/** The name of the embedded server's profile. */
export const LOCAL_SERVER_PROFILE_NAME = 'Local test server';

function toView(p: StoredProfile): ServerProfile {
  return { ...structuredClone(p), headers: maskHeaders(p.headers) };
}

/** Builds the repositories; reads (migrates, repairs) the document once and writes it back when it changed. */
export function createDesktopRepositories(store: DocumentStore, cipher: Cipher): DesktopRepositories {
  const loaded = loadDocument(store.read());
  const doc = loaded.doc;
  if (loaded.changed) store.write(doc);
  const listeners = new Set<(s: Settings) => void>();
  const persist = () => store.write(doc);
  const find = (id: string) => doc.profiles.find((p) => p.id === id);

  const settings: DesktopRepositories['settings'] = {
    current: () => structuredClone(doc.settings),
    async get() {
      return structuredClone(doc.settings);
    },
    async update(patch) {
      const problems: string[] = [];
      for (const [key, value] of Object.entries(patch)) {
        const schema = (settingsFieldSchemas as Record<string, { safeParse(v: unknown): { success: boolean } }>)[key];
        if (!schema) problems.push(`"${key}" is not a setting`);
        else if (value !== undefined && !schema.safeParse(value).success) {
          problems.push(`"${key}" cannot be ${JSON.stringify(value)}`);
        }
      }
      if (patch.defaultProfileId !== undefined && !find(patch.defaultProfileId)) {
        problems.push(`the default profile "${patch.defaultProfileId}" does not exist`);
      }
      if (problems.length) throw new Error(`Settings not saved: ${problems.join('; ')}.`);
      doc.settings = normalizeSettings({ ...doc.settings, ...patch });
      persist();
      const snapshot = structuredClone(doc.settings);
      for (const l of listeners) l(snapshot);
      return structuredClone(snapshot);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const profiles: ProfileRepository = {
    async list() {
      return doc.profiles.map(toView);
    },
    async get(id) {
      const p = find(id);
      return p ? toView(p) : undefined;
    },
    async save(profile) {
      const existing = find(profile.id);
      const headers = sealHeaders(profile.headers, existing?.headers, cipher);
      // builtIn is decided here, never by the caller: only the embedded server's profile has it.
      const stored: StoredProfile = { ...structuredClone(profile), headers, builtIn: existing?.builtIn ? true : undefined };
      if (!stored.builtIn) delete stored.builtIn;
      if (existing) doc.profiles[doc.profiles.indexOf(existing)] = stored;
      else doc.profiles.push(stored);
      persist();
      return toView(stored);
    },
    async delete(id) {
      const existing = find(id);
      if (!existing) throw new Error(`There is no profile with id "${id}" (it may have been deleted already).`);
      doc.profiles = doc.profiles.filter((p) => p.id !== id);
      if (existing.builtIn) doc.localServer = { declined: true };
      if (doc.settings.defaultProfileId === id) delete doc.settings.defaultProfileId;
      persist();
    },
    async resolveHeaders(id) {
      const p = find(id);
      if (!p) throw new Error(`There is no profile with id "${id}".`);
      return openHeaders(p.headers, cipher, p.name);
    },
  };

  return {
    settings,
    profiles,
    load: { changed: loaded.changed, migrated: loaded.migrated, repaired: loaded.repaired },
    wantsLocalServer: () => !doc.localServer.declined,
    localServerPort: () => doc.localServer.port,
    ensureLocalServerProfile({ endpoint }) {
      if (doc.localServer.declined) return undefined;
      const port = Number(new URL(endpoint).port);
      if (port > 0) doc.localServer.port = port;
      const existing = doc.localServer.profileId ? find(doc.localServer.profileId) : undefined;
      if (existing) {
        existing.endpoint = endpoint;
        existing.builtIn = true;
        persist();
        return toView(existing);
      }
      // Whole-file requests (chunkSize 0): the server is on loopback, so one PATCH per file is fastest.
      const created: StoredProfile = {
        ...makeProfile({ id: `local-${randomUUID()}`, name: LOCAL_SERVER_PROFILE_NAME, endpoint, chunkSize: 0, builtIn: true }),
        headers: [],
      };
      doc.profiles.push(created);
      doc.localServer = { ...doc.localServer, profileId: created.id, declined: false };
      doc.settings.defaultProfileId ??= created.id;
      persist();
      return toView(created);
    },
  };
}
