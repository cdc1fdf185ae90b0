/**
 * A scriptable HTTP/1.1 server on raw TCP (`net.createServer` on 127.0.0.1:0) for contract tests of HTTP stacks:
 * each test sets the per-connection handler and writes exact bytes, delays and closes, which `node:http` cannot
 * do (broken framing, 1xx responses, early answers, lying Content-Length). Connections are counted so keep-alive
 * behaviour can be checked from the server's side.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request head as the server received it. */
export interface RawRequest {
  method: string;
  /** The request target verbatim (path and query, not decoded). */
  target: string;
  version: string;
  /** Header name/value pairs in arrival order, names as sent. */
  rawHeaders: Array<[string, string]>;
  /** Lower-case name → value (repeated headers joined with `, `). */
  headers: Record<string, string>;
}

/** What `readBody` consumed. */
export interface RawBody {
  length: number;
  sha256: string;
  /** The bytes themselves, kept only up to `keep` bytes. */
  head: Buffer;
}

/** Buffered data above this pauses the socket, so a slow handler gives the client real TCP backpressure. */
const HIGH_WATER = 1024 * 1024;

/** One accepted connection with a pull-based reader over its bytes. */
export class RawConnection {
  /** 1 for the first connection the server accepted, 2 for the next… */
  readonly index: number;
  readonly socket: Socket;
  /** Resolves when the socket is fully closed (either side). */
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  /** True while the handler wants the socket left unread (`stopReading`). */
  private frozen = false;

  constructor(socket: Socket, index: number) {
    this.socket = socket;
    this.index = index;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      if (this.buffered > HIGH_WATER) socket.pause();
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    // A client that resets the connection is an expected event in these tests, not a crash.
    socket.on('error', () => undefined);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Next piece of received data, or null at EOF. */
  private async next(): Promise<Buffer | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) {
        this.buffered -= c.length;
        if (this.buffered <= HIGH_WATER && !this.frozen) this.socket.resume();
        return c;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.unshift(b);
    this.buffered += b.length;
  }

  /** Reads one request head; undefined when the client closed the connection before sending one. */
  async readHead(): Promise<RawRequest | undefined> {
    let acc: Buffer = Buffer.alloc(0);
    for (;;) {
      const end = acc.indexOf('\r\n\r\n');
      if (end >= 0) {
        this.unshift(acc.subarray(end + 4));
        return parseHead(acc.subarray(0, end).toString('latin1'));
      }
      const c = await this.next();
      if (!c) {
        if (acc.length === 0) return undefined;
        throw new Error(`raw-http: connection closed inside a request head: ${JSON.stringify(acc.toString('latin1'))}`);
      }
      acc = acc.length ? Buffer.concat([acc, c]) : c;
    }
  }

  /** Reads exactly `length` body bytes (hashing them); `keep` of them are returned. Rejects on early EOF. */
  async readBody(length: number, keep = 64 * 1024): Promise<RawBody> {
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let keptLen = 0;
    let got = 0;
    while (got < length) {
      const c = await this.next();
      if (!c) throw new Error(`raw-http: connection closed after ${got} of ${length} body bytes`);
      const take = Math.min(c.length, length - got);
      const part = c.subarray(0, take);
      hash.update(part);
      if (keptLen < keep) {
        kept.push(part.subarray(0, keep - keptLen));
        keptLen += Math.min(part.length, keep - keptLen);
      }
      got += take;
      this.unshift(c.subarray(take));
    }
    return { length: got, sha256: hash.digest('hex'), head: Buffer.concat(kept) };
  }

  /** Reads a request head and its Content-Length body (the stacks under test always send one). */
  async readRequest(): Promise<{ req: RawRequest; body: RawBody } | undefined> {
    const req = await this.readHead();
    if (!req) return undefined;
    if (req.headers['transfer-encoding']) throw new Error('raw-http: chunked request bodies are not supported here');
    const body = await this.readBody(Number(req.headers['content-length'] ?? 0));
    return { req, body };
  }

  /** Leaves everything the client sends unread from now on (the kernel buffers fill and the client blocks). */
  stopReading(): void {
    this.frozen = true;
    this.socket.pause();
  }

