import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { join } from 'node:path';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { startTusNodeServer, type TusNodeServer } from '../servers/tus-node';
import { startConformanceServer, type ConformanceServer } from '../servers/conformance';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';
import { parseHeader, parseMetadataPair, parseSize, transferOptionsFrom, uploadOptionsFrom, UsageError } from '../../main/cli/parse';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'main', 'cli', 'index.ts');
const BIN = join(ROOT, 'bin', 'tusk.js');
let bundle: string;

let dir: string;
let tusNode: TusNodeServer;
let conf: ConformanceServer;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI. Most cases run the CLI source bundled once with esbuild (node starts in ~0.1 s instead of ~1 s
 * through tsx); `via: 'bin'` runs `bin/tusk.js` exactly as a person would.
 */
function tusk(args: string[], via: 'bundle' | 'bin' = 'bundle', stdin?: { pipe: Buffer } | { file: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = via === 'bin' ? [BIN, ...args] : [bundle, ...args];
    // Standard input: nothing, a pipe fed with bytes (`cat … | tusk`), or a redirected regular file (`tusk … < file`).
    const input = stdin && 'file' in stdin ? openSync(stdin.file, 'r') : stdin ? 'pipe' : 'ignore';
    const p = spawn(process.execPath, argv, { cwd: ROOT, stdio: [input, 'pipe', 'pipe'] });
    if (typeof input === 'number') closeSync(input);
    if (stdin && 'pipe' in stdin) {
      p.stdin!.on('error', () => undefined); // a CLI that exits without reading (a usage error) closes the pipe early
      p.stdin!.end(stdin.pipe);
    }
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = await makeTempDir('tusk-cli-');
  bundle = join(dir, 'tusk.mjs');
  await build({
    entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle,
    logLevel: 'error',
    // CommonJS dependencies (commander) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  tusNode = await startTusNodeServer();
  conf = await startConformanceServer();
});

afterAll(async () => {
  await tusNode?.close();
  await conf?.close();
  await removeDir(dir);
});

describe('parse helpers', () => {
  it('parses sizes', () => {
    expect(parseSize('8MiB')).toBe(8 * 1024 * 1024);
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('1.5 GB')).toBe(1_500_000_000);
    expect(parseSize('512k')).toBe(512_000);
    expect(() => parseSize('8 MiBs')).toThrow(UsageError);
    expect(() => parseSize('-1')).toThrow(/such as 8MiB/);
  });
  it('parses headers and metadata', () => {
    expect(parseHeader('Authorization: Bearer a:b')).toEqual(['Authorization', 'Bearer a:b']);
    expect(() => parseHeader('no colon')).toThrow(/'Name: value'/);
    // A line break would end the header early (header injection): a usage error that does not echo the value.
    for (const bad of ['X-Test: a\r\nX-Injected: b', 'X-Test: a\nb', 'Authorization: Bearer se\0cret']) {
      expect(() => parseHeader(bad)).toThrow(UsageError);
      expect(() => parseHeader(bad)).toThrow(/^Invalid header "(X-Test|Authorization)": its value contains a line break or NUL/);
      expect(() => parseHeader(bad)).not.toThrow(/Injected|cret/);
    }
    expect(parseMetadataPair('k=a=b')).toEqual(['k', 'a=b']);
    expect(() => parseMetadataPair('bad key=v')).toThrow(/without spaces/);
  });
  it('maps flags to client options', () => {
    const o = transferOptionsFrom(
      { chunkSize: '1MiB', checksum: 'sha1', retries: '5', retryDelay: '0.5', timeout: '10', insecure: true, header: ['X-A: 1'], stateDir: dir },
      'http://h/files',
    );
    expect(o).toMatchObject({ endpoint: 'http://h/files', chunkSize: 1048576, checksum: 'sha1', maxRetries: 5, retryDelay: 500, timeout: 10_000, verifyTls: false, headers: { 'X-A': '1' }, storeUrl: true });
    expect(() => transferOptionsFrom({ checksum: 'crc32' }, 'http://h/')).toThrow(/one of none, auto/);
    expect(uploadOptionsFrom({ metadata: ['a=1'], stopAt: '1KiB', parallel: '2' })).toEqual({ metadata: { a: '1' }, stopAt: 1024, parallelUploads: 2 });
  });
});

describe('tusk CLI', () => {
  it('upload --json prints one object per file and the bytes are stored', async () => {
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b file.txt');
    const sa = await writeRandomFile(a, 300_000, 1);
    const sb = await writeRandomFile(b, 1000, 2);
    const r = await tusk(['upload', a, b, '--endpoint', tusNode.endpoint, '--chunk-size', '100KiB', '--metadata', 'k=v', '--json']);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ file: a, bytes: 300_000, resultUrl: null });
    expect(await tusNode.sha256(lines[0].url as string)).toBe(sa);
    expect(await tusNode.sha256(lines[1].url as string)).toBe(sb);
  });

  it('upload without --json prints the URL only on stdout', async () => {
    const a = join(dir, 'plain.bin');
    const sha = await writeRandomFile(a, 5000, 3);
    const r = await tusk(['upload', a, '--endpoint', tusNode.endpoint], 'bin');
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    expect(url.startsWith(tusNode.endpoint)).toBe(true);
    expect(await tusNode.sha256(url)).toBe(sha);
  });

  it('usage errors exit 2: missing endpoint, bad size, unknown flag, bad endpoint', async () => {
    const cases = [
      ['upload', 'x'],
      ['upload', 'x', '--endpoint', tusNode.endpoint, '--chunk-size', 'lots'],
      ['upload', 'x', '--endpoint', tusNode.endpoint, '--bogus'],
      ['upload', 'x', '--endpoint', 'not a url'],
    ];
    for (const args of cases) {
      const r = await tusk(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });

  it('a failed upload exits 1 with a JSON error line', async () => {
    const r = await tusk(['upload', join(dir, 'missing.bin'), '--endpoint', tusNode.endpoint, '--json']);
    expect(r.code).toBe(1);
    const [line] = jsonLines(r.stdout);
    expect(line).toMatchObject({ file: join(dir, 'missing.bin'), error: { code: 'source-missing' } });
    expect(r.stderr).toMatch(/File not found/);
  });

  it('--stop-at then resume --url completes the upload', async () => {
    const a = join(dir, 'resume.bin');
    const sha = await writeRandomFile(a, 400_000, 4);
    const r1 = await tusk(['upload', a, '--endpoint', tusNode.endpoint, '--chunk-size', '100000', '--stop-at', '150000', '--json']);
    expect(r1.code).toBe(0);
    const [first] = jsonLines(r1.stdout);
    expect(first.complete).toBe(false);
    const r2 = await tusk(['resume', a, '--url', first.url as string, '--json']);
    expect(r2.code).toBe(0);
    const [second] = jsonLines(r2.stdout);
    expect(second).toMatchObject({ url: first.url, bytes: 400_000, complete: true });
    expect(await tusNode.sha256(first.url as string)).toBe(sha);
  });

  it('upload - reads standard input: a pipe with deferred length, a redirected file with its size; resume - skips what the server has', async () => {
    const a = join(dir, 'piped.bin');
    const sha = await writeRandomFile(a, 450_000, 14);
    const bytes = await readFile(a);
    const base = ['--endpoint', tusNode.endpoint, '--chunk-size', '100000', '--json'];
    const state = join(dir, 'state-stdin');
    const r1 = await tusk(['upload', '-', ...base, '--metadata', 'filename=backup.bin', '--stop-at', '150000', '--state-dir', state], 'bundle', { pipe: bytes });
    expect(r1.code, r1.stderr).toBe(0);
    const [first] = jsonLines(r1.stdout);
    expect(first).toMatchObject({ file: '-', bytes: 150_000, complete: false });
    // A stream has no fingerprint: --state-dir stores nothing for it (a later `upload -` could not know it is the same data).
    expect(await readFile(join(state, 'urls.json'), 'utf8').catch(() => '{}')).not.toContain(first.url as string);
    const info = await tusk(['info', first.url as string, '--json']);
    // A pipe has no size: the upload was created with deferred length, named as --metadata said.
    expect(jsonLines(info.stdout)[0]).toMatchObject({ offset: 150_000, length: null, metadata: { filename: 'backup.bin', filetype: 'application/octet-stream' } });
    const r2 = await tusk(['resume', '-', '--url', first.url as string, '--json'], 'bundle', { pipe: bytes });
    expect(r2.code, r2.stderr).toBe(0);
    expect(jsonLines(r2.stdout)[0]).toMatchObject({ file: '-', url: first.url, bytes: 450_000, complete: true });
    expect(await tusNode.sha256(first.url as string)).toBe(sha);

    const r3 = await tusk(['upload', '-', ...base, '--stop-at', '1'], 'bundle', { file: a });
    expect(r3.code, r3.stderr).toBe(0);
    const redirected = jsonLines((await tusk(['info', jsonLines(r3.stdout)[0]!.url as string, '--json'])).stdout)[0];
    // A redirected file's size is known at creation; the name is "stdin" unless --metadata gives one.
    expect(redirected).toMatchObject({ length: 450_000, metadata: { filename: 'stdin' } });
  });

  it('"-" is refused where standard input cannot work: twice, through the queue, in parallel parts', async () => {
    const folder = await makeTempDir('tusk-cli-folder-');
    try {
      for (const args of [
        ['upload', '-', '-'],
        ['upload', '-', '--concurrency', '2'],
        ['upload', '-', folder],
        ['upload', '-', '--parallel', '2'],
      ]) {
        const r = await tusk([...args, '--endpoint', tusNode.endpoint], 'bundle', { pipe: Buffer.from('x') });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(/standard input/);
      }
    } finally {
      await removeDir(folder);
    }
  });

  it('--verbose traces every request and answer on stderr, without secret header values; stdout stays the result', async () => {
    const a = join(dir, 'traced.bin');
    const sha = await writeRandomFile(a, 250_000, 15);
    const secret = 'Bearer s3cret-token';
    const r = await tusk(['upload', a, '--endpoint', tusNode.endpoint, '--chunk-size', '100000', '--header', `Authorization: ${secret}`, '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(await tusNode.sha256(r.stdout.trim())).toBe(sha);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^tusk: > OPTIONS http:\/\/127\.0\.0\.1:\d+\/files/);
    // Creation carries the first chunk (creation-with-upload), then two PATCHes, each answered with the new offset.
    expect(r.stderr).toMatch(/> POST \S+ .*Upload-Length: 250000 .*Content-Length: 100000/);
    expect(r.stderr).toMatch(/< 201 POST \S+ \(\d+ ms\) .*Location: http.*Upload-Offset: 100000/i);
    expect(lines.filter((l) => /> PATCH .*Upload-Offset: (100000|200000)\b/.test(l))).toHaveLength(2);
    // Answers list only what matters to tus: no header names of theirs beyond that.
    expect(lines.filter((l) => l.includes('< ')).every((l) => !l.includes('values not shown'))).toBe(true);
    expect(r.stderr).toMatch(/< 204 PATCH \S+ \(\d+ ms\) .*Upload-Offset: 250000/i);
    expect(r.stderr).toMatch(/\(\+ [^)]*Authorization[^)]*: values not shown\)/);
    expect(r.stderr).not.toContain('s3cret');
    // The one-request commands take it too; the queue refuses it (exit 2) rather than ignoring it.
    const server = await tusk(['server', tusNode.endpoint, '--verbose']);
    expect(server.stderr).toMatch(/< (200|204) OPTIONS .*Tus-Version: 1\.0\.0/i);
    expect((await tusk(['upload', a, '--endpoint', tusNode.endpoint, '--concurrency', '2', '-v'])).code).toBe(2);
  });

  it("--header @file sends the file's header lines (tokens stay out of the shell history and ps); an unreadable file is a usage error", async () => {
    const a = join(dir, 'with-token.bin');
    const sha = await writeRandomFile(a, 30_000, 16);
    const headers = join(dir, 'headers.txt');
    await writeFile(headers, '# the upload token\nAuthorization: Bearer t0k3n-from-file\r\n\nX-Tenant: blue\n', { mode: 0o600 });
    const before = conf.requests.length;
    const r = await tusk(['upload', a, '--endpoint', conf.endpoint, '--header', `@${headers}`, '--header', 'X-Trace: 7', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await conf.sha256(jsonLines(r.stdout)[0]!.url as string)).toBe(sha);
    const sent = conf.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    for (const q of sent) expect([q.headers['authorization'], q.headers['x-tenant'], q.headers['x-trace']]).toEqual(['Bearer t0k3n-from-file', 'blue', '7']);
    const missing = await tusk(['server', conf.endpoint, '--header', `@${join(dir, 'no-such-headers.txt')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read --header @.*no-such-headers\.txt \(ENOENT\)/);
  });

  it('--state-dir resumes a previous interrupted upload of the same file automatically', async () => {
    const a = join(dir, 'state.bin');
    const sha = await writeRandomFile(a, 400_000, 5);
    const state = join(dir, 'state');
    const base = ['upload', a, '--endpoint', tusNode.endpoint, '--chunk-size', '100000', '--state-dir', state, '--json'];
    const r1 = await tusk([...base, '--stop-at', '200000']);
    const [first] = jsonLines(r1.stdout);
    expect(Object.values(JSON.parse(await readFile(join(state, 'urls.json'), 'utf8')) as Record<string, string>)).toContain(first.url);
    const r2 = await tusk(base);
    expect(r2.code).toBe(0);
    const [second] = jsonLines(r2.stdout);
    expect(second.url).toBe(first.url);
    expect(r2.stderr).toMatch(/resuming at byte 200000/);
    expect(await tusNode.sha256(second.url as string)).toBe(sha);
  });

  it('an unusable --state-dir: one that cannot be read stops before anything is sent (exit 1, says why); one that cannot be written lets the upload finish and says the URL was not saved', async () => {
    const file = join(dir, 'state-broken.bin');
    const sha = await writeRandomFile(file, 150_000, 8);
    const notADir = join(dir, 'a-file');
    await writeFile(notADir, 'x');
    const before = (await tusNode.uploadIds()).length;
    const r1 = await tusk(['upload', file, '--endpoint', tusNode.endpoint, '--state-dir', join(notADir, 'state')]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`Cannot read the stored upload URLs in ${join(notADir, 'state', 'urls.json')}`);
    expect(r1.stderr).toMatch(/ENOTDIR/);
    expect(r1.stderr).not.toMatch(/bug in Tusk/);
    expect(await tusNode.uploadIds()).toHaveLength(before); // nothing was created
    // /proc/self can be read (no urls.json: ENOENT) but no file can be created there, not even by root: a real
    // unwritable state dir, as a full disk or a read-only mount would be.
    if (process.platform !== 'linux') return console.log('skipped the unwritable part: /proc/self is Linux only');
    const r2 = await tusk(['upload', file, '--endpoint', tusNode.endpoint, '--state-dir', '/proc/self', '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    const [line] = jsonLines(r2.stdout);
    expect(await tusNode.sha256(line.url as string)).toBe(sha);
    expect(r2.stderr).toContain('the upload goes on, but its URL was not saved for resuming: Cannot save upload URLs in /proc/self/urls.json');
    expect(r2.stderr).toContain(`tusk resume ${file} --url ${line.url as string}`);
    expect(r2.stderr).not.toMatch(/run the same `tusk upload` again/); // it would not find the upload
  });

  it('info, server and delete', async () => {
    const a = join(dir, 'info.txt');
    await writeRandomFile(a, 2000, 6);
    const up = jsonLines((await tusk(['upload', a, '--endpoint', conf.endpoint, '--json'])).stdout)[0];
    const info = await tusk(['info', up.url as string, '--json']);
    expect(info.code).toBe(0);
    expect(jsonLines(info.stdout)[0]).toMatchObject({ offset: 2000, length: 2000, complete: true, metadata: { filename: 'info.txt', filetype: 'text/plain' } });
    expect(typeof jsonLines(info.stdout)[0].expires === 'string' || jsonLines(info.stdout)[0].expires === null).toBe(true);
    const server = await tusk(['server', conf.endpoint, '--json']);
    expect(server.code).toBe(0);
    expect(jsonLines(server.stdout)[0]).toMatchObject({ version: '1.0.0', checksumAlgorithms: expect.arrayContaining(['sha256']) });
    const human = await tusk(['server', conf.endpoint]);
    expect(human.stdout).toMatch(/extensions: .*concatenation/);
    const del = await tusk(['delete', up.url as string, '--endpoint', conf.endpoint]);
    expect(del.code).toBe(0);
    const gone = await tusk(['info', up.url as string, '--json']);
    expect(gone.code).toBe(1);
    expect(jsonLines(gone.stdout)[0]).toMatchObject({ error: { code: 'not-found' } });
  });

  it('server on something that is not tus exits 1 and says so', async () => {
    const html: Server = createServer((_q, s) => s.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    try {
      const r = await tusk(['server', `http://127.0.0.1:${(html.address() as AddressInfo).port}/`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/not a tus server/);
    } finally {
      await new Promise((r) => html.close(r));
    }
  });
});
