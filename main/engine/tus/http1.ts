/**
 * Tusk's default HttpStack: a small HTTP/1.1 client on node:net / node:tls with keep-alive connections.
 *
 * Why not undici (which `UndiciHttpStack` still wraps, and `TUSK_HTTP_STACK=undici` selects): a tus upload is a long
 * run of one-at-a-time requests with tiny answers, so per-request cost decides the speed at 1 MiB chunks and for small
 * files. On loopback here, undici's request path cost ≈100–200 µs more per request than writing the request to a
 * socket and parsing the answer directly (bench:throughput and bench/tmp-exp floors: 1 MiB PATCHes 1.3–1.5× faster).
 * The protocol surface a tus client needs is small (no redirects, cookies, proxies or request pipelining), and
 * tests/engine/http-stack.test.ts runs the same contract over both stacks.
 *
 * One request per connection at a time; idle connections are kept per origin for `keepAliveTimeout` (or the server's
 * `Keep-Alive: timeout` hint less a second) and unref'd, so they never keep a process alive.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TusError, errorFromNetwork } from './errors';
import type { HttpRequest, HttpResponse, HttpStack, UndiciHttpStackOptions } from './http';
import { MAX_RESPONSE_BODY, caWithBundledRoots, tlsError } from './http';
import { ResponseParser, ResponseSyntaxError } from './http1-parser';

/** How long an idle connection is kept without a hint from the server (undici's default too). */
const DEFAULT_KEEP_ALIVE_MS = 4_000;
/** Upper bound for a server's keep-alive hint. */
const MAX_KEEP_ALIVE_MS = 30_000;
/** Parsed URLs kept for reuse: an upload sends hundreds of requests to one URL. */
const TARGET_CACHE = 256;

/** Where a URL's requests go, parsed once. */
interface Target {
  key: string;
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  path: string;
}

/** A connection and when it was last handed back. */
interface Conn {
  socket: Socket;
  key: string;
  idleTimer?: NodeJS.Timeout;
  /** Listeners that drop the connection from the pool when the server closes it while idle. */
  onIdleGone?: () => void;
}

