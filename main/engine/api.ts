/**
 * `createApi(engine)`: the renderer contract `EngineApi` (shared/ipc.ts) on top of the engine, with no Electron.
 * Every call validates its arguments with `validateCall` first, because the browser harness calls this directly
 * (IPC validates too, but twice is cheap and this is the boundary the engine owns).
 */
import { resolve, sep } from 'node:path';
import { validateCall, type EngineApi, type ProfileInput } from '../../shared/ipc';
import type { ChecksumAlgorithm, ErrorInfo, ServerCapabilities, ServerProfile, Target } from '../../shared/types';
import type { Engine } from './engine-types';
import { internalsOf, type EngineInternals } from './engine-internals';
import { filterHistory, historyToCsv, historyToJson } from './queue/history';
import { toErrorInfo } from './queue/queue';
import { makeProfile } from './profiles';
import { tusClientOptionsFor } from './queue/profile-clients';

const STRENGTH: ChecksumAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

/** Whether `path` is one of `grants` or lies below one of them. */
export function isGranted(path: string, grants: string[]): boolean {
  const p = resolve(path);
  return grants.some((g) => {
    const root = resolve(g);
    return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  });
}

/** The profile a new job goes to: the given one, else the default, else the only/first one. */
async function pickProfile(parts: EngineInternals, profileId?: string): Promise<ServerProfile> {
  if (profileId) {
    const p = await parts.profiles.get(profileId);
    if (!p) throw new Error(`No server profile with id "${profileId}". Choose one of the saved profiles.`);
    return p;
  }
  const settings = await parts.settings.get();
  if (settings.defaultProfileId) {
    const p = await parts.profiles.get(settings.defaultProfileId);
    if (p) return p;
  }
  const all = await parts.profiles.list();
  if (all.length === 0) throw new Error('No server profile yet. Add a server (its tus endpoint URL) first, then add files.');
  return all[0];
}

/** What Tusk will do with a server given its OPTIONS answer and a profile. */
export function planFor(
  profile: Pick<ServerProfile, 'chunkSize' | 'checksum' | 'parallelUploads'>,
  extensions: string[],
  algorithms: string[],
): { plan: NonNullable<ServerCapabilities['plan']>; error?: ErrorInfo } {
  const algos = algorithms.map((a) => a.toLowerCase());
  let checksum: ChecksumAlgorithm | 'none' = 'none';
  let error: ErrorInfo | undefined;
  const hasChecksum = extensions.includes('checksum');
  if (profile.checksum === 'auto') {
    if (hasChecksum) checksum = STRENGTH.find((a) => algos.includes(a)) ?? 'none';
  } else if (profile.checksum !== 'none') {
    if (hasChecksum && algos.includes(profile.checksum)) checksum = profile.checksum;
    else
      error = {
        code: 'unsupported',
        message: `The server does not support the ${profile.checksum} checksum this profile asks for (it offers: ${algos.join(', ') || 'none'}).`,
        hint: "Set the profile's checksum to auto or none, or to one the server offers.",
        retryable: false,
      };
  }
  const concatenation = extensions.includes('concatenation');
  return {
    plan: {
      chunkSize: profile.chunkSize,
      checksum,
      parallelUploads: concatenation ? profile.parallelUploads : 1,
      // The queue creates uploads without a body so the URL is on disk before the first byte.
      creationWithUpload: false,
      deferredLength: extensions.includes('creation-defer-length'),
      termination: extensions.includes('termination'),
    },
    ...(error ? { error } : {}),
  };
}

