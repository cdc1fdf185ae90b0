import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { TusError } from './errors';
import type { UrlStorage } from './types';

/** Keeps URLs in memory only (tests, one-shot uploads). */
export class MemoryUrlStorage implements UrlStorage {
  private readonly map = new Map<string, string>();
  /** Stored URL for a fingerprint. */
  async get(fingerprint: string): Promise<string | undefined> {
    return this.map.get(fingerprint);
  }
  /** Stores a URL. */
  async set(fingerprint: string, url: string): Promise<void> {
    this.map.set(fingerprint, url);
  }
  /** Forgets a fingerprint. */
  async remove(fingerprint: string): Promise<void> {
    this.map.delete(fingerprint);
  }
  /** Every entry. */
  async list(): Promise<Array<{ fingerprint: string; url: string }>> {
    return [...this.map].map(([fingerprint, url]) => ({ fingerprint, url }));
  }
}

/** Default location of the file-backed storage when none is given. */
export function defaultUrlStoragePath(): string {
  return join(homedir(), '.tusk', 'urls.json');
}

/**
 * URLs in one JSON file (`{ fingerprint: url }`), rewritten atomically (temp file + rename) so a crash never leaves
 * half a file. Writes are serialized within the process.
 */
export class FileUrlStorage implements UrlStorage {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string = defaultUrlStoragePath()) {}

  /** Stored URL for a fingerprint. */
  async get(fingerprint: string): Promise<string | undefined> {
    await this.chain;
    return (await this.read())[fingerprint];
  }
  /** Stores a URL. */
  async set(fingerprint: string, url: string): Promise<void> {
    await this.update((m) => {
      m[fingerprint] = url;
    });
  }
  /** Forgets a fingerprint. */
  async remove(fingerprint: string): Promise<void> {
    await this.update((m) => {
      delete m[fingerprint];
    });
  }
  /** Every entry. */
  async list(): Promise<Array<{ fingerprint: string; url: string }>> {
    await this.chain;
    return Object.entries(await this.read()).map(([fingerprint, url]) => ({ fingerprint, url }));
  }

  private update(change: (m: Record<string, string>) => void): Promise<void> {
    const next = this.chain.then(async () => {
      const m = await this.read();
      change(m);
      const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(tmp, JSON.stringify(m, null, 2));
        await rename(tmp, this.path);
      } catch (cause) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw new TusError('url-storage', `Cannot save upload URLs in ${this.path}: ${(cause as Error).message}.`, {
          cause,
          hint: 'Free space on that disk or make the folder writable (or store the URLs elsewhere); without it an interrupted upload is not found again by its file.',
        });
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new TusError('url-storage', `Cannot read the stored upload URLs in ${this.path}: ${(err as Error).message}.`, {
        cause: err,
        hint: 'Check that its folder is a readable directory (a state dir given as a file path does not work), or store the URLs elsewhere.',
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new TusError('url-storage', `The URL storage file ${this.path} is not valid JSON.`, {
        cause,
        hint: 'Delete or repair the file; only resume information is lost.',
      });
    }
    const out: Record<string, string> = {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
    return out;
  }
}
