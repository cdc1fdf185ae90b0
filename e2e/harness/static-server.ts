/**
 * Builds the production renderer (once per test process) and serves `dist/renderer` on 127.0.0.1 with a random
 * port, so the page runs under its real CSP with `'self'` = this origin.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where the production renderer is built. */
export const rendererDist = join(repoRoot, 'dist', 'renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

let built = false;

/** Runs `vite build --config renderer/vite.config.ts` once per process (set TUSK_E2E_SKIP_BUILD=1 to reuse dist). */
export function buildRenderer(): void {
  if (built || process.env.TUSK_E2E_SKIP_BUILD === '1') return;
  const vite = join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`The renderer build failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

/** A running static server. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` (default: the renderer build) on 127.0.0.1:0. */
export async function serveStatic(root = rendererDist): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const rel = normalize(pathname === '/' ? '/index.html' : pathname);
      const file = join(root, rel);
      if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const s = await stat(file);
        if (!s.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
        createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not found: ${pathname}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
