/**
 * The desktop's persisted document (settings, profiles, the embedded server's profile): schema, defaults and
 * migrations. Plain module (zod only) so it is tested on Node; settings.ts persists it with electron-store.
 */
import { z } from 'zod';
import type { ServerProfile, Settings } from '../../shared/types';
import type { StoredHeader } from './secrets';
import { settingsFieldSchemas } from '../../shared/ipc';
import { defaultSettings } from '../engine/settings';
import { HTTP_TOKEN } from '../../shared/http-token';

/** The schema version this build writes. */
export const SCHEMA_VERSION = 1;

/** Defaults of every setting: the engine's, so the desktop, the CLI and the browser harness start alike. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze(defaultSettings());

/** A profile as stored: headers carry ciphertext for secrets. */
export type StoredProfile = Omit<ServerProfile, 'headers'> & { headers: StoredHeader[] };

/** A stored entry that could not be understood, kept (not dropped) with the reason. */
export interface QuarantinedEntry {
  what: string;
  reason: string;
  data: unknown;
}

/** The whole persisted document. */
export interface StoreDocument {
  schemaVersion: number;
  settings: Settings;
  profiles: StoredProfile[];
  /** The embedded local server's profile id; `declined` once a person deleted it (it is not recreated). */
  localServer: { profileId?: string; declined: boolean; port?: number };
  quarantine: QuarantinedEntry[];
}

/** Field-by-field settings schema (so one bad field does not reset the others); declared once in the IPC contract. */
export { settingsFieldSchemas };

const storedHeaderSchema = z
  .object({
    name: z.string().regex(HTTP_TOKEN),
    secret: z.boolean(),
    value: z.string().optional(),
    sealed: z.string().optional(),
  })
  .refine((h) => (h.secret ? h.value === undefined : h.sealed === undefined), {
    message: 'a secret header must hold only ciphertext and a plain one only a value',
  });

/** Schema of a stored profile. */
export const storedProfileSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  endpoint: z.string().min(1).max(4096),
  headers: z.array(storedHeaderSchema).max(64),
  chunkSize: z.number().int().min(0),
  checksum: z.enum(['auto', 'none', 'sha1', 'sha256', 'sha512', 'md5']),
  parallelUploads: z.number().int().min(1).max(64),
  verifyTls: z.boolean(),
  caPath: z.string().max(4096).optional(),
  maxConcurrent: z.number().int().min(1).max(64),
  metadata: z.record(z.string(), z.string()).optional(),
  builtIn: z.boolean().optional(),
});

/** Thrown when the document was written by a newer Tusk. */
export class NewerSchemaError extends Error {
  constructor(readonly found: number) {
    super(
      `The settings file was written by a newer version of Tusk (schema ${found}; this version understands up to ` +
        `${SCHEMA_VERSION}). Update Tusk, or move the settings file aside to start fresh.`,
    );
    this.name = 'NewerSchemaError';
  }
}

/** One migration step: takes the document at version `to - 1` and returns it at version `to`. */
export interface Migration {
  to: number;
  description: string;
  up(doc: Record<string, unknown>): Record<string, unknown>;
}

const SETTINGS_KEYS = Object.keys(settingsFieldSchemas);

/** The migrations, in order. Version 0 is "no schemaVersion": an empty file, or settings keys at the top level. */
export const MIGRATIONS: readonly Migration[] = [
  {
    to: 1,
    description: 'nest top-level settings keys under "settings"; add profiles, localServer and quarantine',
    up(doc) {
      const settings: Record<string, unknown> = isRecord(doc.settings) ? { ...doc.settings } : {};
      const rest: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(doc)) {
        if (SETTINGS_KEYS.includes(key)) settings[key] ??= value;
        else if (key !== 'settings') rest[key] = value;
      }
      return {
        ...rest,
        settings,
        profiles: Array.isArray(doc.profiles) ? doc.profiles : [],
        localServer: isRecord(doc.localServer) ? doc.localServer : { declined: false },
        quarantine: Array.isArray(doc.quarantine) ? doc.quarantine : [],
      };
    },
  },
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What `loadDocument` did. */
export interface LoadResult {
  doc: StoreDocument;
  /** The document differs from what was read (migrated or repaired): write it back. */
  changed: boolean;
  /** Migrations applied, by description. */
  migrated: string[];
  /** Values that were invalid and replaced by defaults or quarantined, in words. */
  repaired: string[];
}

