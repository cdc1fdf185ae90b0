/**
 * Start/stop plumbing shared by the test servers: listen on 127.0.0.1 and close promptly even while clients hold
 * keep-alive connections (a plain `server.close()` would wait for them to time out).
 */
import type { AddressInfo, Server, Socket } from 'node:net';

/** A server listening on loopback, as returned by `listenOnLoopback`. */
export interface LoopbackListener {
  /** The port actually bound (the random one when 0 was asked for). */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Destroys the open sockets and goes on listening (a test server reused between tests). */
  dropConnections(): void;
  /** Stops listening and destroys every open socket; later calls do nothing. */
  close(): Promise<void>;
}

/** Starts `server` (http or plain net) on 127.0.0.1 (`port` 0: a random one), tracking its sockets so `close()` is immediate. */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  server.on('connection', track);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    port: bound,
    origin: `http://127.0.0.1:${bound}`,
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      // The server may listen again through a new listener (a restart on the same port), which tracks its own sockets.
      server.off('connection', track);
    },
  };
}
