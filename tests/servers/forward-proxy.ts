/**
 * A forward HTTP proxy for tests, as a corporate proxy behaves: absolute-form requests for http:// targets are
 * forwarded, CONNECT opens a tunnel for https:// targets, and with `login` set both need a matching
 * `Proxy-Authorization` (407 otherwise). Host names are resolved through `hosts` first, so a test can use a name that
 * is not loopback (clients never proxy loopback) and still reach its server on 127.0.0.1.
 */
import { request, createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback';

/** Options of `startForwardProxy`. */
export interface ForwardProxyOptions {
  /** Name → address, consulted before DNS (e.g. `{ 'tus.test': '127.0.0.1' }`). */
  hosts?: Record<string, string>;
  /** Required `user:password` (Basic); none by default. */
  login?: string;
}

/** A running proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests forwarded (http targets) and tunnels opened (CONNECT), and 407 answers. */
  stats: { forwarded: number; tunnels: number; refusedLogins: number };
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 with a random port. */
export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const stats = { forwarded: 0, tunnels: 0, refusedLogins: 0 };
  const expected = opts.login ? `Basic ${Buffer.from(opts.login).toString('base64')}` : undefined;
  const allowed = (req: IncomingMessage): boolean => {
    if (!expected || req.headers['proxy-authorization'] === expected) return true;
    stats.refusedLogins++;
    return false;
  };
  const resolve = (host: string): string => opts.hosts?.[host] ?? host;

  const server = createServer((req, res) => {
    if (!allowed(req)) {
      req.resume();
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' }).end('login required');
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    stats.forwarded++;
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request(
      { host: resolve(target.hostname), port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end('upstream failed'));
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => undefined);
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), resolve(host), () => {
      stats.tunnels++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    client.on('close', () => upstream.destroy());
  });

  const listener = await listenOnLoopback(server);
  return { url: listener.origin, stats, close: () => listener.close() };
}
