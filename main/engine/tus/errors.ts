import { parseRetryAfter } from './retry';
import type { TusErrorCode } from './types';

/** How much of a server's response body is kept in an error (enough to read, not enough to flood a log). */
const MAX_SERVER_MESSAGE = 500;

/** Fields of a TusError besides its code and message. */
export interface TusErrorDetails {
  method?: string;
  url?: string;
  status?: number;
  serverMessage?: string;
  hint?: string;
  retryable?: boolean;
  /** How long the server asked to wait before trying again (its `Retry-After`), in ms. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** The one error type of the engine (like tus-js-client's DetailedError): says what happened and what to do. */
export class TusError extends Error {
  readonly code: TusErrorCode;
  readonly method?: string;
  readonly url?: string;
  readonly status?: number;
  /** The server's response body (truncated), when it said something. */
  readonly serverMessage?: string;
  /** A sentence a person can act on. */
  readonly hint?: string;
  /** Whether retrying later may succeed (network, timeout, 423, 5xx). */
  readonly retryable: boolean;
  /** The server's `Retry-After` in ms (on a 429 or 5xx that carried one): the retry waits at least this long. */
  readonly retryAfterMs?: number;
  override readonly cause?: unknown;

  constructor(code: TusErrorCode, message: string, details: TusErrorDetails = {}) {
    const serverMessage = details.serverMessage ? truncate(details.serverMessage.trim()) : undefined;
    const parts = [message];
    if (details.method && details.url) parts.push(`(${details.method} ${details.url}${details.status ? ` → ${details.status}` : ''})`);
    if (serverMessage) parts.push(`Server said: "${serverMessage}".`);
    if (details.hint) parts.push(details.hint);
    super(parts.join(' '));
    this.name = 'TusError';
    this.code = code;
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.serverMessage = serverMessage || undefined;
    this.hint = details.hint;
    this.retryable = details.retryable ?? false;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    this.cause = details.cause;
  }
}

/** 42 s, 3 min 5 s: a wait as a person reads it. */
function formatWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_SERVER_MESSAGE ? `${oneLine.slice(0, MAX_SERVER_MESSAGE)}…` : oneLine;
}

/** True when `err` is a TusError (also across module copies, by duck typing on the name and code). */
export function isTusError(err: unknown): err is TusError {
  return err instanceof TusError || (err instanceof Error && err.name === 'TusError' && 'code' in err);
}