/** Implements `EngineApi` for an engine made by `createEngine`. */
export function createApi(engine: Engine): EngineApi {
  const parts = (): EngineInternals => internalsOf(engine);

  const toProfile = (input: ProfileInput, existing?: ServerProfile): ServerProfile =>
    makeProfile({ ...(existing ?? {}), ...input, id: input.id ?? existing?.id });

  // The five per-target controls differ only in the queue method they reach.
  const onTarget =
    (name: 'pause' | 'resume' | 'cancel' | 'retry' | 'remove') =>
    async (target: Target): Promise<void> => {
      const [t] = validateCall(name, [target]);
      await parts().queue[name](t);
    };
  const api: EngineApi = {
    async getSnapshot() {
      validateCall('getSnapshot', []);
      return parts().queue.snapshot();
    },
    async addPaths(request) {
      const [req] = validateCall('addPaths', [request]);
      const p = parts();
      if (p.requirePathGrants) {
        const denied = req.paths.filter((path) => !isGranted(path, p.grants));
        if (denied.length > 0) {
          throw new Error(
            `Tusk may only upload files you chose (by drop, dialog or command line); not granted: ${denied.slice(0, 3).join(', ')}` +
              (denied.length > 3 ? ` and ${denied.length - 3} more` : '') +
              '. Drop the files onto the window or pick them with Add files.',
          );
        }
      }
      const profile = await pickProfile(p, req.profileId);
      const settings = await p.settings.get();
      return p.queue.addPaths(
        req.paths.map((x) => resolve(x)),
        { profile, ignorePatterns: settings.ignorePatterns, followSymlinks: settings.followSymlinks },
      );
    },
    pause: onTarget('pause'),
    resume: onTarget('resume'),
    cancel: onTarget('cancel'),
    retry: onTarget('retry'),
    remove: onTarget('remove'),
    async reorder(request) {
      const [r] = validateCall('reorder', [request]);
      await parts().queue.reorder(r.jobId, r.toIndex);
    },
    async setPriority(request) {
      const [r] = validateCall('setPriority', [request]);
      await parts().queue.setPriority(r.target, r.priority);
    },
    async clearFinished() {
      validateCall('clearFinished', []);
      await parts().queue.clearFinished();
    },
    async getJobDetails(jobId) {
      const [id] = validateCall('getJobDetails', [jobId]);
      const p = parts();
      const job = p.queue.job(id);
      const profile = job ? await p.profiles.get(job.profileId) : undefined;
      return p.queue.details(id, profile?.endpoint ?? '');
    },
    async getHistory(request) {
      const [r] = validateCall('getHistory', [request]);
      return filterHistory(parts().queue.historyEntries(), r.search, r.limit ?? 1000);
    },
    async exportHistory(request) {
      const [r] = validateCall('exportHistory', [request]);
      const entries = parts().queue.historyEntries();
      const day = new Date().toISOString().slice(0, 10);
      return r.format === 'csv'
        ? { content: historyToCsv(entries), suggestedName: `tusk-history-${day}.csv` }
        : { content: historyToJson(entries), suggestedName: `tusk-history-${day}.json` };
    },
    async listProfiles() {
      validateCall('listProfiles', []);
      return parts().profiles.list();
    },
    async saveProfile(profile) {
      const [input] = validateCall('saveProfile', [profile]);
      const p = parts();
      const existing = input.id ? await p.profiles.get(input.id) : undefined;
      const saved = await p.profiles.save(toProfile(input, existing));
      p.queue.profileChanged(saved);
      return saved;
    },
    async deleteProfile(profileId) {
      const [id] = validateCall('deleteProfile', [profileId]);
      const p = parts();
      if (p.queue.usesProfile(id)) {
        throw new Error('This server profile still has unfinished uploads. Cancel or remove them first, then delete the profile.');
      }
      await p.profiles.delete(id);
      p.queue.profileChanged({ id, deleted: true });
      const settings = await p.settings.get();
      if (settings.defaultProfileId === id) await p.settings.update({ defaultProfileId: undefined });
    },
    async testConnection(request) {
      const [r] = validateCall('testConnection', [request]);
      const p = parts();
      let profile: ServerProfile;
      let headers: Record<string, string>;
      if ('profileId' in r) {
        const found = await p.profiles.get(r.profileId);
        if (!found) throw new Error(`No server profile with id "${r.profileId}". Save the profile first.`);
        profile = found;
        headers = await p.profiles.resolveHeaders(found.id);
      } else {
        const existing = r.profile.id ? await p.profiles.get(r.profile.id) : undefined;
        profile = toProfile(r.profile, existing);
        const stored = existing ? await p.profiles.resolveHeaders(existing.id) : {};
        headers = {};
        for (const h of profile.headers) {
          const v = h.value !== '' ? h.value : stored[h.name];
          if (v) headers[h.name] = v;
        }
      }
      return testServer(p, profile, headers);
    },
    async getSettings() {
      validateCall('getSettings', []);
      return parts().settings.get();
    },
    async updateSettings(patch) {
      const [pt] = validateCall('updateSettings', [patch]);
      const p = parts();
      const next = await p.settings.update(pt);
      if (pt.concurrency !== undefined) p.queue.setConcurrency(next.concurrency);
      if (pt.bandwidthLimit !== undefined) p.queue.setBandwidthLimit(next.bandwidthLimit);
      return next;
    },
    async setBandwidthLimit(bytesPerSecond) {
      const [bps] = validateCall('setBandwidthLimit', [bytesPerSecond]);
      const p = parts();
      p.queue.setBandwidthLimit(bps);
      await p.settings.update({ bandwidthLimit: bps });
    },
  };
  return api;
}

async function testServer(parts: EngineInternals, profile: ServerProfile, headers: Record<string, string>): Promise<ServerCapabilities> {
  const base: ServerCapabilities = {
    endpoint: profile.endpoint,
    reachable: false,
    isTus: false,
    versions: [],
    extensions: [],
    checksumAlgorithms: [],
    expiration: false,
    checkedAt: Date.now(),
  };
  let info;
  let client: ReturnType<EngineInternals['clientFactory']> | undefined;
  try {
    // The options its uploads use (TLS trust with the profile's CA, proxy, headers), with a shorter timeout.
    client = parts.clientFactory({ ...(await tusClientOptionsFor(profile, headers)), timeout: 10_000 });
    info = await client.getServerInfo();
  } catch (err) {
    const e = toErrorInfo(err);
    // invalid-argument: the profile itself is unusable (its CA file cannot be read), so the server was not asked.
    const unreachable = e.code === 'network' || e.code === 'timeout' || e.code === 'invalid-url' || e.code === 'invalid-argument';
    return {
      ...base,
      reachable: !unreachable,
      error: {
        ...e,
        hint:
          e.hint ??
          (unreachable
            ? 'Check the endpoint URL and that the server is running and reachable from this computer.'
            : 'Check that the endpoint is the tus creation URL (often ending in /files).'),
      },
    };
  } finally {
    void Promise.resolve(client?.close?.()).catch(() => undefined);
  }
  const { plan, error } = planFor(profile, info.extensions, info.checksumAlgorithms);
  return {
    ...base,
    reachable: true,
    isTus: true,
    version: info.version,
    versions: info.versions,
    extensions: info.extensions,
    ...(info.maxSize !== undefined ? { maxSize: info.maxSize } : {}),
    checksumAlgorithms: info.checksumAlgorithms,
    expiration: info.extensions.includes('expiration'),
    plan,
    ...(error ? { error } : {}),
  };
}
