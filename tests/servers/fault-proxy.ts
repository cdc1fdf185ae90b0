/**
 * An HTTP proxy for tests that sits between a tus client and any server and injects faults: connection resets
 * mid-body, error statuses (5xx, 423…), stalls, slow trickles, a fake offset drift (409) and refused connections.
 * Everything else is forwarded unchanged, and `Location` headers pointing at the target are rewritten to the proxy.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback';

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** Only requests with this method (case-insensitive). */
  method?: string;
  /** Start at the nth matching request (1-based; default 1 = the next one). */
  nth?: number;
  /** How many matching requests get the fault (default 1; `Infinity` until `clearFaults`). */
  times?: number;
}

/** One kind of fault. */
export type FaultKind =
  /**
   * Forward the headers and the first `afterBytes` of the body, then destroy both sockets. When the body is not
   * longer than `afterBytes`, all of it is forwarded and the client's socket is destroyed instead of relaying the
   * response (the server did the work, the client never hears of it).
   */
  | { kind: 'reset'; afterBytes: number }
  /** Answer with this status (and body) without forwarding anything. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Read nothing and answer nothing for `ms`, then forward normally if the client is still there. */
  | { kind: 'stall'; ms: number }
  /** Forward the request body at this rate. */
  | { kind: 'trickle'; bytesPerSecond: number }
  /** Answer a PATCH with 409 as if the server's offset had moved (other methods are not affected). */
  | { kind: 'offset-drift' }
  /** Destroy the socket at once, as a server that is down or a firewall would. */
  | { kind: 'down' };

/** A fault and the requests it applies to. */
export type Fault = FaultKind & { match?: FaultMatch };

/** One request that went through the proxy. */
export interface ProxyLogEntry {
  method: string;
  url: string;
  /** The fault applied, if any. */
  fault?: FaultKind['kind'];
  /** Status relayed or injected; 0 when the connection was cut. */
  status: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  origin: string;
  port: number;
  /** The same URL with the target's origin replaced by the proxy's. */
  endpointFor(targetEndpoint: string): string;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Live counters. */
  stats: { requests: number; faultsInjected: number };
  log: ProxyLogEntry[];
  close(): Promise<void>;
}

/** Options of `startFaultProxy`. */
export interface FaultProxyOptions {
  /** The origin to forward to, e.g. `http://127.0.0.1:43123`. */
  target: string;
}

interface ActiveFault {
  fault: Fault;
  seen: number;
  applied: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a fault-injecting proxy on 127.0.0.1 with a random port. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(opts.target);
  if (target.protocol !== 'http:') throw new Error(`startFaultProxy: target must be an http:// origin, got "${opts.target}"`);
  const targetOrigin = target.origin;
  const targetHostPort = target.host;
  const agent = new Agent({ keepAlive: true });
  const faults: ActiveFault[] = [];
  const stats = { requests: 0, faultsInjected: 0 };
  const log: ProxyLogEntry[] = [];
  let origin = '';
  let proxyHostPort = '';

  const rewriteLocation = (value: string): string => {
    if (value.startsWith(targetOrigin)) return origin + value.slice(targetOrigin.length);
    if (value.startsWith(`//${targetHostPort}`)) return `//${proxyHostPort}` + value.slice(2 + targetHostPort.length);
    return value;
  };

  const pickFault = (req: IncomingMessage): Fault | undefined => {
    for (const f of faults) {
      const m = f.fault.match ?? {};
      if (m.method && m.method.toUpperCase() !== (req.method ?? '').toUpperCase()) continue;
      if (f.fault.kind === 'offset-drift' && req.method !== 'PATCH') continue;
      f.seen++;
      const times = m.times ?? 1;
      if (f.seen < (m.nth ?? 1) || f.applied >= times) continue;
      f.applied++;
      return f.fault;
    }
    return undefined;
  };

