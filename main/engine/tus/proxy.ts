/**
 * Which forward proxy, if any, a client uses for its endpoint. Behind a corporate proxy nothing else reaches the
 * server, so the engine honours the conventional variables (`HTTPS_PROXY` for https endpoints, `HTTP_PROXY` for http
 * ones, lower-case names first, `NO_PROXY` exceptions) unless the client is given `proxy` explicitly. Loopback
 * endpoints never go through a proxy: the app's embedded test server and local development servers live there, and a
 * proxy on another host could not reach them anyway.
 */
import { TusError } from './errors';

/** Environment variables the proxy choice reads (`process.env` by default). */
export type ProxyEnv = Record<string, string | undefined>;

/**
 * The proxy URL for `endpoint`, or undefined for a direct connection. `explicit`: a URL uses that proxy (NO_PROXY
 * does not apply to an explicit choice), `false` never uses one, undefined reads `env`. Throws a clear error for a
 * proxy URL that cannot be used.
 */
export function proxyFor(endpoint: string, explicit: string | false | undefined, env: ProxyEnv = process.env): string | undefined {
  if (explicit === false) return undefined;
  const target = new URL(endpoint);
  if (isLoopback(target.hostname)) return undefined;
  let raw: string;
  let source: string;
  if (explicit !== undefined) {
    raw = explicit;
    source = 'the proxy option';
  } else {
    const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
    const name = names.find((n) => env[n]?.trim());
    if (!name) return undefined;
    if (bypassed(target, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
    raw = env[name]!.trim();
    source = name;
  }
  return parseProxyUrl(raw, source);
}

/** A proxy URL as undici takes it (a bare `host:port` means http://); `source` names where it came from in errors. */
export function parseProxyUrl(raw: string, source: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TusError('invalid-argument', `The proxy from ${source} is not a URL: ${JSON.stringify(raw)}.`, {
      hint: 'Give it as http://host:port (or https://, user:password@ before the host for a proxy that asks for a login).',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TusError('invalid-argument', `The proxy from ${source} uses ${url.protocol.slice(0, -1)}, which Tusk does not support.`, {
      hint: 'Use an HTTP or HTTPS proxy (http://host:port).',
    });
  return url.href;
}

/** NO_PROXY: `*`, or comma/space-separated hosts, each matching itself and its subdomains (`.example.com`,
 * `*.example.com` and `example.com` alike), optionally with `:port`. */
export function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const entry of noProxy.split(/[\s,]+/)) {
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase())!;
    const pattern = m[1]!.replace(/^\*?\.?/, '').replace(/^\[|\]$/g, '');
    if (m[2] && m[2] !== port) continue;
    if (pattern && (host === pattern || host.endsWith(`.${pattern}`))) return true;
  }
  return false;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