/** Validates settings field by field; invalid fields fall back to defaults and are reported. */
export function normalizeSettings(raw: unknown, repaired: string[] = []): Settings {
  const input = isRecord(raw) ? raw : {};
  const out: Record<string, unknown> = {};
  for (const key of SETTINGS_KEYS as Array<keyof Settings>) {
    const value = input[key];
    const fallback = DEFAULT_SETTINGS[key];
    if (value === undefined) {
      if (fallback !== undefined) out[key] = Array.isArray(fallback) ? [...fallback] : fallback;
      continue;
    }
    const parsed = settingsFieldSchemas[key].safeParse(value);
    if (parsed.success) out[key] = parsed.data;
    else {
      repaired.push(`setting "${key}" had an invalid value (${JSON.stringify(value)}); reset to the default`);
      if (fallback !== undefined) out[key] = Array.isArray(fallback) ? [...fallback] : fallback;
    }
  }
  for (const key of Object.keys(input)) {
    if (!SETTINGS_KEYS.includes(key)) repaired.push(`unknown setting "${key}" was ignored`);
  }
  return out as unknown as Settings;
}

/**
 * Reads a raw stored document: applies migrations, validates, repairs. Invalid profiles are quarantined (kept in
 * the file with the reason), never silently dropped. Throws `NewerSchemaError` for a newer schema.
 */
export function loadDocument(raw: unknown, migrations: readonly Migration[] = MIGRATIONS): LoadResult {
  const target = migrations.length ? migrations[migrations.length - 1].to : SCHEMA_VERSION;
  let doc: Record<string, unknown> = isRecord(raw) ? structuredClone(raw) : {};
  const version = typeof doc.schemaVersion === 'number' ? doc.schemaVersion : 0;
  if (version > target) throw new NewerSchemaError(version);
  const migrated: string[] = [];
  for (const m of migrations) {
    if (m.to <= version) continue;
    doc = m.up(doc);
    doc.schemaVersion = m.to;
    migrated.push(m.description);
  }
  const repaired: string[] = [];
  const settings = normalizeSettings(doc.settings, repaired);
  const quarantine: QuarantinedEntry[] = Array.isArray(doc.quarantine) ? (doc.quarantine as QuarantinedEntry[]) : [];
  const profiles: StoredProfile[] = [];
  const seen = new Set<string>();
  for (const entry of Array.isArray(doc.profiles) ? doc.profiles : []) {
    const parsed = storedProfileSchema.safeParse(entry);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(profile)'}: ${i.message}`).join('; ');
      const name = isRecord(entry) && typeof entry.name === 'string' ? entry.name : '(unnamed)';
      repaired.push(`profile "${name}" could not be read (${reason}); it was set aside in the settings file`);
      quarantine.push({ what: 'profile', reason, data: entry });
      continue;
    }
    if (seen.has(parsed.data.id)) {
      repaired.push(`profile id "${parsed.data.id}" appeared twice; the second copy was set aside`);
      quarantine.push({ what: 'profile', reason: 'duplicate id', data: entry });
      continue;
    }
    seen.add(parsed.data.id);
    profiles.push(parsed.data);
  }
  if (settings.defaultProfileId && !seen.has(settings.defaultProfileId)) {
    repaired.push(`the default profile "${settings.defaultProfileId}" no longer exists; no default is set`);
    delete settings.defaultProfileId;
  }
  const ls = isRecord(doc.localServer) ? doc.localServer : {};
  const localServer: StoreDocument['localServer'] = {
    profileId: typeof ls.profileId === 'string' && seen.has(ls.profileId) ? ls.profileId : undefined,
    declined: ls.declined === true,
  };
  if (typeof ls.port === 'number' && Number.isInteger(ls.port) && ls.port > 0 && ls.port < 65536) localServer.port = ls.port;
  const result: StoreDocument = { schemaVersion: target, settings, profiles, localServer, quarantine };
  const changed = migrated.length > 0 || repaired.length > 0 || JSON.stringify(result) !== JSON.stringify(raw);
  return { doc: result, changed, migrated, repaired };
}

/** A fresh document with defaults. */
export function emptyDocument(): StoreDocument {
  return loadDocument({}).doc;
}
