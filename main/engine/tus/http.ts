import { rootCertificates } from 'node:tls';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
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
  /** A forward proxy URL (see `proxyFor`); requests go through it (CONNECT tunnels for https endpoints). */
  proxy?: string;
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
  private readonly agent: Dispatcher;
  private readonly proxy: string | undefined;

  constructor(options: UndiciHttpStackOptions = {}) {
    const timeout = options.timeout ?? 30_000;
    const tls = {
      timeout,
      rejectUnauthorized: options.verifyTls ?? true,
      ...(options.ca ? { ca: caWithBundledRoots(options.ca) } : {}),
    };
    const pool = { keepAliveTimeout: 30_000, headersTimeout: timeout, bodyTimeout: timeout };
    this.proxy = options.proxy;
    // Through a proxy the server's TLS options apply inside the tunnel (requestTls); the proxy's own certificate is
    // checked against the same trust (proxyTls), the extra CA included. http:// endpoints are sent to the proxy as
    // absolute-form requests, as curl does, not tunnelled: proxies commonly allow CONNECT to port 443 only.
    this.agent = options.proxy
      ? new ProxyAgent({ uri: options.proxy, ...pool, requestTls: tls, proxyTls: tls, proxyTunnel: false })
      : new Agent({ ...pool, connect: tls });
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
      const tls = tlsError(req.method, req.url, err);
      if (tls) throw tls;
      const e = errorFromNetwork(req.method, req.url, err);
      throw this.proxy ? throughProxy(e, this.proxy, err) : e;
    }
  }

  /** Closes idle keep-alive connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * A network failure through a proxy names the proxy: a refused connection or an unknown host is then the proxy's, and
 * a proxy that refuses (407 for a login, 403…) says so instead of a bare undici message.
 */
function throughProxy(e: TusError, proxy: string, cause: unknown): TusError {
  const where = new URL(proxy).host;
  const msg = cause instanceof Error ? cause.message : String(cause);
  // undici words a refused tunnel "Proxy response (N) !== 200", a refused forwarded request "Proxy Authentication Required (407)".
  const tunnel = /Proxy response \((\d+)\)/.exec(msg) ?? /Proxy Authentication Required \((407)\)/.exec(msg);
  if (tunnel?.[1] === '407')
    return new TusError('forbidden', `The proxy ${where} asks for a login (407).`, {
      method: e.method,
      url: e.url,
      cause,
      hint: 'Put the login in the proxy URL: http://user:password@host:port (HTTPS_PROXY, HTTP_PROXY or --proxy).',
    });
  if (tunnel)
    return new TusError('network', `The proxy ${where} refused to connect to the server (${tunnel[1]}).`, {
      method: e.method,
      url: e.url,
      cause,
      retryable: Number(tunnel[1]) >= 500,
      hint: 'Check that the proxy allows this server, or set NO_PROXY for it.',
    });
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new TusError(e.code, `Could not get through the proxy ${where}: ${msg}${typeof code === 'string' ? ` (${code})` : ''}.`, {
    method: e.method,
    url: e.url,
    cause,
    retryable: e.retryable,
    hint: 'Check that the proxy is running and the proxy setting (HTTPS_PROXY, HTTP_PROXY, NO_PROXY or --proxy).',
  });
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
