/**
 * Forward proxies: which one a client picks (explicit option, HTTPS_PROXY/HTTP_PROXY, NO_PROXY, never for loopback),
 * and real uploads through a real proxy (tests/servers/forward-proxy.ts): http targets forwarded, https targets
 * tunnelled with CONNECT and verified end to end, a proxy login, a proxy that is down.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TusClient, type TusClientOptions } from '../../main/engine/tus';
import { bypassed, proxyFor } from '../../main/engine/tus/proxy';
import { startForwardProxy, type ForwardProxy } from '../servers/forward-proxy';
import { startTusNodeServer, uploadIdOf, type TusNodeServer } from '../servers/tus-node';
import { makeCertificates } from '../helpers/certs';
import { failure } from '../helpers/errors';
import { makeTempDir, removeDir, sha256File, writeRandomFile } from '../helpers/files';
import { bundleCli, jsonLines, runCli } from '../cli/run';

/** A name that is not loopback (clients never proxy loopback); the proxy maps it to 127.0.0.1. */
const HOST = 'tus.test';

let dir: string;
let file: { path: string; sha: string };
let tusNode: TusNodeServer;
let proxy: ForwardProxy;
let httpsServer: HttpsServer;
let httpsStore: string;
let httpsEndpoint: string;
let caPem: string;

beforeAll(async () => {
  dir = await makeTempDir('tusk-proxy-');
  file = { path: join(dir, 'f.bin'), sha: '' };
  file.sha = await writeRandomFile(file.path, 3_000_000, 31);
  tusNode = await startTusNodeServer();
  proxy = await startForwardProxy({ hosts: { [HOST]: '127.0.0.1' } });
  const certs = join(dir, 'certs');
  await mkdir(certs);
  const paths = await makeCertificates(certs, `DNS:${HOST}`);
  caPem = await readFile(paths.ca, 'utf8');
  httpsStore = join(dir, 'https-store');
  await mkdir(httpsStore);
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: httpsStore }), relativeLocation: true });
  httpsServer = createHttpsServer({ key: await readFile(paths.key), cert: await readFile(paths.cert) }, (req, res) => {
    tus.handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  httpsEndpoint = `https://${HOST}:${(httpsServer.address() as AddressInfo).port}/files`;
});

afterAll(async () => {
  await proxy?.close();
  await tusNode?.close();
  if (httpsServer) {
    httpsServer.closeAllConnections();
    await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
  }
  await removeDir(dir);
});

async function upload(opts: TusClientOptions) {
  const client = new TusClient({ retryDelay: 5, maxRetries: 0, chunkSize: 1024 * 1024, ...opts });
  try {
    return await client.uploadFile({ path: file.path });
  } finally {
    await client.close();
  }
}

describe('choosing a proxy', () => {
  const env = { HTTPS_PROXY: 'http://secure.proxy:3128', HTTP_PROXY: 'plain.proxy:8080' };

  it('HTTPS_PROXY for https endpoints, HTTP_PROXY (a bare host:port is http://) for http ones; lower-case names first', () => {
    expect(proxyFor('https://up.example/files', undefined, env)).toBe('http://secure.proxy:3128/');
    expect(proxyFor('http://up.example/files', undefined, env)).toBe('http://plain.proxy:8080/');
    expect(proxyFor('https://up.example/files', undefined, { ...env, https_proxy: 'http://lower:1' })).toBe('http://lower:1/');
    expect(proxyFor('https://up.example/files', undefined, {})).toBeUndefined();
  });

  it('never for loopback endpoints; the explicit option wins over the environment, false turns proxies off', () => {
    for (const local of ['http://127.0.0.1:1080/files', 'http://localhost/files', 'https://[::1]:8443/files', 'http://app.localhost/files'])
      expect(proxyFor(local, 'http://p:1', env)).toBeUndefined();
    expect(proxyFor('https://up.example/files', 'http://mine:9', env)).toBe('http://mine:9/');
    expect(proxyFor('https://up.example/files', false, env)).toBeUndefined();
  });

  it('NO_PROXY: *, exact hosts, subdomains (.x, *.x, x), ports', () => {
    const t = (url: string, rule: string): boolean => bypassed(new URL(url), rule);
    expect(t('https://up.example/', '*')).toBe(true);
    expect(t('https://up.example/', 'other.org, up.example')).toBe(true);
    expect(t('https://a.b.example/', '.example')).toBe(true);
    expect(t('https://a.example/', '*.example')).toBe(true);
    expect(t('https://a.example/', 'example')).toBe(true);
    expect(t('https://notexample/', 'example')).toBe(false);
    expect(t('https://up.example:8443/', 'up.example:8443')).toBe(true);
    expect(t('https://up.example/', 'up.example:8443')).toBe(false);
    expect(t('https://up.example/', 'up.example:443')).toBe(true);
    expect(proxyFor('https://up.example/files', undefined, { ...env, NO_PROXY: 'example' })).toBeUndefined();
  });

  it('a proxy that is not a usable URL is a clear error before any request', () => {
    expect(() => proxyFor('https://up.example/', 'http://[bad', {})).toThrow(/proxy option is not a URL.*http:\/\/host:port/);
    expect(() => proxyFor('https://up.example/', undefined, { HTTPS_PROXY: 'ftp://p:21' })).toThrow(/HTTPS_PROXY uses ftp, which Tusk does not support/);
  });
});

