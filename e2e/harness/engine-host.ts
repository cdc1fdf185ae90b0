/**
 * The real engine in a child process, driven over Node IPC by the browser harness (engine-process.ts). A child, so a
 * test can SIGKILL it mid-upload and start a new one on the same state directory, as a crash would.
 * Run with `node --import tsx e2e/harness/engine-host.ts` (forked with an IPC channel).
 */
import type { EngineApi } from '../../shared/ipc';
import { createEngine } from '../../main/engine/index';
import type { Engine } from '../../main/engine/engine-types';
import type { FromHost, ToHost } from './protocol';

let engine: Engine | undefined;

function send(message: FromHost): void {
  process.send?.(message);
}

async function onMessage(message: ToHost): Promise<void> {
  if (message.type === 'start') {
    try {
      engine = await createEngine({ stateDir: message.stateDir, ...message.tuning });
      engine.onDelta((delta) => send({ type: 'delta', delta }));
      send({ type: 'started' });
    } catch (err) {
      send({ type: 'start-failed', message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  if (message.type === 'call') {
    try {
      if (!engine) throw new Error('The engine is not started yet.');
      const fn = (engine.api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[message.name];
      if (typeof fn !== 'function') throw new Error(`The engine has no call "${message.name}".`);
      const value = await fn.apply(engine.api as EngineApi, message.args);
      send({ type: 'result', id: message.id, ok: true, value: value ?? null });
    } catch (err) {
      send({ type: 'result', id: message.id, ok: false, message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  if (message.type === 'close') {
    await engine?.close();
    send({ type: 'closed' });
    process.disconnect?.();
    process.exit(0);
  }
}

process.on('message', (m) => void onMessage(m as ToHost));
// The parent went away (test crashed): do not linger.
process.on('disconnect', () => {
  void (engine?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
