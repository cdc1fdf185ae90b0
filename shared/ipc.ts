/**
 * The one contract between the renderer and main. Every call and every pushed event is declared here once:
 * - `TuskApi` is what the renderer sees as `window.tusk` (the preload builds it from `callNames`);
 * - `callSchemas` validates every payload in main before a handler runs (typed against `TuskApi`, so they cannot drift);
 * - `EngineApi` is the part implemented by `main/engine/api.ts` (no Electron), `DesktopApi` the part only the shell has.
 * No Node or DOM APIs here: zod is plain data validation.
 */
import { z } from 'zod';
import type {
  AddResult,
  HistoryEntry,
  JobDetails,
  QueueDelta,
  QueueSnapshot,
  ServerCapabilities,
  ServerProfile,
  Settings,
  Target,
} from './types';
import { HTTP_TOKEN } from './http-token';

/** A profile as saved by the renderer: secret header values may be left empty to keep the stored one. */
export type ProfileInput = Omit<ServerProfile, 'id' | 'builtIn'> & { id?: string };

/** Calls that work without Electron: implemented by `createApi(engine)`, used by IPC and the browser harness. */
export interface EngineApi {
  /** The whole queue once; then apply `queue:delta` events with a higher `seq`. */
  getSnapshot(): Promise<QueueSnapshot>;
  /** Enqueue files and folders a person chose (drop, dialog, command line). Folders become batches. */
  addPaths(request: { paths: string[]; profileId?: string }): Promise<AddResult>;
  pause(target: Target): Promise<void>;
  resume(target: Target): Promise<void>;
  /** Stops and removes the server upload when termination is supported. */
  cancel(target: Target): Promise<void>;
  /** Retries failed (or cancelled) jobs now. */
  retry(target: Target): Promise<void>;
  /** Removes jobs from the queue (cancelling them first if they run). */
  remove(target: Target): Promise<void>;
  /** Moves a job to `toIndex` in the queue order. */
  reorder(request: { jobId: string; toIndex: number }): Promise<void>;
  setPriority(request: { target: Target; priority: number }): Promise<void>;
  /** Removes completed and cancelled jobs (they stay in history). */
  clearFinished(): Promise<void>;
  getJobDetails(jobId: string): Promise<JobDetails>;
  getHistory(request: { search?: string; limit?: number }): Promise<HistoryEntry[]>;
  /** The history as CSV or JSON text. */
  exportHistory(request: { format: 'csv' | 'json' }): Promise<{ content: string; suggestedName: string }>;
  listProfiles(): Promise<ServerProfile[]>;
  saveProfile(profile: ProfileInput): Promise<ServerProfile>;
  deleteProfile(profileId: string): Promise<void>;
  /** OPTIONS against a saved profile (by id) or an unsaved one, and what Tusk would do with the answer. */
  testConnection(request: { profileId: string } | { profile: ProfileInput }): Promise<ServerCapabilities>;
  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  setBandwidthLimit(bytesPerSecond: number): Promise<void>;
}

/** Calls only the desktop shell can answer (dialogs, the OS). The browser harness provides stand-ins. */
export interface DesktopApi {
  /** Opens a native dialog; the chosen paths are enqueued. Returns what was added (empty when cancelled). */
  addFilesWithDialog(request: { profileId?: string }): Promise<AddResult>;
  addFolderWithDialog(request: { profileId?: string }): Promise<AddResult>;
  /** Shows the job's source file in the system file manager. */
  revealFile(jobId: string): Promise<void>;
  /** Copies the job's upload URL (or result URL) to the clipboard. */
  copyUploadUrl(request: { jobId: string; which: 'upload' | 'result' }): Promise<void>;
  /** Saves exported history through a save dialog; returns the path or undefined when cancelled. */
  saveHistoryExport(request: { format: 'csv' | 'json' }): Promise<string | undefined>;
  /** The renderer is ready for pushed events (events are not sent before this). */
  rendererReady(): Promise<void>;
}

/** Everything callable from the renderer. */
export type TuskApi = EngineApi & DesktopApi;
export type CallName = keyof TuskApi;

/** Events main pushes to the renderer. */
export interface TuskEvents {
  'queue:delta': QueueDelta;
  'settings:changed': Settings;
  /** A message to show briefly (e.g. "3 files added", "Network is back, resuming"). */
  toast: { level: 'info' | 'warning' | 'error'; message: string };
  /** The native application menu asks the window to show a view (Settings… is Ctrl/Cmd+,). */
  'menu:open-view': { view: 'queue' | 'history' | 'servers' | 'settings' };
}
export type EventName = keyof TuskEvents;

/** What the preload exposes as `window.tusk`. */
export interface TuskBridge {
  api: TuskApi;
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: TuskEvents[E]) => void): () => void;
  /** Path of a dropped File (Electron's webUtils.getPathForFile); '' when it has none. */
  getPathForFile(file: File): string;
  platform: string;
}

/** IPC channel of a call. */
export const callChannel = (name: CallName): string => `tusk:call:${name}`;
/** IPC channel of an event. */
export const eventChannel = (name: EventName): string => `tusk:event:${name}`;

// ---------------------------------------------------------------------------------------------------------------
// Payload schemas. Main validates the argument tuple of every call against these before running the handler.
// ---------------------------------------------------------------------------------------------------------------

