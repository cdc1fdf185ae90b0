import { Agent } from 'undici';
import { errorFromNetwork } from './errors';

/** One HTTP request as the protocol code describes it. */
export interface HttpRequest {
  method: string;
  url: string;
  /** Lower- or mixed-case names; `content-length` must be set for an iterable body. */
  headers: Record<string, string>;
  /** A buffer, or an async iterable streamed as it is pulled (the iterable may reuse its buffer between pulls). */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

/** The answer: status, headers with lower-case names, and the body as text (truncated to a readable size). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The swappable transport (like tus-js-client's HttpStack): the protocol code never touches sockets itself. */
export interface HttpStack {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** Options of the undici-based stack. */
export interface UndiciHttpStackOptions {
  verifyTls?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Socket inactivity timeout in ms (headers and body). */
  timeout?: number;
}

/** Response bodies are kept only for error messages: this much is plenty. */
const MAX_BODY = 64 * 1024;

/** HttpStack on undici with one keep-alive Agent per client, so chunk after chunk reuses the connection. */
export class UndiciHttpStack implements HttpStack {
  private readonly agent: Agent;

  constructor(options: UndiciHttpStackOptions = {}) {
    const timeout = options.timeout ?? 30_000;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: {
        timeout,
        rejectUnauthorized: options.verifyTls ?? true,
        ...(options.ca ? { ca: options.ca } : {}),
      },
    });
  }

  /** Sends a request; network failures become TusErrors (`network`/`timeout`), HTTP statuses are returned. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const u = new URL(req.url);
    try {
      const res = await this.agent.request({
        origin: u.origin,
        path: `${u.pathname}${u.search}`,
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body as Uint8Array | undefined,
        signal: req.signal,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined) continue;
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      }
      let size = 0;
      const parts: Buffer[] = [];
      for await (const part of res.body as AsyncIterable<Buffer>) {
        if (size < MAX_BODY) parts.push(part);
        size += part.length;
      }
      return { status: res.statusCode, headers, body: Buffer.concat(parts).subarray(0, MAX_BODY).toString('utf8') };
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      throw errorFromNetwork(req.method, req.url, err);
    }
  }

  /** Closes idle keep-alive connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
