/**
 * A minimal, fast tus server that counts PATCH bytes and throws them away: the throughput benchmark's reference
 * server. Creation, HEAD, PATCH, DELETE, OPTIONS; optional checksum verification (460 on mismatch). Per chunk it
 * does an addition and, with checksums on, a hash update: nothing else.
 */
import { createHash, type Hash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback';

/** Options of `startDiscardServer`. */
export interface DiscardServerOptions {
  /** `true`: advertise and verify sha1, sha256, sha512 and md5; an algorithm name: only that one. Default off. */
  checksum?: boolean | 'sha1' | 'sha256' | 'sha512' | 'md5';
  /** Creation endpoint path (default `/files`). */
  path?: string;
  /**
   * Verify the digests (default true). `false` advertises the algorithms and accepts any digest without hashing, so a
   * benchmark can measure a client's own checksum cost without the server's.
   */
  verifyChecksum?: boolean;
}

/** A running discard server. */
export interface DiscardServer {
  /** Full creation URL. */
  endpoint: string;
  origin: string;
  port: number;
  /** Body bytes received by PATCH (and creation-with-upload) so far, checksum-rejected ones included. */
  bytesReceived(): number;
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections(): number;
  /** Offset and length of an upload, by id or URL. */
  upload(idOrUrl: string): { offset: number; length: number | undefined } | undefined;
  close(): Promise<void>;
}

interface State {
  offset: number;
  length: number | undefined;
}

const BASE_HEADERS = { 'Tus-Resumable': '1.0.0' };

/** Starts the discard server on 127.0.0.1 with a random port. */
export async function startDiscardServer(opts: DiscardServerOptions = {}): Promise<DiscardServer> {
  const path = (opts.path ?? '/files').replace(/\/+$/, '');
  const algorithms = opts.checksum === true ? ['sha1', 'sha256', 'sha512', 'md5'] : opts.checksum ? [opts.checksum] : [];
  const extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', ...(algorithms.length ? ['checksum'] : [])];
  const uploads = new Map<string, State>();
  let received = 0;
  let nextId = 1;
  let origin = '';

  const fail = (req: IncomingMessage, res: ServerResponse, status: number, message: string): void => {
    req.resume();
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'text/plain' }).end(message);
  };

  /** Counts (and hashes) the body, then calls `done` with the byte count, or not at all if the request broke. */
  const consume = (req: IncomingMessage, hash: Hash | undefined, done: (n: number) => void): void => {
    let n = 0;
    req.on('data', (chunk: Buffer) => {
      n += chunk.length;
      if (hash) hash.update(chunk);
    });
    req.on('end', () => {
      received += n;
      done(n);
    });
    req.on('error', () => {
      received += n;
    });
  };

  const hashFor = (req: IncomingMessage, res: ServerResponse): { hash: Hash | undefined; digest: string } | null => {
    const header = req.headers['upload-checksum'];
    if (typeof header !== 'string' || algorithms.length === 0) return { hash: undefined, digest: '' };
    const space = header.indexOf(' ');
    const algo = header.slice(0, space).toLowerCase();
    if (space < 0 || !algorithms.includes(algo)) {
      fail(req, res, 400, `Unsupported checksum "${header}"; use one of: ${algorithms.join(', ')}`);
      return null;
    }
    if (opts.verifyChecksum === false) return { hash: undefined, digest: '' };
    return { hash: createHash(algo), digest: header.slice(space + 1).trim() };
  };

  const server = createServer((req, res) => {
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...BASE_HEADERS,
        'Tus-Version': '1.0.0',
        'Tus-Extension': extensions.join(','),
        ...(algorithms.length ? { 'Tus-Checksum-Algorithm': algorithms.join(',') } : {}),
      });
      res.end();
      return;
    }
    if (req.headers['tus-resumable'] !== '1.0.0') return fail(req, res, 412, 'Tus-Resumable: 1.0.0 is required');
    const url = req.url ?? '';
    if (method === 'POST' && (url === path || url === path + '/')) {
      const lengthHeader = req.headers['upload-length'];
      const length = typeof lengthHeader === 'string' ? Number(lengthHeader) : undefined;
      if (length === undefined ? req.headers['upload-defer-length'] !== '1' : !Number.isSafeInteger(length) || length < 0) {
        return fail(req, res, 400, 'Upload-Length (a non-negative integer) or Upload-Defer-Length: 1 is required');
      }
      const id = String(nextId++);
      const state: State = { offset: 0, length };
      uploads.set(id, state);
      const headers = { ...BASE_HEADERS, Location: `${origin}${path}/${id}` };
      if (req.headers['content-type'] === 'application/offset+octet-stream') {
        consume(req, undefined, (n) => {
          state.offset += n;
          res.writeHead(201, { ...headers, 'Upload-Offset': String(state.offset) }).end();
        });
      } else {
        req.resume();
        res.writeHead(201, headers).end();
      }
      return;
    }
    if (!url.startsWith(path + '/')) return fail(req, res, 404, 'Not found');
    const state = uploads.get(url.slice(path.length + 1));
    if (!state) return fail(req, res, 404, 'No such upload');
    if (method === 'HEAD') {
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Cache-Control': 'no-store',
        'Upload-Offset': String(state.offset),
        ...(state.length === undefined ? { 'Upload-Defer-Length': '1' } : { 'Upload-Length': String(state.length) }),
      });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      uploads.delete(url.slice(path.length + 1));
      res.writeHead(204, BASE_HEADERS).end();
      return;
    }
    if (method !== 'PATCH') return fail(req, res, 405, `${method} is not allowed`);
    if (req.headers['content-type'] !== 'application/offset+octet-stream') {
      return fail(req, res, 415, 'Content-Type must be application/offset+octet-stream');
    }
    if (Number(req.headers['upload-offset']) !== state.offset) {
      return fail(req, res, 409, `Upload-Offset must be ${state.offset}`);
    }
    const lengthHeader = req.headers['upload-length'];
    if (state.length === undefined && typeof lengthHeader === 'string') state.length = Number(lengthHeader);
    const check = hashFor(req, res);
    if (!check) return;
    consume(req, check.hash, (n) => {
      if (check.hash && check.hash.digest('base64') !== check.digest) {
        res.writeHead(460, { ...BASE_HEADERS, 'Content-Type': 'text/plain' }).end('Checksum mismatch');
        return;
      }
      state.offset += n;
      res.writeHead(204, { ...BASE_HEADERS, 'Upload-Offset': String(state.offset) }).end();
    });
  });
  let connections = 0;
  server.on('connection', () => void connections++);
  const listener = await listenOnLoopback(server);
  origin = listener.origin;
  return {
    endpoint: origin + path,
    origin,
    port: listener.port,
    bytesReceived: () => received,
    connections: () => connections,
    upload(idOrUrl) {
      const id = idOrUrl.replace(/\/+$/, '').split('/').pop() ?? '';
      const s = uploads.get(id);
      return s ? { offset: s.offset, length: s.length } : undefined;
    },
    close: listener.close,
  };
}