const id = z.string().min(1).max(200);
const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('job'), id }),
  z.object({ kind: z.literal('batch'), id }),
  z.object({ kind: z.literal('all') }),
]);
const checksumChoice = z.enum(['auto', 'none', 'sha1', 'sha256', 'sha512', 'md5']);
const headerName = z.string().regex(HTTP_TOKEN, 'header names are letters, digits and -');
const headerEntry = z.object({
  name: headerName,
  value: z.string().max(16_384).regex(/^[^\r\n]*$/, 'header values cannot contain line breaks'),
  secret: z.boolean(),
  hasValue: z.boolean().optional(),
});
const profileInput = z.object({
  id: id.optional(),
  name: z.string().min(1).max(200),
  endpoint: z.string().min(1).max(4096),
  headers: z.array(headerEntry).max(64),
  chunkSize: z.number().int().min(0),
  checksum: checksumChoice,
  parallelUploads: z.number().int().min(1).max(64),
  verifyTls: z.boolean(),
  caPath: z.string().max(4096).optional(),
  maxConcurrent: z.number().int().min(1).max(64),
  metadata: z.record(z.string(), z.string()).optional(),
});
/** One schema per setting, so a stored document with one bad field keeps the others (the desktop's loader uses it). */
export const settingsFieldSchemas: { [K in keyof Settings]-?: z.ZodType<Settings[K]> } = {
  concurrency: z.number().int().min(1).max(64),
  bandwidthLimit: z.number().int().min(0),
  startAtLogin: z.boolean(),
  startHidden: z.boolean(),
  notifications: z.boolean(),
  keepAwake: z.boolean(),
  closeToTray: z.boolean(),
  theme: z.enum(['system', 'light', 'dark']),
  defaultProfileId: id.optional(),
  ignorePatterns: z.array(z.string().min(1).max(256)).max(256),
  followSymlinks: z.boolean(),
};
const settingsPatch = z.object(settingsFieldSchemas).partial().strict();
const optionalProfile = z.object({ profileId: id.optional() }).strict();

/** The argument tuple schema of each call, typed so that it must match `TuskApi`. */
export const callSchemas: { [K in CallName]: z.ZodType<Parameters<TuskApi[K]>> } = {
  getSnapshot: z.tuple([]),
  addPaths: z.tuple([
    z.object({ paths: z.array(z.string().min(1).max(32_768)).min(1).max(100_000), profileId: id.optional() }).strict(),
  ]),
  pause: z.tuple([targetSchema]),
  resume: z.tuple([targetSchema]),
  cancel: z.tuple([targetSchema]),
  retry: z.tuple([targetSchema]),
  remove: z.tuple([targetSchema]),
  reorder: z.tuple([z.object({ jobId: id, toIndex: z.number().int().min(0) }).strict()]),
  setPriority: z.tuple([z.object({ target: targetSchema, priority: z.number().int().min(-100).max(100) }).strict()]),
  clearFinished: z.tuple([]),
  getJobDetails: z.tuple([id]),
  getHistory: z.tuple([
    z.object({ search: z.string().max(1000).optional(), limit: z.number().int().min(1).max(100_000).optional() }).strict(),
  ]),
  exportHistory: z.tuple([z.object({ format: z.enum(['csv', 'json']) }).strict()]),
  listProfiles: z.tuple([]),
  saveProfile: z.tuple([profileInput.strict()]),
  deleteProfile: z.tuple([id]),
  testConnection: z.tuple([
    z.union([z.object({ profileId: id }).strict(), z.object({ profile: profileInput.strict() }).strict()]),
  ]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([settingsPatch]),
  setBandwidthLimit: z.tuple([z.number().int().min(0)]),
  addFilesWithDialog: z.tuple([optionalProfile]),
  addFolderWithDialog: z.tuple([optionalProfile]),
  revealFile: z.tuple([id]),
  copyUploadUrl: z.tuple([z.object({ jobId: id, which: z.enum(['upload', 'result']) }).strict()]),
  saveHistoryExport: z.tuple([z.object({ format: z.enum(['csv', 'json']) }).strict()]),
  rendererReady: z.tuple([]),
} as { [K in CallName]: z.ZodType<Parameters<TuskApi[K]>> };

/** Every call name, for the preload to build `window.tusk.api` and for main to register handlers. */
export const callNames = Object.keys(callSchemas) as CallName[];

/** Names of the calls `createApi(engine)` implements. */
export const engineCallNames = [
  'getSnapshot',
  'addPaths',
  'pause',
  'resume',
  'cancel',
  'retry',
  'remove',
  'reorder',
  'setPriority',
  'clearFinished',
  'getJobDetails',
  'getHistory',
  'exportHistory',
  'listProfiles',
  'saveProfile',
  'deleteProfile',
  'testConnection',
  'getSettings',
  'updateSettings',
  'setBandwidthLimit',
] as const satisfies ReadonlyArray<keyof EngineApi>;

/** Validates a call's arguments; throws an Error naming the call and what was wrong. */
export function validateCall<K extends CallName>(name: K, args: unknown): Parameters<TuskApi[K]> {
  const schema = callSchemas[name];
  if (!schema) throw new Error(`Unknown call "${String(name)}".`);
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
    throw new Error(`Invalid arguments for ${String(name)}: ${detail}`);
  }
  return parsed.data as Parameters<TuskApi[K]>;
}
