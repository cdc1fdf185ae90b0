/**
 * The queue's resources per server profile: the profile itself (cached, so the scheduler reads per-server limits
 * without I/O), one TusClient per profile (rebuilt when the profile or its resolved headers change, so keep-alive
 * connections and the OPTIONS answer are shared by every job of that server) and the server's capabilities.
 */
import { readFile } from 'node:fs/promises';
import type { ServerProfile } from '../../../shared/types';
import type { RateLimiter, ServerInfo, TusClientOptions } from '../tus/types';
import type { QueueTusClient, TusClientFactory } from './queue';

/** What the cache needs from the engine. */
export interface ProfileClientsOptions {
  getProfile: (id: string) => Promise<ServerProfile | undefined>;
  /** The profile's headers with secrets decrypted (asked once per job: a changed token takes effect at once). */
  resolveHeaders: (id: string) => Promise<Record<string, string>>;
  clientFactory: TusClientFactory;
  /** The queue's bandwidth limiter, shared by every client. */
  rateLimiter: RateLimiter;
}

interface CachedClient {
  profile: ServerProfile;
  /** The resolved headers, serialized: a client is rebuilt when they change. */
  key: string;
  client: QueueTusClient;
}

/** Profiles, clients and server capabilities by profile id. */
export class ProfileClients {
  private readonly profiles = new Map<string, ServerProfile>();
  private readonly clients = new Map<string, CachedClient>();
  private readonly serverInfos = new Map<string, Promise<ServerInfo | undefined>>();

  constructor(private readonly options: ProfileClientsOptions) {}

  /** The profile if it is cached (no I/O): what the scheduler uses for per-server limits. */
  cachedProfile(id: string): ServerProfile | undefined {
    return this.profiles.get(id);
  }

  /** Caches a profile handed in by the caller (an add names its profile). */
  remember(profile: ServerProfile): void {
    this.profiles.set(profile.id, profile);
  }

  /** The profile, loaded once; a profile that no longer exists is a non-retryable `profile-missing` error. */
  async profile(id: string): Promise<ServerProfile> {
    let p = this.profiles.get(id);
    if (!p) {
      p = await this.options.getProfile(id);
      if (!p) {
        throw Object.assign(new Error(`The server profile "${id}" no longer exists.`), {
          code: 'profile-missing',
          hint: 'Add the profile again, or remove the job.',
          retryable: false,
        });
      }
      this.profiles.set(id, p);
    }
    return p;
  }

  /** Loads the given profiles (restored jobs'), so per-server limits are known before scheduling. */
  async warm(ids: Iterable<string>): Promise<void> {
    for (const id of new Set(ids)) {
      const p = await this.options.getProfile(id);
      if (p) this.profiles.set(id, p);
    }
  }

  /** The profile's client, built on first use and again after the profile or its headers changed. */
  async client(profileId: string): Promise<QueueTusClient> {
    const profile = await this.profile(profileId);
    const headers = await this.options.resolveHeaders(profileId);
    // The profile is compared by identity (a changed profile is a new object, see `changed`); only the small
    // headers object is serialized.
    const key = JSON.stringify(headers);
    const cached = this.clients.get(profileId);
    if (cached && cached.profile === profile && cached.key === key) return cached.client;
    if (cached) closeQuietly(cached.client);
    const opts = await tusClientOptionsFor(profile, headers, this.options.rateLimiter);
    const client = this.options.clientFactory(opts);
    this.clients.set(profileId, { profile, key, client });
    return client;
  }

  /** The client already built for the profile, if any (no I/O). */
  existingClient(profileId: string): QueueTusClient | undefined {
    return this.clients.get(profileId)?.client;
  }

  /** The server's capabilities, asked once per profile; undefined (and asked again next time) when that fails. */
  serverInfo(profileId: string): Promise<ServerInfo | undefined> {
    let p = this.serverInfos.get(profileId);
    if (!p) {
      p = this.client(profileId)
        .then((c) => c.getServerInfo())
        .catch(() => {
          this.serverInfos.delete(profileId);
          return undefined;
        });
      this.serverInfos.set(profileId, p);
    }
    return p;
  }

  /** Forgets what was built from a profile that changed (endpoint, headers, TLS) or was deleted. */
  changed(profile: ServerProfile | { id: string; deleted: true }): void {
    // Jobs running on the old client keep it until they end; its idle connections close on their own.
    this.clients.delete(profile.id);
    this.serverInfos.delete(profile.id);
    if ('deleted' in profile) this.profiles.delete(profile.id);
    else this.profiles.set(profile.id, profile);
  }

  /** Closes every client (their idle keep-alive connections). */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => Promise.resolve(c.client.close?.()).catch(() => undefined)));
  }
}

/**
 * The TusClient options of a profile as the queue runs it: endpoint, chunk size, checksum, TLS trust (the CA file
 * read here), proxy and headers, with retries left to the queue and the upload URL stored by the queue. Also what
 * "Test connection" uses, so a test reaches the server the way its uploads will.
 */
export async function tusClientOptionsFor(profile: ServerProfile, headers: Record<string, string>, rateLimiter?: RateLimiter): Promise<TusClientOptions> {
  const opts: TusClientOptions = {
    endpoint: profile.endpoint,
    chunkSize: profile.chunkSize > 0 ? profile.chunkSize : Infinity,
    checksum: profile.checksum,
    verifyTls: profile.verifyTls,
    ...(profile.proxy !== undefined ? { proxy: profile.proxy } : {}),
    headers,
    // Job-level retries in the queue, so a person sees every attempt and its countdown.
    maxRetries: 0,
    creationWithUpload: false,
    storeUrl: false,
    ...(rateLimiter ? { rateLimiter } : {}),
  };
  if (profile.caPath) {
    try {
      opts.ca = await readFile(profile.caPath);
    } catch (err) {
      throw Object.assign(new Error(`The CA certificate ${profile.caPath} of profile "${profile.name}" cannot be read: ${(err as Error).message}`), {
        code: 'invalid-argument',
        hint: 'Fix the CA path in the server profile.',
        retryable: false,
      });
    }
  }
  return opts;
}

function closeQuietly(client: QueueTusClient): void {
  void Promise.resolve(client.close?.()).catch(() => undefined);
}
