/**
 * HTTPS with real certificates: a CA and a server certificate made with the openssl CLI at test time, `@tus/server`
 * behind `https.createServer` on 127.0.0.1. Covers the engine (`verifyTls`, `ca`) and the CLI (`--insecure`, `--ca`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { TusClient } from '../../main/engine/tus/client';
import { isTusError, type TusError } from '../../main/engine/tus/errors';
import { makeTempDir, removeDir, sha256File, writeRandomFile } from '../helpers/files';
import { makeCertificates } from '../helpers/certs';
import { uploadIdOf } from '../servers/tus-node';
import { createEngine } from '../../main/engine';
import { bundleCli, jsonLines, runCli, startCli } from '../cli/run';

let tmp: string;
let store: string;
let caPem: string;
let caFile: string;
let endpoint: string;
let https: HttpsServer;
let bundle: string;
let env: Record<string, string>;
/** Every request the HTTPS server saw: method, path and the `X-Tusk-Test` header (to check `--header`). */
const seen: Array<{ method: string; url: string; tag: string | undefined }> = [];

beforeAll(async () => {
  tmp = await makeTempDir('tusk-tls-');
  const certs = join(tmp, 'certs');
  await mkdir(certs);
  const paths = await makeCertificates(certs);
  caFile = paths.ca;
  caPem = await readFile(caFile, 'utf8');
  store = join(tmp, 'store');
  await mkdir(store);
  // A relative Location: @tus/server does not see that it runs behind TLS and would answer with http:// URLs.
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: store }), relativeLocation: true });
  https = createServer({ key: await readFile(paths.key), cert: await readFile(paths.cert) }, (req, res) => {
    const tag = req.headers['x-tusk-test'];
    seen.push({ method: req.method ?? '', url: req.url ?? '', tag: typeof tag === 'string' ? tag : undefined });
    tus.handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(https.address() as AddressInfo).port}/files`;
  bundle = await bundleCli(tmp);
  env = { XDG_STATE_HOME: join(tmp, 'xdg') };
});

afterAll(async () => {
  if (https) {
    https.closeAllConnections();
    await new Promise<void>((resolve) => https.close(() => resolve()));
  }
  if (tmp) await removeDir(tmp);
});

async function stored(url: string): Promise<string> {
  return sha256File(join(store, uploadIdOf(url)));
}

/** `tusk upload <path> --endpoint <endpoint> <flags> --json`: exits 0 and the server holds exactly the source. */
async function expectUploaded(path: string, sum: string, flags: string[]): Promise<void> {
  const r = await runCli(bundle, ['upload', path, '--endpoint', endpoint, ...flags, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  expect(await stored(jsonLines(r.stdout)[0].url as string)).toBe(sum);
}

let seed = 100;
async function source(size = 200_000): Promise<{ path: string; sum: string }> {
  const path = join(tmp, `src-${++seed}.bin`);
  return { path, sum: await writeRandomFile(path, size, seed) };
}

describe('engine over HTTPS', () => {
  it('by default refuses an untrusted certificate with a network error that says why and what to do', async () => {
    const { path } = await source();
    const client = new TusClient({ endpoint, retryDelay: 1 });
    let caught: unknown;
    try {
      await client.uploadFile({ path });
    } catch (err) {
      caught = err;
    } finally {
      await client.close();
    }
    expect(isTusError(caught)).toBe(true);
    const err = caught as TusError;
    expect(err.code).toBe('network');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted/);
    expect(err.message).toMatch(/--ca <ca\.pem>/);
    expect(err.message).toMatch(/--insecure/);
    expect(await readdir(store)).toEqual([]);
  });

  it('uploads with verifyTls: false', async () => {
    const { path, sum } = await source();
    const client = new TusClient({ endpoint, verifyTls: false });
    try {
      const r = await client.uploadFile({ path });
      expect(r.complete).toBe(true);
      expect(await stored(r.url)).toBe(sum);
    } finally {
      await client.close();
    }
  });

  it('uploads with verification on when the CA is given (string or buffer)', async () => {
    for (const ca of [caPem, Buffer.from(caPem)]) {
      const { path, sum } = await source(300_001);
      const client = new TusClient({ endpoint, ca, chunkSize: 100_000 });
      try {
        const r = await client.uploadFile({ path });
        expect(await stored(r.url)).toBe(sum);
      } finally {
        await client.close();
      }
    }
  });

  it('still rejects a wrong host name with the right CA', async () => {
    const client = new TusClient({ endpoint: endpoint.replace('127.0.0.1', 'localhost'), ca: caPem, maxRetries: 0 });
    try {
      await expect(client.getServerInfo()).rejects.toThrow(/not valid for this host name/);
    } finally {
      await client.close();
    }
  });
});

describe('CLI over HTTPS', () => {
  it('without --ca or --insecure: exit 1, stderr says the certificate is not trusted and what to do', async () => {
    const { path } = await source();
    const r = await runCli(bundle, ['upload', path, '--endpoint', endpoint, '--retries', '0', '--json'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not trusted.*--ca <ca\.pem>.*--insecure/s);
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({ file: path, error: expect.objectContaining({ code: 'network' }) }),
    ]);
  });

  it('--insecure uploads (direct and queued)', async () => {
    const { path, sum } = await source();
    await expectUploaded(path, sum, ['--insecure']);
    await expectUploaded(path, sum, ['--insecure', '--concurrency', '1', '--state-dir', join(tmp, 'q1')]);

    // Other TLS settings in the same state dir get their own profile; the --insecure one keeps its setting.
    await expectUploaded(path, sum, ['--ca', caFile, '--concurrency', '1', '--state-dir', join(tmp, 'q1')]);
    const profiles = JSON.parse(await readFile(join(tmp, 'q1', 'profiles.json'), 'utf8')) as {
      profiles: Array<{ endpoint: string; caPath?: string; verifyTls: boolean }>;
    };
    const tls = profiles.profiles
      .map((p) => ({ endpoint: p.endpoint, verifyTls: p.verifyTls, caPath: p.caPath }))
      .sort((a, b) => Number(a.verifyTls) - Number(b.verifyTls));
    expect(tls).toEqual([
      { endpoint, verifyTls: false, caPath: undefined },
      { endpoint, verifyTls: true, caPath: caFile },
    ]);
  });

  it('--ca uploads with verification on (direct and queued; the state dir remembers the CA)', async () => {
    const { path, sum } = await source();
    await expectUploaded(path, sum, ['--ca', caFile]);

    const dir = join(tmp, 'q2');
    await expectUploaded(path, sum, ['--ca', caFile, '--limit-rate', '50MiB', '--state-dir', dir]);
    const profiles = JSON.parse(await readFile(join(dir, 'profiles.json'), 'utf8')) as {
      profiles: Array<{ endpoint: string; caPath?: string; verifyTls: boolean }>;
    };
    expect(profiles.profiles).toEqual([expect.objectContaining({ endpoint, caPath: caFile, verifyTls: true })]);

    // The same state dir without --ca verifies against the bundled roots again: refused up front.
    const again = await runCli(
      bundle,
      ['upload', path, '--endpoint', endpoint, '--concurrency', '1', '--state-dir', dir, '--json'],
      env,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not trusted/);
  });

  it('`tusk queue list` after a kill sends no request; `tusk queue resume` then uses the CA recorded by `tusk upload --ca`', async () => {
    const { path, sum } = await source(900_000);
    const dir = join(tmp, 'q3');
    const { child, done } = startCli(
      bundle,
      [
        'upload',
        path,
        '--endpoint',
        endpoint,
        '--ca',
        caFile,
        '--limit-rate',
        '300k',
        '--chunk-size',
        '64KiB',
        '--state-dir',
        dir,
        '--json',
      ],
      env,
    );
    const before = new Set(await readdir(store));
    const deadline = Date.now() + 10_000;
    while (!(await readdir(store)).some((f) => !before.has(f))) {
      if (Date.now() > deadline) throw new Error('the upload never reached the server');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    const requestsBefore = seen.length;
    const list = await runCli(bundle, ['queue', 'list', '--state-dir', dir, '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<{ path: string; status: string; offset: number; size: number }>;
    expect(listed).toEqual([expect.objectContaining({ path, status: 'queued', size: 900_000 })]);
    expect(listed[0].offset).toBeLessThan(900_000);
    // Give a stray background HEAD time to arrive before asserting there was none.
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.slice(requestsBefore)).toEqual([]);

    const r = await runCli(bundle, ['queue', 'resume', '--state-dir', dir, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { jobs: Array<{ path: string; uploadUrl: string; status: string }> };
    expect(summary.jobs).toEqual([expect.objectContaining({ path, status: 'completed' })]);
    expect(await stored(summary.jobs[0].uploadUrl)).toBe(sum);
  });

  it('--ca with a file that is not a certificate is a usage error (exit 2)', async () => {
    const { path } = await source(10);
    const r = await runCli(bundle, ['upload', path, '--endpoint', endpoint, '--ca', path], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no PEM certificate/);
  });
});

describe('tusk info, server and delete over HTTPS', () => {
  async function uploaded(): Promise<{ url: string; size: number }> {
    const { path, sum } = await source(123_456);
    const r = await runCli(bundle, ['upload', path, '--endpoint', endpoint, '--ca', caFile, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const url = jsonLines(r.stdout)[0].url as string;
    expect(await stored(url)).toBe(sum);
    return { url, size: 123_456 };
  }

  it('tusk info: refused without trust (exit 1, says what to do); works with --ca or --insecure and sends --header', async () => {
    const { url, size } = await uploaded();
    const refused = await runCli(bundle, ['info', url, '--json'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not trusted.*--ca <ca\.pem>.*--insecure/s);

    const from = seen.length;
    const withCa = await runCli(
      bundle,
      ['info', url, '--ca', caFile, '--header', 'X-Tusk-Test: info-ca', '--json'],
      env,
    );
    expect(withCa.code, withCa.stderr).toBe(0);
    expect(jsonLines(withCa.stdout)).toEqual([
      expect.objectContaining({ url, offset: size, length: size, complete: true }),
    ]);
    expect(seen.slice(from)).toEqual([expect.objectContaining({ method: 'HEAD', tag: 'info-ca' })]);

    const insecure = await runCli(bundle, ['info', url, '--insecure'], env);
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.stdout).toContain(`offset:   ${size}`);
  });

  it('tusk server: refused without trust; works with --ca or --insecure and sends --header', async () => {
    const refused = await runCli(bundle, ['server', endpoint], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not trusted/);

    const from = seen.length;
    const withCa = await runCli(
      bundle,
      ['server', endpoint, '--ca', caFile, '--header', 'X-Tusk-Test: server-ca', '--json'],
      env,
    );
    expect(withCa.code, withCa.stderr).toBe(0);
    const info = jsonLines(withCa.stdout)[0] as { version: string; extensions: string[] };
    expect(info.version).toBe('1.0.0');
    expect(info.extensions).toEqual(expect.arrayContaining(['creation', 'termination']));
    expect(seen.slice(from)).toEqual([expect.objectContaining({ method: 'OPTIONS', tag: 'server-ca' })]);

    const insecure = await runCli(bundle, ['server', endpoint, '--insecure', '--json'], env);
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(jsonLines(insecure.stdout)[0]).toMatchObject({ version: '1.0.0' });
  });

  it('tusk delete: refused without trust (upload kept); removes the upload with --ca, and with --insecure', async () => {
    const a = await uploaded();
    const refused = await runCli(bundle, ['delete', a.url], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not trusted/);
    expect(await readdir(store)).toContain(uploadIdOf(a.url));

    const from = seen.length;
    const withCa = await runCli(
      bundle,
      ['delete', a.url, '--ca', caFile, '--header', 'X-Tusk-Test: delete-ca', '--json'],
      env,
    );
    expect(withCa.code, withCa.stderr).toBe(0);
    expect(jsonLines(withCa.stdout)).toEqual([{ url: a.url, deleted: true }]);
    expect(seen.slice(from).find((q) => q.method === 'DELETE')).toMatchObject({ tag: 'delete-ca' });
    expect(await readdir(store)).not.toContain(uploadIdOf(a.url));

    const b = await uploaded();
    const insecure = await runCli(bundle, ['delete', b.url, '--insecure'], env);
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(await readdir(store)).not.toContain(uploadIdOf(b.url));
  });

  it('--ca that is missing or not a certificate is a usage error (exit 2) for info, server and delete', async () => {
    const { path } = await source(10);
    for (const args of [
      ['info', `${endpoint}/x`],
      ['server', endpoint],
      ['delete', `${endpoint}/x`],
    ]) {
      const missing = await runCli(bundle, [...args, '--ca', join(tmp, 'no-such.pem')], env);
      expect(missing.code, args[0]).toBe(2);
      expect(missing.stderr).toMatch(/Cannot read --ca .*ENOENT/);
      const notPem = await runCli(bundle, [...args, '--ca', path], env);
      expect(notPem.code, args[0]).toBe(2);
      expect(notPem.stderr).toMatch(/holds no PEM certificate/);
    }
  });
});

describe('Test connection in the app (engine API) with a private CA', () => {
  it("uses the profile's CA as its uploads do: trusted with it, a clear TLS error without it, an unreadable CA file said as such", async () => {
    const engine = await createEngine({ stateDir: join(tmp, 'engine-state'), autoStart: false });
    try {
      const base = { name: 'private', endpoint, headers: [], chunkSize: 0, checksum: 'auto' as const, parallelUploads: 1, verifyTls: true, maxConcurrent: 2 };
      const trusted = await engine.api.testConnection({ profile: { ...base, caPath: caFile } });
      expect(trusted).toMatchObject({ reachable: true, isTus: true, version: '1.0.0' });
      const untrusted = await engine.api.testConnection({ profile: base });
      expect(untrusted.error?.message).toMatch(/certificate of 127\.0\.0\.1:\d+ is not trusted/);
      const missing = await engine.api.testConnection({ profile: { ...base, caPath: join(tmp, 'no-such-ca.pem') } });
      expect(missing.reachable).toBe(false);
      expect(missing.error?.message).toMatch(/CA certificate .*no-such-ca\.pem of profile "private" cannot be read/);
    } finally {
      await engine.close();
    }
  });
});

