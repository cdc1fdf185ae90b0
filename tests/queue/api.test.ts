/** createApi: validation, path grants, profiles, testConnection (plan, unreachable, not tus), checksums and Plone-style results. */
import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engineCallNames } from '../../shared/ipc';
import { startConformanceServer } from '../servers/conformance';
import { sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, waitJobsDone, useQueueEnv } from './helpers';

const env = useQueueEnv('tusk-queue-api-', () => startConformanceServer({ finalLocation: (id) => `/content/${id}`, expiresInMs: 0 }));

describe('createApi', () => {
  it('implements every engine call and rejects bad arguments with a clear error', async () => {
    const { engine: e } = await env.start();
    for (const name of engineCallNames) expect(typeof e.api[name], name).toBe('function');
    await expect(e.api.pause({ kind: 'nope' } as never)).rejects.toThrow(/Invalid arguments for pause/);
    await expect(e.api.setBandwidthLimit(-1)).rejects.toThrow(/Invalid arguments for setBandwidthLimit/);
    await expect(e.api.addPaths({ paths: [] })).rejects.toThrow(/Invalid arguments for addPaths/);
    await expect(e.api.pause({ kind: 'job', id: 'missing' })).rejects.toThrow(/No job with id "missing"/);
  });

  it('honours path grants when required', async () => {
    const granted = join(env.dir, 'granted');
    await mkdir(granted);
    await writeRandomFile(join(granted, 'ok.bin'), 1000, 1);
    await writeRandomFile(join(env.dir, 'other.bin'), 1000, 2);
    const { engine: e } = await env.start({ engine: { requirePathGrants: true } });
    await expect(e.api.addPaths({ paths: [join(env.dir, 'other.bin')] })).rejects.toThrow(/not granted: .*other\.bin/);
    await expect(e.api.addPaths({ paths: [join(env.dir, 'granted-not', 'x')] })).rejects.toThrow(/not granted/);
    e.grantPaths([granted]);
    const added = await e.api.addPaths({ paths: [join(granted, 'ok.bin')] });
    expect(added.jobIds).toHaveLength(1);
    const [job] = await waitJobsDone(e, added.jobIds);
    expect(job.status).toBe('completed');
  });

  it('uses the strongest checksum with auto, records it, and keeps the final Location as the result URL', async () => {
    const file = join(env.dir, 'sum.bin');
    await writeRandomFile(file, 700_000, 3);
    const { engine: e } = await env.start({ profile: { checksum: 'auto' } });
    const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status, job.lastError?.message).toBe('completed');
    expect(job.checksum).toBe('sha512');
    expect(job.resultUrl).toMatch(/\/content\//);
    expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(file));
    const [h] = await e.api.getHistory({ search: 'sum.bin' });
    expect(h.resultUrl).toBe(job.resultUrl);
    expect(await e.api.getHistory({ search: 'no-such-name' })).toEqual([]);
  });

  it('testConnection reports capabilities and the plan; unreachable and non-tus servers get a clear error', async () => {
    const { engine: e, profile } = await env.start({ profile: { parallelUploads: 4, checksum: 'auto' } });
    const caps = await e.api.testConnection({ profileId: profile.id });
    expect(caps).toMatchObject({ reachable: true, isTus: true, version: '1.0.0' });
    expect(caps.plan).toMatchObject({ checksum: 'sha512', parallelUploads: 4, creationWithUpload: false, termination: true });
    expect(caps.error).toBeUndefined();

    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const base = { name: 'x', headers: [], chunkSize: 0, checksum: 'sha256' as const, parallelUploads: 1, verifyTls: true, maxConcurrent: 2 };
    const down = await e.api.testConnection({ profile: { ...base, endpoint: `http://127.0.0.1:${deadPort}/files` } });
    expect(down.reachable).toBe(false);
    expect(down.error?.message.length).toBeGreaterThan(5);
    expect(down.error?.hint).toBeTruthy();

    const web: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    try {
      const notTus = await e.api.testConnection({ profile: { ...base, endpoint: `http://127.0.0.1:${(web.address() as AddressInfo).port}/files` } });
      expect(notTus.isTus).toBe(false);
      expect(notTus.reachable).toBe(true);
      expect(notTus.error).toBeTruthy();
    } finally {
      web.closeAllConnections();
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it('saves profiles without leaking secrets, keeps a secret left empty, and refuses to delete a profile in use', async () => {
    const { engine: e, profile, profiles } = await env.start({ engine: { autoStart: false } });
    const saved = await e.api.saveProfile({
      name: 'with token',
      endpoint: env.server.endpoint,
      headers: [{ name: 'Authorization', value: 'Bearer s3cret', secret: true }],
      chunkSize: 0,
      checksum: 'none',
      parallelUploads: 1,
      verifyTls: true,
      maxConcurrent: 2,
    });
    expect(saved.headers[0]).toMatchObject({ value: '', secret: true, hasValue: true });
    const again = await e.api.saveProfile({ ...saved, name: 'renamed', headers: [{ name: 'Authorization', value: '', secret: true }] });
    expect(again.name).toBe('renamed');
    expect(await profiles.resolveHeaders(saved.id)).toEqual({ Authorization: 'Bearer s3cret' });
    expect(JSON.stringify(await e.api.listProfiles())).not.toContain('s3cret');
    await writeRandomFile(join(env.dir, 'f.bin'), 10, 4);
    await e.api.addPaths({ paths: [join(env.dir, 'f.bin')], profileId: profile.id });
    await expect(e.api.deleteProfile(profile.id)).rejects.toThrow(/unfinished uploads/);
    await e.api.deleteProfile(saved.id);
    expect((await e.api.listProfiles()).map((p) => p.id)).toEqual([profile.id]);
    await e.api.updateSettings({ concurrency: 2, bandwidthLimit: 1000 });
    expect((await e.api.getSnapshot()).bandwidthLimit).toBe(1000);
    expect((await e.api.getSettings()).concurrency).toBe(2);
    expect(queueOf(e).limiter.bytesPerSecond).toBe(1000);
  });
});
