/** The queue's per-profile cache: when a client is reused, rebuilt or forgotten, and what a missing profile says. */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProfile } from '../../shared/types';
import type { ServerInfo, TusClientOptions } from '../../main/engine/tus/types';
import type { QueueTusClient } from '../../main/engine/queue/queue';
import { ProfileClients } from '../../main/engine/queue/profile-clients';
import { TokenBucketLimiter } from '../../main/engine/queue/limiter';
import { makeTempDir, removeDir } from '../helpers/files';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('tusk-profile-clients-');
});
afterAll(async () => {
  await removeDir(dir);
});

function profile(id: string, extra: Partial<ServerProfile> = {}): ServerProfile {
  return {
    id,
    name: `Server ${id}`,
    endpoint: `https://${id}.example/files/`,
    chunkSize: 0,
    checksum: 'auto',
    verifyTls: true,
    maxConcurrent: 2,
    parallelUploads: 1,
    headers: [],
    ...extra,
  };
}

/** A cache over `stored` profiles and `headers`, recording every client it builds and closes. */
function setup(stored: Map<string, ServerProfile>, headers: Record<string, string> = {}) {
  const built: TusClientOptions[] = [];
  const closed: number[] = [];
  let infoCalls = 0;
  let infoFails = false;
  const cache = new ProfileClients({
    getProfile: async (id) => stored.get(id),
    resolveHeaders: async () => ({ ...headers }),
    rateLimiter: new TokenBucketLimiter(0),
    clientFactory: (opts) => {
      const n = built.push(opts);
      const client: QueueTusClient = {
        uploadFile: async () => {
          throw new Error('not used');
        },
        getServerInfo: async () => {
          infoCalls++;
          if (infoFails) throw new Error('offline');
          return { extensions: ['creation'] } as unknown as ServerInfo;
        },
        getUploadInfo: async () => {
          throw new Error('not used');
        },
        deleteUpload: async () => undefined,
        close: () => void closed.push(n),
      };
      return client;
    },
  });
  return {
    cache,
    built,
    closed,
    headers,
    infoCalls: () => infoCalls,
    failInfo: (v: boolean) => (infoFails = v),
  };
}

describe('ProfileClients', () => {
  it('reuses one client per profile, with the queue settings; rebuilds it when the headers change, closing the old one', async () => {
    const t = setup(new Map([['a', profile('a')]]), { Authorization: 'Bearer one' });
    const first = await t.cache.client('a');
    expect(await t.cache.client('a')).toBe(first);
    expect(t.built).toHaveLength(1);
    expect(t.built[0]).toMatchObject({ endpoint: 'https://a.example/files/', chunkSize: Infinity, maxRetries: 0, storeUrl: false, headers: { Authorization: 'Bearer one' } });
    t.headers.Authorization = 'Bearer two';
    const second = await t.cache.client('a');
    expect(second).not.toBe(first);
    expect(t.built[1]?.headers).toEqual({ Authorization: 'Bearer two' });
    expect(t.closed).toEqual([1]);
  });

  it('a changed profile gets a new client and its server asked again; a deleted one is forgotten', async () => {
    const stored = new Map([['a', profile('a')]]);
    const t = setup(stored);
    await t.cache.serverInfo('a');
    await t.cache.serverInfo('a');
    expect(t.infoCalls()).toBe(1);
    t.cache.changed(profile('a', { endpoint: 'https://moved.example/files/' }));
    expect(t.cache.existingClient('a')).toBeUndefined();
    await t.cache.serverInfo('a');
    expect(t.infoCalls()).toBe(2);
    expect(t.built.map((o) => o.endpoint)).toEqual(['https://a.example/files/', 'https://moved.example/files/']);
    stored.delete('a');
    t.cache.changed({ id: 'a', deleted: true });
    expect(t.cache.cachedProfile('a')).toBeUndefined();
    await expect(t.cache.client('a')).rejects.toMatchObject({ code: 'profile-missing', retryable: false });
  });

  it('a failed capability request is asked again next time instead of being remembered', async () => {
    const t = setup(new Map([['a', profile('a')]]));
    t.failInfo(true);
    expect(await t.cache.serverInfo('a')).toBeUndefined();
    t.failInfo(false);
    expect(await t.cache.serverInfo('a')).toMatchObject({ extensions: ['creation'] });
    expect(t.infoCalls()).toBe(2);
  });

  it("reads the profile's CA file, and says which profile's CA cannot be read", async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, 'PEM');
    const t = setup(
      new Map([
        ['a', profile('a', { caPath: ca })],
        ['b', profile('b', { caPath: join(dir, 'missing.pem') })],
      ]),
    );
    await t.cache.client('a');
    expect(String(t.built[0]?.ca)).toBe('PEM');
    await expect(t.cache.client('b')).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/CA certificate .*missing\.pem of profile "Server b"/) });
  });

  it('warm loads the profiles of restored jobs once each; close closes every client', async () => {
    const t = setup(new Map([['a', profile('a')], ['b', profile('b')]]));
    await t.cache.warm(['a', 'b', 'a', 'gone']);
    expect(t.cache.cachedProfile('a')?.id).toBe('a');
    expect(t.cache.cachedProfile('b')?.id).toBe('b');
    expect(t.cache.cachedProfile('gone')).toBeUndefined();
    await t.cache.client('a');
    await t.cache.client('b');
    await t.cache.close();
    expect(t.closed.sort()).toEqual([1, 2]);
    expect(t.cache.existingClient('a')).toBeUndefined();
  });
});
