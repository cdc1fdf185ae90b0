import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { TusError, errorFromNetwork } from './errors';

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

/** Response bodies are kept only for error messages: this much is plenty (both stacks). */
export const MAX_RESPONSE_BODY = 64 * 1024;

/**
 * The `ca` TLS option for extra trusted CAs. Node's `ca` replaces the bundled roots; they are kept, so "extra CA" does
 * not break public servers. Undefined when no CA is added (the bundled roots apply).
 */
export function caWithBundledRoots(ca: UndiciHttpStackOptions['ca']): Array<string | Buffer> | undefined {
  return ca === undefined ? undefined : [...rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}

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
        ...(options.ca ? { ca: caWithBundledRoots(options.ca) } : {}),
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
        if (size < MAX_RESPONSE_BODY) parts.push(part);
        size += part.length;
      }
      return { status: res.statusCode, headers, body: Buffer.concat(parts).subarray(0, MAX_RESPONSE_BODY).toString('utf8') };
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      throw tlsError(req.method, req.url, err) ?? errorFromNetwork(req.method, req.url, err);
    }
  }

  /** Closes idle keep-alive connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** OpenSSL/Node codes meaning "the chain does not lead to a CA we trust". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const WHAT_TO_DO =
  'If the server uses a private CA, trust it with the ca option (tusk --ca <ca.pem>); only for a server you trust, turn verification off for it (verifyTls: false, tusk --insecure).';

/**
 * Certificate failures get a message that names the problem and the two ways out; they are not retryable (waiting
 * does not make a certificate trusted). Other failures return undefined and go through `errorFromNetwork`.
 */
export function tlsError(method: string, url: string, cause: unknown): TusError | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const msg = cause instanceof Error ? cause.message : String(cause);
  const host = URL.canParse(url) ? new URL(url).host : url;
  let text: string;
  if (UNTRUSTED.has(code)) text = `The TLS certificate of ${host} is not trusted: ${msg} (${code}).`;
  else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    text = `The TLS certificate of ${host} is not valid for this host name: ${msg}. Check the host in the URL.`;
  else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    text = `The TLS certificate of ${host} is not valid now (${code}): ${msg}. Check the server's certificate and this computer's clock.`;
  else return undefined;
  return new TusError('network', text, { method, url, cause, retryable: false, hint: WHAT_TO_DO });
}