  /** Writes bytes and resolves once they are handed to the kernel. */
  async write(data: string | Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => this.socket.write(data, () => resolve()));
  }

  /** Writes `data` one byte at a time, `gapMs` apart, with Nagle off so each byte is its own segment. */
  async writeSlowly(data: string, gapMs: number): Promise<void> {
    this.socket.setNoDelay(true);
    for (const b of Buffer.from(data, 'latin1')) {
      await this.write(Buffer.from([b]));
      await sleep(gapMs);
    }
  }

  /** A complete response with Content-Length (omitted for `noBody` statuses: pass the header yourself if wanted). */
  async respond(status: number, headers: Record<string, string | string[]> = {}, body = ''): Promise<void> {
    const all: Record<string, string | string[]> = { 'content-length': String(Buffer.byteLength(body)), ...headers };
    await this.write(head(status, all) + body);
  }

  /** Sends FIN (the client may still send). */
  end(): void {
    this.socket.end();
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** A status line and headers (array values become repeated headers), ending with the empty line. */
export function head(status: number, headers: Record<string, string | string[]> = {}, version = 'HTTP/1.1'): string {
  const lines = [`${version} ${status} ${REASONS[status] ?? 'Whatever'}`];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  413: 'Content Too Large',
  460: 'Checksum Mismatch',
};

function parseHead(text: string): RawRequest {
  const [line, ...rest] = text.split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(line ?? '');
  if (!m) throw new Error(`raw-http: bad request line ${JSON.stringify(line)}`);
  const rawHeaders: Array<[string, string]> = [];
  const headers: Record<string, string> = {};
  for (const l of rest) {
    const i = l.indexOf(':');
    if (i <= 0) throw new Error(`raw-http: bad header line ${JSON.stringify(l)}`);
    const name = l.slice(0, i);
    const value = l.slice(i + 1).trim();
    rawHeaders.push([name, value]);
    const k = name.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
  }
  return { method: m[1] as string, target: m[2] as string, version: m[3] as string, rawHeaders, headers };
}

/** The handler a test installs: it owns the connection (read, answer, close) until it returns. */
export type RawHandler = (conn: RawConnection) => Promise<void>;

/** A running raw server. */
export interface RawServer {
  port: number;
  origin: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Every connection accepted so far, in order. */
  readonly accepted: RawConnection[];
  /** Replaces the handler for connections accepted from now on; resets nothing else. */
  handle(handler: RawHandler): void;
  /** Forgets counted connections (and destroys open ones) between tests sharing a server. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a raw server. Errors thrown by a handler destroy that connection and are kept in `errors` for the test to
 * check (an `expect` in a handler would otherwise vanish).
 */
export async function startRawServer(handler: RawHandler = serveEcho): Promise<RawServer & { errors: Error[] }> {
  let current = handler;
  const accepted: RawConnection[] = [];
  const errors: Error[] = [];
  let count = 0;
  const server: Server = createServer((socket) => {
    const conn = new RawConnection(socket, ++count);
    accepted.push(conn);
    current(conn).catch((err: unknown) => {
      errors.push(err instanceof Error ? err : new Error(String(err)));
      socket.destroy();
    });
  });
  const listener = await listenOnLoopback(server);
  return {
    port: listener.port,
    origin: listener.origin,
    errors,
    get connections() {
      return accepted.length;
    },
    accepted,
    handle(h) {
      current = h;
    },
    reset() {
      listener.dropConnections();
      accepted.length = 0;
      errors.length = 0;
    },
    close: listener.close,
  };
}

/**
 * A well-behaved keep-alive server: answers each request with 200 and a JSON echo (method, target, headers, body
 * length and sha256), until the client closes.
 */
export async function serveEcho(conn: RawConnection): Promise<void> {
  for (;;) {
    const r = await conn.readRequest();
    if (!r) return;
    const echo = JSON.stringify({
      method: r.req.method,
      target: r.req.target,
      headers: r.req.headers,
      length: r.body.length,
      sha256: r.body.sha256,
      conn: conn.index,
    });
    await conn.respond(200, { 'content-type': 'application/json' }, r.req.method === 'HEAD' ? '' : echo);
  }
}