/** The parts of a response an error is built from. */
export interface ResponseLike {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Builds the error for an unexpected HTTP status, with a hint that fits the status. */
export function errorFromStatus(method: string, url: string, res: ResponseLike, what: string): TusError {
  const { status, body } = res;
  const d = { method, url, status, serverMessage: body };
  // Retry-After only means "come back later" on a refusal that may pass (429, 5xx); on anything else it is ignored.
  const retryAfterMs = status === 429 || status >= 500 ? parseRetryAfter(res.headers?.['retry-after']) : undefined;
  const wait = retryAfterMs === undefined ? '' : ` It asked to wait ${formatWait(retryAfterMs)}.`;
  const location = status >= 300 && status < 400 ? res.headers?.['location'] : undefined;
  if (location) {
    let target = location;
    try {
      target = new URL(location, url).href;
    } catch {
      // shown as the server sent it
    }
    return new TusError('http', `${what}: the server redirects (${status}) to ${target}.`, {
      ...d,
      hint:
        'Tusk does not follow redirects: a request body would have to be sent twice, and an upload URL that moves ' +
        'is not one a resume can rely on. If that address is the tus server (http:// moved to https://, a missing ' +
        'slash), use it as the endpoint.',
    });
  }
  if (status === 404 || status === 410)
    return new TusError('not-found', `${what}: the upload or endpoint does not exist (${status}).`, {
      ...d,
      hint: 'Check the URL; an expired or deleted upload has to be started again.',
    });
  if (status === 401 || status === 403)
    return new TusError('forbidden', `${what}: the server refused access (${status}).`, {
      ...d,
      hint: 'Check the credentials or authorization headers (for example --header "Authorization: Bearer …").',
    });
  if (status === 407)
    return new TusError('forbidden', `${what}: the proxy asks for a login (407).`, {
      ...d,
      hint: 'Put the login in the proxy URL: http://user:password@host:port (HTTPS_PROXY, HTTP_PROXY or --proxy).',
    });
  if (status === 409)
    return new TusError('conflict', `${what}: the server's offset differs from the client's (409).`, d);
  if (status === 412)
    return new TusError('version', `${what}: the server does not support tus protocol version 1.0.0 (412).`, {
      ...d,
      hint: 'Use a server that speaks tus 1.0.0, or check that the endpoint is the tus endpoint.',
    });
  if (status === 413)
    return new TusError('too-large', `${what}: the upload is larger than the server accepts (413).`, {
      ...d,
      hint: 'Upload a smaller file or raise the server\'s maximum size.',
    });
  if (status === 423)
    return new TusError('locked', `${what}: the upload is locked by another request (423).`, {
      ...d,
      retryable: true,
      hint: 'Another client may be uploading to it; wait and retry.',
    });
  if (status === 460)
    return new TusError('checksum-mismatch', `${what}: the server's checksum of the chunk did not match (460).`, {
      ...d,
      hint: 'The data was corrupted in transit; retry, and check proxies between you and the server.',
    });
  if (status === 429)
    return new TusError('rate-limited', `${what}: the server asks to slow down (429 Too Many Requests).${wait}`, {
      ...d,
      retryable: true,
      retryAfterMs,
      hint: 'Tusk waits as long as the server asks (Retry-After) before trying again; fewer uploads at once also helps.',
    });
  if (status === 507)
    return new TusError('server', `${what}: the server is out of storage (507).${wait}`, {
      ...d,
      retryable: true,
      retryAfterMs,
      hint: 'The server has no room for more bytes; Tusk retries later, but its operator has to free space.',
    });
  if (status >= 500)
    return new TusError('server', `${what}: the server failed (${status}).${wait}`, {
      ...d,
      retryable: true,
      retryAfterMs,
      hint: 'The server had a problem; retry later or ask its operator.',
    });
  let hint = 'The server answered in a way tus does not expect; check the endpoint and headers.';
  if (status === 400 || status === 406 || status === 415)
    hint = 'The server rejected the request; some servers require filename and filetype metadata or specific headers.';
  else if (status === 431)
    hint =
      "The request's headers are larger than the server takes: long file names or folder paths in the metadata, or large custom headers. Shorten them, or ask the server's operator to raise its header limit.";
  return new TusError('http', `${what}: unexpected HTTP status ${status}.`, { ...d, hint });
}

/** Wraps a low-level failure (socket error, DNS, TLS) into a TusError with a hint. */
export function errorFromNetwork(method: string, url: string, cause: unknown): TusError {
  if (isTusError(cause)) return cause;
  const code = (cause as { code?: string } | undefined)?.code ?? '';
  const msg = cause instanceof Error ? cause.message : String(cause);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new TusError('timeout', `The server did not answer in time (${msg}).`, {
      method,
      url,
      cause,
      retryable: true,
      hint: 'Check the network or raise the timeout.',
    });
  if (code === 'ECONNREFUSED')
    return new TusError('network', `Could not connect: connection refused.`, {
      method,
      url,
      cause,
      retryable: true,
      hint: 'Check that the server is running and that host and port in the URL are right.',
    });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new TusError('network', `Could not resolve the host name.`, {
      method,
      url,
      cause,
      retryable: true,
      hint: 'Check the host name in the URL and your network connection.',
    });
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code) || /certificate/i.test(msg))
    return new TusError('network', `TLS failed: ${msg}.`, {
      method,
      url,
      cause,
      retryable: false,
      hint: 'Trust the server\'s CA (ca option) or, for a server you trust, turn off certificate verification (--insecure).',
    });
  return new TusError('network', `Network error: ${msg}${code ? ` (${code})` : ''}.`, {
    method,
    url,
    cause,
    retryable: true,
    hint: 'Check the network connection; the upload can be resumed.',
  });
}

/** The error an aborted operation rejects with. */
export function abortedError(url?: string): TusError {
  return new TusError('aborted', 'The upload was cancelled.', {
    url,
    hint: 'It stays resumable on the server; start it again to continue.',
  });
}
