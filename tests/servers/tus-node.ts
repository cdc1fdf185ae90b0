/**
 * The maintained Node reference server (`@tus/server` + `@tus/file-store`), in-process on 127.0.0.1 with a random
 * port. It supports creation, creation-with-upload, creation-defer-length, termination and expiration; not checksum
 * or concatenation (use the conformance server for those).
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { makeTempDir, removeDir, sha256File } from '../helpers/files';

/** Options of `startTusNodeServer`. */
export interface TusNodeServerOptions {
  /** Route of the creation endpoint (default `/files`). */
  path?: string;
  /** `Tus-Max-Size` in bytes. */
  maxSize?: number;
  /** Answer creation with a relative `Location` (`/files/<id>`). */
  relativeLocation?: boolean;
  /** Enables the expiration extension: uploads expire this many ms after creation. */
  expirationMs?: number;
  /** Storage directory. When given it is kept on close, so a new server on the same dir acts as a restart. */
  dir?: string;
  /** Honour `Forwarded` / `X-Forwarded-*` when building `Location` (default true: lets the fault proxy sit in front). */
  respectForwardedHeaders?: boolean;
  /** Listen on this port instead of a random one (for a restart on the same port). */
  port?: number;
}

/** A running `@tus/server`. */
export interface TusNodeServer {
  /** Full creation URL, e.g. `http://127.0.0.1:43123/files`. */
  endpoint: string;
  origin: string;
  dir: string;
  port: number;
  /** Where the server stores the bytes of `uploadUrl` (absolute or relative URL, or a bare id). */
  storedPath(uploadUrl: string): string;
  /** sha256 (hex) of the bytes stored for `uploadUrl`. */
  sha256(uploadUrl: string): Promise<string>;
  /** Ids of every upload in the storage dir. */
  uploadIds(): Promise<string[]>;
  /** The underlying tus server (for events such as `POST_FINISH`). */
  tus: Server;
  close(): Promise<void>;
}

/** Last path segment of an upload URL (or the id itself). */
export function uploadIdOf(uploadUrl: string): string {
  const clean = uploadUrl.split(/[?#]/, 1)[0] ?? uploadUrl;
  const seg = clean.replace(/\/+$/, '').split('/').pop() ?? '';
  if (!seg) throw new Error(`Cannot find an upload id in "${uploadUrl}": expected a URL ending in /<id>.`);
  return decodeURIComponent(seg);
}

/** Starts `@tus/server` with a FileStore on 127.0.0.1 (random port unless `port` is given). */
export async function startTusNodeServer(opts: TusNodeServerOptions = {}): Promise<TusNodeServer> {
  const path = opts.path ?? '/files';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await makeTempDir('tusk-tusnode-'));
  const datastore = new FileStore({
    directory: dir,
    ...(opts.expirationMs !== undefined ? { expirationPeriodInMilliseconds: opts.expirationMs } : {}),
  });
  const tus = new Server({
    path,
    datastore,
    ...(opts.maxSize !== undefined ? { maxSize: opts.maxSize } : {}),
    relativeLocation: opts.relativeLocation ?? false,
    respectForwardedHeaders: opts.respectForwardedHeaders ?? true,
  });
  const http: HttpServer = createServer((req, res) => {
    tus.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  // Keep-alive sockets would make close() wait; tests want a prompt close.
  http.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const storedPath = (uploadUrl: string): string => join(dir, uploadIdOf(uploadUrl));
  let closed = false;
  return {
    endpoint: origin + path,
    origin,
    dir,
    port,
    tus,
    storedPath,
    sha256: (uploadUrl) => sha256File(storedPath(uploadUrl)),
    async uploadIds() {
      const names = await readdir(dir);
      return names.filter((n) => !n.endsWith('.json') && names.includes(`${n}.json`)).sort();
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      if (ownDir) await removeDir(dir);
    },
  };
}
