/**
 * The harness side of the engine host: starts the real engine in a child process on a state directory and gives
 * the harness a small `EngineLink` (call, deltas, close, kill). Also implemented by the synthetic feed (synthetic.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { QueueDelta } from '../../shared/types';
import type { FromHost, HostTuning, ToHost } from './protocol';

/** What the browser bridge needs from an engine. */
export interface EngineLink {
  call(name: string, args: unknown[]): Promise<unknown>;
  onDelta(listener: (delta: QueueDelta) => void): () => void;
  /** Stops the engine cleanly (uploads stay resumable). */
  close(): Promise<void>;
}

/** An engine running in a child process. */
export interface EngineProcess extends EngineLink {
  readonly pid: number;
  /** Kills the process with SIGKILL: no flush, no goodbye — a crash. */
  kill(): Promise<void>;
}

const hostPath = fileURLToPath(new URL('./engine-host.ts', import.meta.url));

/** Starts the real engine (`createEngine({ stateDir })`) in a child process. */
export async function startEngineProcess(stateDir: string, tuning: HostTuning = {}): Promise<EngineProcess> {
  const child: ChildProcess = fork(hostPath, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(delta: QueueDelta) => void>();
  let nextId = 1;
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error('The engine process exited before answering.'));
      pending.clear();
      resolve();
    }),
  );
  const send = (m: ToHost): void => {
    if (!exited && child.connected) child.send(m);
  };
  const started = new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const m = raw as FromHost;
      if (m.type === 'started') resolve();
      else if (m.type === 'start-failed') reject(new Error(`The engine did not start: ${m.message}`));
      else if (m.type === 'delta') for (const l of listeners) l(m.delta);
      else if (m.type === 'result') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (!p) return;
        if (m.ok) p.resolve(m.value === null ? undefined : m.value);
        else p.reject(new Error(m.message));
      }
    });
    child.once('exit', (code) => reject(new Error(`The engine process exited during start (code ${code}).`)));
  });
  send({ type: 'start', stateDir, tuning });
  await started;
  return {
    pid: child.pid ?? -1,
    call(name, args) {
      if (exited) return Promise.reject(new Error('The engine process is not running.'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ type: 'call', id, name, args });
      });
    },
    onDelta(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (exited) return;
      send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exitPromise;
    },
  };
}