  const answer = (req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry, status: number, body: string, headers: Record<string, string> = {}): void => {
    entry.status = status;
    req.resume();
    res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /** Forwards the request; `body` decides how the request body travels upstream. */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyLogEntry,
    mode: { kind: 'pipe' } | { kind: 'trickle'; bytesPerSecond: number } | { kind: 'reset'; afterBytes: number },
  ): void => {
    // Hop-by-hop headers stay on this hop; Node already answered any `Expect: 100-continue`.
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: targetHostPort };
    for (const name of ['connection', 'keep-alive', 'expect']) delete headers[name];
    const up = httpRequest({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    let cut = false;
    const cutBoth = (): void => {
      if (cut) return;
      cut = true;
      entry.status = 0;
      req.socket.destroy();
      up.destroy();
    };
    up.on('response', (upRes) => {
      if (mode.kind === 'reset') {
        // The server got the whole body: drop its answer so the client never learns the outcome.
        upRes.resume();
        cutBoth();
        return;
      }
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) {
        if (v === undefined) continue;
        out[k] = k === 'location' && typeof v === 'string' ? rewriteLocation(v) : v;
      }
      entry.status = upRes.statusCode ?? 0;
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
    });
    up.on('error', (err) => {
      if (cut) return;
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`fault proxy: target ${targetOrigin} failed: ${err.message}`);
      } else res.destroy();
    });
    // A client that goes away mid-request takes the upstream request with it.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });

    if (mode.kind === 'pipe') {
      req.pipe(up);
      return;
    }
    if (mode.kind === 'reset') {
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (cut) return;
        const room = mode.afterBytes - sent;
        if (chunk.length < room) {
          sent += chunk.length;
          if (!up.write(chunk)) {
            req.pause();
            up.once('drain', () => req.resume());
          }
          return;
        }
        req.pause();
        up.write(chunk.subarray(0, room), () => {
          // Give the server a moment to read what was sent before the connection drops.
          setTimeout(cutBoth, 20);
        });
        sent += room;
      });
      req.on('end', () => {
        if (!cut) up.end();
      });
      return;
    }
    // Trickle: pieces of 1/20 of the rate every 50 ms.
    const piece = Math.max(1, Math.floor(mode.bytesPerSecond / 20));
    void (async () => {
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          for (let i = 0; i < chunk.length; i += piece) {
            if (up.destroyed) return;
            if (!up.write(chunk.subarray(i, i + piece))) await new Promise((r) => up.once('drain', r));
            await sleep(50);
          }
        }
        up.end();
      } catch {
        up.destroy();
      }
    })();
  };

  const server = createServer((req, res) => {
    stats.requests++;
    const entry: ProxyLogEntry = { method: req.method ?? '', url: req.url ?? '', status: 0 };
    log.push(entry);
    const fault = pickFault(req);
    if (!fault) {
      forward(req, res, entry, { kind: 'pipe' });
      return;
    }
    stats.faultsInjected++;
    entry.fault = fault.kind;
    switch (fault.kind) {
      case 'down':
        req.socket.destroy();
        return;
      case 'status':
        answer(req, res, entry, fault.status, fault.body ?? `fault proxy: injected ${fault.status}`, fault.headers);
        return;
      case 'offset-drift':
        answer(req, res, entry, 409, 'fault proxy: Upload-Offset does not match the current offset');
        return;
      case 'stall': {
        req.pause();
        const timer = setTimeout(() => {
          if (!req.socket.destroyed) forward(req, res, entry, { kind: 'pipe' });
        }, fault.ms);
        req.socket.once('close', () => clearTimeout(timer));
        return;
      }
      case 'trickle':
        forward(req, res, entry, { kind: 'trickle', bytesPerSecond: fault.bytesPerSecond });
        return;
      case 'reset':
        forward(req, res, entry, { kind: 'reset', afterBytes: fault.afterBytes });
        return;
    }
  });
  const listener = await listenOnLoopback(server);
  origin = listener.origin;
  proxyHostPort = `127.0.0.1:${listener.port}`;

  return {
    origin,
    port: listener.port,
    stats,
    log,
    endpointFor(targetEndpoint) {
      const u = new URL(targetEndpoint);
      if (u.origin !== targetOrigin) throw new Error(`endpointFor: "${targetEndpoint}" is not on the proxy's target ${targetOrigin}`);
      return origin + u.pathname + u.search;
    },
    addFault(fault) {
      faults.push({ fault, seen: 0, applied: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      await listener.close();
      agent.destroy();
    },
  };
}