/** The connection broke before any byte of an answer: on a reused connection this means the server had closed it. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: unknown) {
    super('The connection was closed before the server answered');
  }
}

export class Http1Stack implements HttpStack {
  private readonly idle = new Map<string, Conn[]>();
  private readonly targets = new Map<string, Target>();
  private readonly timeout: number;
  private readonly tlsOptions: { rejectUnauthorized: boolean; ca?: Array<string | Buffer> };
  private closed = false;

  constructor(options: UndiciHttpStackOptions = {}) {
    this.timeout = options.timeout ?? 30_000;
    const ca = caWithBundledRoots(options.ca);
    this.tlsOptions = { rejectUnauthorized: options.verifyTls ?? true, ...(ca ? { ca } : {}) };
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const signal = req.signal;
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const target = this.target(req.url);
    const { head, length } = requestHead(req, target);
    try {
      // A pooled connection the server closed meanwhile fails before any answer: then once more on a new one,
      // when the body can be sent again (a buffer, or an iterable not yet pulled).
      const pooled = this.takeIdle(target.key);
      if (pooled) {
        const pulled = { any: false };
        try {
          return await this.exchange(pooled, req, head, length, pulled);
        } catch (err) {
          if (!(err instanceof StaleConnectionError) || pulled.any || signal?.aborted) throw err;
        }
      }
      const conn = await this.connect(target, signal);
      return await this.exchange(conn, req, head, length, { any: false });
    } catch (raw) {
      if (signal?.aborted) throw signal.reason ?? raw;
      const err = raw instanceof StaleConnectionError ? raw.cause : raw;
      if (err instanceof TusError) throw err;
      if (err instanceof ResponseSyntaxError)
        throw new TusError('network', `The server's answer is not valid HTTP/1.1: ${err.message}.`, {
          method: req.method,
          url: req.url,
          cause: err,
          retryable: true,
          hint: 'Check that the URL points to an HTTP(S) tus server (the right port and scheme).',
        });
      throw tlsError(req.method, req.url, err) ?? errorFromNetwork(req.method, req.url, err);
    }
  }

  /** Closes the idle connections; connections busy now are closed when their request ends. */
  async close(): Promise<void> {
    this.closed = true;
    for (const list of this.idle.values()) for (const c of list) this.drop(c);
    this.idle.clear();
  }

  private target(url: string): Target {
    let t = this.targets.get(url);
    if (t) return t;
    let u: URL;
    try {
      u = new URL(url);
    } catch (cause) {
      throw new TusError('invalid-argument', `Not a valid URL: ${JSON.stringify(url)}.`, { cause, hint: 'Give a full http:// or https:// URL.' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new TusError('invalid-argument', `Unsupported URL scheme ${u.protocol} in ${url}.`, { hint: 'Use an http:// or https:// URL.' });
    const secure = u.protocol === 'https:';
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const port = u.port ? Number(u.port) : secure ? 443 : 80;
    t = { key: `${u.protocol}//${u.host}`, secure, host, port, hostHeader: u.host, path: `${u.pathname}${u.search}` };
    if (this.targets.size >= TARGET_CACHE) this.targets.clear();
    this.targets.set(url, t);
    return t;
  }

  private takeIdle(key: string): Conn | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop()!;
      clearTimeout(c.idleTimer);
      if (c.onIdleGone) {
        c.socket.off('end', c.onIdleGone).off('close', c.onIdleGone).off('error', c.onIdleGone).off('data', c.onIdleGone);
        c.onIdleGone = undefined;
      }
      if (!c.socket.destroyed && c.socket.readable && c.socket.writable) {
        c.socket.ref();
        return c;
      }
      c.socket.destroy();
    }
    return undefined;
  }

  private release(c: Conn, hintMs: number | undefined): void {
    const keepMs = hintMs === undefined ? DEFAULT_KEEP_ALIVE_MS : Math.min(MAX_KEEP_ALIVE_MS, hintMs - 1000);
    if (this.closed || keepMs <= 0) return this.drop(c);
    const list = this.idle.get(c.key) ?? [];
    this.idle.set(c.key, list);
    const gone = (): void => {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      this.drop(c);
    };
    c.onIdleGone = gone;
    // Data while idle is a broken server; end/close/error: the server hung up. Either way the connection goes.
    c.socket.on('end', gone).on('close', gone).on('error', gone).on('data', gone);
    c.idleTimer = setTimeout(gone, keepMs);
    c.idleTimer.unref();
    c.socket.unref();
    list.push(c);
  }

  private drop(c: Conn): void {
    clearTimeout(c.idleTimer);
    c.socket.destroy();
  }

  private connect(t: Target, signal: AbortSignal | undefined): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket: Socket = t.secure
        ? tlsConnect({
            host: t.host,
            port: t.port,
            ...(isIP(t.host) ? {} : { servername: t.host }),
            ALPNProtocols: ['http/1.1'],
            ...this.tlsOptions,
          })
        : netConnect({ host: t.host, port: t.port });
      const ready = t.secure ? 'secureConnect' : 'connect';
      const cleanup = (): void => {
        socket.off(ready, onReady).off('error', onError).off('timeout', onTimeout);
        signal?.removeEventListener('abort', onAbort);
      };
      const onReady = (): void => {
        cleanup();
        socket.setTimeout(0);
        socket.setNoDelay(true);
        // Errors are taken from write callbacks and each request's own listener; between requests (and in the short
        // wait after an early answer) this keeps an error event from becoming an uncaught exception.
        socket.on('error', () => undefined);
        socket.setKeepAlive(true, 30_000);
        resolve({ socket, key: t.key });
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onTimeout = (): void =>
        onError(
          new TusError('timeout', `Could not connect to ${t.hostHeader} within ${this.timeout} ms.`, {
            retryable: true,
            hint: 'Check the network or raise the timeout.',
          }),
        );
      const onAbort = (): void => onError(signal?.reason ?? new Error('aborted'));
      socket.once(ready, onReady).once('error', onError).once('timeout', onTimeout);
      socket.setTimeout(this.timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Sends one request on `c` and reads its answer. The answer is read while the body is still going out: a server may
   * answer early (413, 460, 409) without reading the body. Then the request ends with that answer at once, and the
   * connection is closed instead of reused unless the body turns out to have been complete (an answer that merely
   * overtook the last write's callback).
   */
  private exchange(c: Conn, req: HttpRequest, head: string, length: number, pulled: { any: boolean }): Promise<HttpResponse> {
    const { socket } = c;
    const parser = new ResponseParser(req.method === 'HEAD', MAX_RESPONSE_BODY);
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      /** Undefined while the body is going out; then whether all of it went. */
      let bodyDone: boolean | undefined;
      let afterBody: (() => void) | undefined;
      const detach = (): void => {
        socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError).off('timeout', onTimeout);
        socket.setTimeout(0);
        req.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        detach();
        socket.destroy();
        reject(err);
      };
      const answered = (): void => {
        if (settled) return;
        settled = true;
        detach();
        resolve({ status: parser.status, headers: parser.headers, body: parser.bodyText() });
        const settle = (): void => {
          // Reused only when the whole request went out and nothing of it is still queued behind the answer.
          if (parser.keepAlive && bodyDone === true && socket.writableLength === 0) this.release(c, parser.keepAliveHintMs);
          else this.drop(c);
        };
        if (bodyDone !== undefined) return settle();
        // The body is still going out: wait briefly for it to finish (the usual case: the answer overtook the last
        // write's callback); a server that answered without reading would leave it stuck, so give up after a second.
        const grace = setTimeout(() => this.drop(c), 1000);
        grace.unref();
        afterBody = () => {
          clearTimeout(grace);
          if (!socket.destroyed) settle();
        };
      };
      const broken = (cause: unknown): unknown => (parser.started ? cause : new StaleConnectionError(cause));
      const onData = (chunk: Buffer): void => {
        try {
          if (parser.push(chunk)) answered();
        } catch (err) {
          fail(err);
        }
      };
      const onEnd = (): void => {
        if (parser.end()) answered();
        else fail(broken(closedError(parser.started)));
      };
      const onError = (err: Error): void => fail(broken(err));
      const onTimeout = (): void =>
        fail(
          new TusError('timeout', `The server did not answer within ${this.timeout} ms.`, {
            method: req.method,
            url: req.url,
            retryable: true,
            hint: 'Check the network or raise the timeout.',
          }),
        );
      const onAbort = (): void => fail(req.signal?.reason ?? new Error('aborted'));
      socket.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError).on('timeout', onTimeout);
      socket.setTimeout(this.timeout);
      req.signal?.addEventListener('abort', onAbort, { once: true });

      const body = req.body;
      if (body === undefined || body instanceof Uint8Array) {
        socket.cork();
        socket.write(head, 'latin1');
        if (body !== undefined && body.length > 0) socket.write(body);
        socket.uncork();
        bodyDone = true;
        return;
      }
      socket.write(head, 'latin1');
      let sent = 0;
      const pump = async (): Promise<void> => {
        const it = body[Symbol.asyncIterator]();
        for (;;) {
          if (settled) {
            // Answered before the body ended: stop pulling (the iterable's finally blocks run).
            await it.return?.();
            bodyDone = false;
            return;
          }
          const next = await it.next();
          if (next.done) break;
          pulled.any = true;
          if (settled) continue;
          sent += next.value.length;
          // More bytes than announced would be read by the server as the start of the next request.
          if (sent > length) {
            await it.return?.();
            throw lengthMismatch(length, sent, 'had at least');
          }
          // Waits until the piece is handed to the kernel: the iterable may refill its buffer on the next pull.
          const written = await new Promise<unknown>((ok) => socket.write(next.value, ok));
          if (written) {
            fail(broken(written));
            await it.return?.();
            return;
          }
        }
        // Fewer bytes than announced: the server would wait for the rest until a timeout.
        if (sent !== length && !settled) throw lengthMismatch(length, sent, 'has');
        bodyDone = true;
      };
      pump().then(
        () => afterBody?.(),
        (err: unknown) => {
          // The body itself failed (the file changed, the rate limiter was aborted): that error, as it is.
          bodyDone = false;
          fail(err);
          afterBody?.();
        },
      );
    });
  }
}