describe('uploading through a proxy', () => {
  it('an http endpoint: every request is forwarded by the proxy, and the server stores exactly the file', async () => {
    const before = proxy.stats.forwarded;
    const r = await upload({ endpoint: `http://${HOST}:${tusNode.port}/files`, proxy: proxy.url });
    // OPTIONS, POST, three PATCHes at least.
    expect(proxy.stats.forwarded - before).toBeGreaterThanOrEqual(4);
    expect(await tusNode.sha256(r.url)).toBe(file.sha);
  });

  it('an https endpoint: tunnelled with CONNECT, the server certificate still verified against the CA', async () => {
    const before = proxy.stats.tunnels;
    const r = await upload({ endpoint: httpsEndpoint, proxy: proxy.url, ca: caPem });
    expect(proxy.stats.tunnels - before).toBeGreaterThanOrEqual(1);
    expect(await sha256File(join(httpsStore, uploadIdOf(r.url)))).toBe(file.sha);
    const untrusted = await failure(upload({ endpoint: httpsEndpoint, proxy: proxy.url }));
    expect(untrusted.message).toMatch(/certificate of tus\.test.* is not trusted/);
    expect(untrusted.retryable).toBe(false);
  });

  it('HTTPS_PROXY from the environment is used when no proxy option is given', async () => {
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = proxy.url;
    try {
      const before = proxy.stats.tunnels;
      const r = await upload({ endpoint: httpsEndpoint, ca: caPem });
      expect(proxy.stats.tunnels - before).toBeGreaterThanOrEqual(1);
      expect(await sha256File(join(httpsStore, uploadIdOf(r.url)))).toBe(file.sha);
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
  });

  it('a proxy that wants a login: 407 says so (http and https); the login in the URL gets through', async () => {
    const guarded = await startForwardProxy({ hosts: { [HOST]: '127.0.0.1' }, login: 'ann:s3cret' });
    try {
      const viaHttp = await failure(upload({ endpoint: `http://${HOST}:${tusNode.port}/files`, proxy: guarded.url }));
      expect(viaHttp.code).toBe('forbidden');
      expect(viaHttp.message).toMatch(/The proxy 127\.0\.0\.1:\d+ asks for a login \(407\).*user:password@host:port/);
      const viaTunnel = await failure(upload({ endpoint: httpsEndpoint, proxy: guarded.url, ca: caPem }));
      expect(viaTunnel.code).toBe('forbidden');
      expect(viaTunnel.message).toMatch(/The proxy 127\.0\.0\.1:\d+ asks for a login \(407\)/);
      const withLogin = guarded.url.replace('http://', 'http://ann:s3cret@');
      const r = await upload({ endpoint: `http://${HOST}:${tusNode.port}/files`, proxy: withLogin });
      expect(await tusNode.sha256(r.url)).toBe(file.sha);
      expect(guarded.stats.refusedLogins).toBe(2);
    } finally {
      await guarded.close();
    }
  });

  it('a proxy that is down: a network error that names the proxy and what to check', async () => {
    const gone = await startForwardProxy();
    const url = gone.url;
    await gone.close();
    const err = await failure(upload({ endpoint: httpsEndpoint, proxy: url, ca: caPem }));
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/Could not get through the proxy 127\.0\.0\.1:\d+: .*ECONNREFUSED.*HTTPS_PROXY, HTTP_PROXY, NO_PROXY or --proxy/);
  });
});

describe('tusk --proxy', () => {
  let bundle: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    bundle = await bundleCli(dir);
    env = { XDG_STATE_HOME: join(dir, 'xdg') };
  });

  it('uploads through the proxy, single file and through the queue (a folder run), byte-exact', async () => {
    const endpoint = `http://${HOST}:${tusNode.port}/files`;
    for (const extra of [[], ['--concurrency', '1', '--state-dir', join(dir, 'cli-queue')]]) {
      const before = proxy.stats.forwarded;
      const r = await runCli(bundle, ['upload', file.path, '--endpoint', endpoint, '--proxy', proxy.url, ...extra, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const url = String(jsonLines(r.stdout)[0]?.url);
      expect(await tusNode.sha256(url)).toBe(file.sha);
      expect(proxy.stats.forwarded - before).toBeGreaterThanOrEqual(2); // OPTIONS, then the whole file (creation-with-upload or POST + PATCH)
    }
  });

  it('takes HTTP_PROXY from the environment; --proxy none goes direct; a proxy it cannot use is a usage error (exit 2)', async () => {
    const endpoint = `http://${HOST}:${tusNode.port}/files`;
    const viaEnv = await runCli(bundle, ['server', endpoint, '--json'], { ...env, HTTP_PROXY: proxy.url });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(jsonLines(viaEnv.stdout)[0]).toMatchObject({ version: '1.0.0' });
    // tus.test exists only in the proxy's table: going direct has to fail to resolve it.
    const direct = await runCli(bundle, ['server', endpoint, '--proxy', 'none'], { ...env, HTTP_PROXY: proxy.url });
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/Could not resolve the host name/);
    const bad = await runCli(bundle, ['upload', file.path, '--endpoint', endpoint, '--proxy', 'ftp://p:21'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--proxy uses ftp, which Tusk does not support/);
  });
});
