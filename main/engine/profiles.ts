/**
 * Default profile repositories for the CLI and tests: a JSON file in the state dir (`profiles.json`) or memory.
 * In this variant secret header values stay in the file in plain text (mode 0600); the desktop keeps profiles in
 * electron-store with secrets encrypted by the OS keychain.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ServerProfile } from '../../shared/types';
import type { ProfileRepository } from './engine-types';
import { readJsonFile, writeJsonFile } from './json-file';

/** A profile with Tusk's defaults for everything not given. */
export function makeProfile(partial: Partial<ServerProfile> & { endpoint: string }): ServerProfile {
  return {
    id: partial.id ?? randomUUID(),
    name: partial.name ?? partial.endpoint,
    endpoint: partial.endpoint,
    headers: partial.headers ?? [],
    chunkSize: partial.chunkSize ?? 8 * 1024 * 1024,
    checksum: partial.checksum ?? 'auto',
    parallelUploads: partial.parallelUploads ?? 1,
    verifyTls: partial.verifyTls ?? true,
    maxConcurrent: partial.maxConcurrent ?? 4,
    ...(partial.caPath ? { caPath: partial.caPath } : {}),
    ...(partial.proxy !== undefined ? { proxy: partial.proxy } : {}),
    ...(partial.metadata ? { metadata: partial.metadata } : {}),
    ...(partial.builtIn ? { builtIn: true } : {}),
  };
}

/** Keeps stored secret values when a save leaves them empty (the renderer never sees them). */
function mergeSecrets(next: ServerProfile, prev: ServerProfile | undefined): ServerProfile {
  if (!prev) return next;
  return {
    ...next,
    headers: next.headers.map((h) => {
      if (!h.secret || h.value !== '') return h;
      const old = prev.headers.find((o) => o.name.toLowerCase() === h.name.toLowerCase() && o.secret);
      return old ? { ...h, value: old.value } : h;
    }),
  };
}

/** The same profile with secret values blanked and `hasValue` set (what `list`/`get` return). */
function redact(p: ServerProfile): ServerProfile {
  return { ...p, headers: p.headers.map((h) => (h.secret ? { name: h.name, value: '', secret: true, hasValue: h.value !== '' } : { ...h })) };
}

function headersOf(p: ServerProfile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of p.headers) if (h.value !== '') out[h.name] = h.value;
  return out;
}

/** Profiles kept in memory (tests, the browser harness). */
export class MemoryProfileRepository implements ProfileRepository {
  protected readonly profiles = new Map<string, ServerProfile>();
  constructor(initial: ServerProfile[] = []) {
    for (const p of initial) this.profiles.set(p.id, p);
  }
  async list(): Promise<ServerProfile[]> {
    return [...this.profiles.values()].map(redact);
  }
  async get(id: string): Promise<ServerProfile | undefined> {
    const p = this.profiles.get(id);
    return p ? redact(p) : undefined;
  }
  async save(profile: ServerProfile): Promise<ServerProfile> {
    const saved = mergeSecrets({ ...profile, headers: profile.headers.map(({ name, value, secret }) => ({ name, value, secret })) }, this.profiles.get(profile.id));
    this.profiles.set(saved.id, saved);
    await this.persist();
    return redact(saved);
  }
  async delete(id: string): Promise<void> {
    this.profiles.delete(id);
    await this.persist();
  }
  async resolveHeaders(id: string): Promise<Record<string, string>> {
    const p = this.profiles.get(id);
    return p ? headersOf(p) : {};
  }
  protected async persist(): Promise<void> {}
}

/** Profiles in `<stateDir>/profiles.json` (atomic writes, mode 0600; secrets in plain text in this variant). */
export class FileProfileRepository extends MemoryProfileRepository {
  readonly path: string;
  private loaded = false;
  private writing: Promise<unknown> = Promise.resolve();
  constructor(stateDir: string) {
    super();
    this.path = join(stateDir, 'profiles.json');
  }
  /** Reads the file once; later calls use memory. */
  async load(): Promise<void> {
    if (this.loaded) return;
    const raw = await readJsonFile(this.path);
    if (raw !== undefined) {
      const list = (raw as { profiles?: unknown }).profiles;
      if (!Array.isArray(list)) throw new Error(`${this.path} has no "profiles" list. Fix or delete the file.`);
      for (const p of list as ServerProfile[]) {
        if (typeof p?.id !== 'string' || typeof p.endpoint !== 'string') throw new Error(`${this.path} holds a profile without id or endpoint. Fix or delete the file.`);
        this.profiles.set(p.id, makeProfile(p));
      }
    }
    this.loaded = true;
  }
  override async list(): Promise<ServerProfile[]> {
    await this.load();
    return super.list();
  }
  override async get(id: string): Promise<ServerProfile | undefined> {
    await this.load();
    return super.get(id);
  }
  override async save(profile: ServerProfile): Promise<ServerProfile> {
    await this.load();
    return super.save(profile);
  }
  override async delete(id: string): Promise<void> {
    await this.load();
    return super.delete(id);
  }
  override async resolveHeaders(id: string): Promise<Record<string, string>> {
    await this.load();
    return super.resolveHeaders(id);
  }
  protected override async persist(): Promise<void> {
    const snapshot = { version: 1, profiles: [...this.profiles.values()] };
    const write = this.writing.then(() => writeJsonFile(this.path, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
  }
}