/** The request line and headers. Header names and values with CR/LF are refused (they would forge requests). */
function requestHead(req: HttpRequest, t: Target): { head: string; length: number } {
  let head = `${req.method} ${t.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let length = -1;
  for (const name in req.headers) {
    const value = req.headers[name]!;
    if (/[\r\n:]/.test(name) || /[\r\n]/.test(value) || name === '')
      throw new TusError('invalid-argument', `Invalid HTTP header ${JSON.stringify(name)}: ${JSON.stringify(value)}.`, {
        hint: 'Header names and values must not contain line breaks (and names no colon).',
      });
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    else if (lower === 'content-length') {
      length = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(length))
        throw new TusError('invalid-argument', `Invalid content-length ${JSON.stringify(value)}.`, { hint: 'This is a bug in Tusk.' });
    }
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${t.hostHeader}\r\n`;
  const body = req.body;
  if (length < 0) {
    if (body instanceof Uint8Array) head += `content-length: ${(length = body.length)}\r\n`;
    else if (body !== undefined)
      throw new TusError('invalid-argument', 'A streamed request body needs a content-length header.', { hint: 'This is a bug in Tusk.' });
    else if (req.method === 'POST' || req.method === 'PATCH' || req.method === 'PUT') head += `content-length: ${(length = 0)}\r\n`;
  } else if (body instanceof Uint8Array && body.length !== length) throw lengthMismatch(length, body.length, 'has');
  return { head: `${head}\r\n`, length: Math.max(0, length) };
}

/** A body that is not as long as its content-length said: sending it would break the framing of the connection. */
function lengthMismatch(declared: number, actual: number, verb: 'has' | 'had at least'): TusError {
  return new TusError('invalid-argument', `The request body ${verb} ${actual} bytes but its content-length says ${declared}.`, {
    hint: 'This is a bug in Tusk (the source gave a different number of bytes than announced); please report it.',
  });
}

function closedError(started: boolean): Error {
  const err = new Error(started ? 'the connection closed in the middle of the answer' : 'the connection closed before the server answered');
  (err as NodeJS.ErrnoException).code = 'ECONNRESET';
  return err;
}
