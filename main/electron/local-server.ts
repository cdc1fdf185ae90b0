/**
 * The embedded "Local test server": @tus/server + @tus/file-store in-process on 127.0.0.1 (random free port), files
 * under the app's data directory. No Electron import: the caller passes the directory.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

/** Options of `startLocalServer`. */
export interface LocalServerOptions {
  /** The app's data directory; uploads go to `<dataDir>/local-server/uploads`. */
  dataDir: string;
  /**
   * The port to try first (the previous run's, so upload URLs the queue saved stay valid); when it is taken, a free
   * one is picked. 0 or undefined picks a free port.
   */
  port?: number;
  /** Unfinished uploads older than this are removed (default 7 days). */
  expirationMs?: number;
}

/** A running embedded server. */
export interface LocalServer {
  /** The tus endpoint, e.g. `http://127.0.0.1:41234/files/`. */
  endpoint: string;
  port: number;
  /** Where uploaded files are stored. */
  directory: string;
  close(): Promise<void>;
}

const PATH = '/files';

/**
 * Starts the server. Requests whose Host is not this loopback address are refused (a web page using DNS rebinding
 * cannot reach it), and no CORS origin is allowed (browsers cannot drive it either).
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const directory = join(options.dataDir, 'local-server', 'uploads');
  await mkdir(directory, { recursive: true });
  const tus = new Server({
    path: PATH,
    datastore: new FileStore({
      directory,
      expirationPeriodInMilliseconds: options.expirationMs ?? 7 * 24 * 3600 * 1000,
    }),
    allowedOrigins: () => false,
    relativeLocation: false,
  });
  let allowedHosts: Set<string> = new Set();
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Tusk local server: this host is not allowed.\n');
      return;
    }
    tus.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`Tusk local server error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  // Uploads may be large and slow: no request timeout, but do not keep idle sockets forever.
  http.requestTimeout = 0;
  http.keepAliveTimeout = 30_000;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(options.port ?? 0);
  } catch (error) {
    if (!options.port || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await listen(0);
  }
  const port = (http.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const expiryTimer = setInterval(() => {
    tus.cleanUpExpiredUploads().catch(() => undefined);
  }, 3600_000);
  expiryTimer.unref();
  return {
    endpoint: `http://127.0.0.1:${port}${PATH}/`,
    port,
    directory,
    close: async () => {
      clearInterval(expiryTimer);
      http.closeIdleConnections();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Running uploads are resumable: do not wait for them to end.
        http.closeAllConnections();
      });
    },
  };
}
