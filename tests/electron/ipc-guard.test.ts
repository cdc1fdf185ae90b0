import { describe, expect, it } from 'vitest';
import { callNames, engineCallNames } from '../../shared/ipc';
import type { DesktopApi, EngineApi } from '../../shared/ipc';
import {
  EventGate,
  checkSender,
  createDispatcher,
  isEngineCall,
  parseDroppedPaths,
  toPlainError,
} from '../../main/electron/ipc-guard';
import type { SenderInfo } from '../../main/electron/ipc-guard';

const MAIN_ID = 7;
const good: SenderInfo = { webContentsId: MAIN_ID, frameUrl: 'app://tusk/index.html', isMainFrame: true };

/** Records every call made on either API; each method answers with its own name. */
function recorder() {
  const calls: Array<{ name: string; args: unknown[] }> = [];
  const make = <T extends object>(names: readonly string[]): T =>
    Object.fromEntries(
      names.map((n) => [
        n,
        async (...args: unknown[]) => {
          calls.push({ name: n, args });
          if (args[0] === 'boom') throw new Error('engine said no');
          return n;
        },
      ]),
    ) as T;
  const engineApi = make<EngineApi>(engineCallNames);
  const desktop = make<DesktopApi>(callNames.filter((n) => !(engineCallNames as readonly string[]).includes(n)));
  return { calls, engineApi, desktop };
}

describe('checkSender', () => {
  it('accepts the main window on the app page', () => {
    expect(checkSender(good, MAIN_ID)).toBeUndefined();
  });
  it('refuses other windows, sub-frames, foreign pages and a missing window', () => {
    expect(checkSender({ ...good, webContentsId: 8 }, MAIN_ID)).toMatch(/main window/);
    expect(checkSender({ ...good, isMainFrame: false }, MAIN_ID)).toMatch(/sub-frame/);
    expect(checkSender({ ...good, frameUrl: 'https://evil.example/' }, MAIN_ID)).toMatch(/not the app's own page/);
    expect(checkSender({ ...good, frameUrl: 'file:///tmp/x.html' }, MAIN_ID)).toMatch(/not the app's own page/);
    expect(checkSender({ ...good, frameUrl: undefined }, MAIN_ID)).toMatch(/unknown/);
    expect(checkSender(good, undefined)).toMatch(/not open/);
  });
});

describe('createDispatcher', () => {
  it('routes engine calls to the engine and desktop calls to the shell, with validated arguments', async () => {
    const r = recorder();
    const dispatch = createDispatcher({ engineApi: r.engineApi, desktop: r.desktop, mainWebContentsId: () => MAIN_ID });
    expect(await dispatch('pause', good, [{ kind: 'all' }])).toEqual({ ok: true, value: 'pause' });
    expect(await dispatch('revealFile', good, ['job-1'])).toEqual({ ok: true, value: 'revealFile' });
    expect(await dispatch('addPaths', good, [{ paths: ['/tmp/a'] }])).toEqual({ ok: true, value: 'addPaths' });
    expect(r.calls).toEqual([
      { name: 'pause', args: [{ kind: 'all' }] },
      { name: 'revealFile', args: ['job-1'] },
      { name: 'addPaths', args: [{ paths: ['/tmp/a'] }] },
    ]);
  });
  it('every call name has exactly one handler side', () => {
    const r = recorder();
    for (const name of callNames) {
      const side = isEngineCall(name) ? r.engineApi : r.desktop;
      expect(typeof (side as unknown as Record<string, unknown>)[name]).toBe('function');
    }
  });
  it('refuses untrusted senders before validating or running anything', async () => {
    const r = recorder();
    const rejected: string[] = [];
    const dispatch = createDispatcher({
      engineApi: r.engineApi,
      desktop: r.desktop,
      mainWebContentsId: () => MAIN_ID,
      onRejected: (n, why) => rejected.push(`${n}: ${why}`),
    });
    const res = await dispatch('addPaths', { ...good, frameUrl: 'https://evil.example/' }, [{ paths: ['/etc'] }]);
    expect(res.ok).toBe(false);
    expect(res.ok ? '' : res.error.message).toMatch(/Refused addPaths/);
    expect(r.calls).toHaveLength(0);
    expect(rejected).toHaveLength(1);
  });
  it('rejects invalid payloads with a message naming the call and the field', async () => {
    const r = recorder();
    const dispatch = createDispatcher({ engineApi: r.engineApi, desktop: r.desktop, mainWebContentsId: () => MAIN_ID });
    const res = await dispatch('setPriority', good, [{ target: { kind: 'all' }, priority: 1000 }]);
    expect(res).toMatchObject({ ok: false });
    expect(res.ok ? '' : res.error.message).toMatch(/Invalid arguments for setPriority: 0\.priority/);
    const extra = await dispatch('getSnapshot', good, [1]);
    expect(extra.ok).toBe(false);
    const notArray = await dispatch('pause', good, { kind: 'all' });
    expect(notArray.ok).toBe(false);
    expect(r.calls).toHaveLength(0);
  });
  it('refuses unknown calls, including prototype names', async () => {
    const r = recorder();
    const dispatch = createDispatcher({ engineApi: r.engineApi, desktop: r.desktop, mainWebContentsId: () => MAIN_ID });
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      const res = await dispatch(name, good, []);
      expect(res).toEqual({ ok: false, error: { message: `Unknown call "${name}".` } });
    }
  });
  it('returns handler errors as plain { message } objects', async () => {
    const r = recorder();
    const dispatch = createDispatcher({ engineApi: r.engineApi, desktop: r.desktop, mainWebContentsId: () => MAIN_ID });
    const res = await dispatch('getJobDetails', good, ['boom']);
    expect(res).toEqual({ ok: false, error: { message: 'engine said no' } });
    expect(Object.getPrototypeOf((res as { error: object }).error)).toBe(Object.prototype);
  });
});

describe('toPlainError', () => {
  it('keeps messages and never returns an empty one', () => {
    expect(toPlainError(new Error('x'))).toEqual({ message: 'x' });
    expect(toPlainError('y')).toEqual({ message: 'y' });
    expect(toPlainError({ message: 'z', stack: 'secret' })).toEqual({ message: 'z' });
    expect(toPlainError(undefined).message).toMatch(/no details/);
    expect(toPlainError(new Error('')).message).toMatch(/no details/);
  });
});

describe('parseDroppedPaths', () => {
  it('keeps absolute paths only', () => {
    expect(parseDroppedPaths(['/home/a/b.txt', 'rel/x', '', 'C:\\Users\\a.txt', '\\\\srv\\share\\f', 3, 'a\0b'])).toEqual([
      '/home/a/b.txt',
      'C:\\Users\\a.txt',
      '\\\\srv\\share\\f',
    ]);
    expect(parseDroppedPaths('not an array')).toEqual([]);
  });
});

describe('EventGate', () => {
  it('holds events until the renderer is ready, then delivers them in order', () => {
    const sent: Array<[string, unknown]> = [];
    const gate = new EventGate<'a' | 'b'>((e, p) => sent.push([e, p]));
    // Pushed between the renderer's snapshot and its rendererReady: must not be lost.
    expect(gate.push('a', 1)).toBe(false);
    expect(sent).toEqual([]);
    gate.open();
    expect(sent).toEqual([['a', 1]]);
    expect(gate.push('a', 2)).toBe(true);
    gate.push('b', 3);
    gate.close();
    gate.push('a', 4);
    expect(sent).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    expect(gate.heldCount).toBe(1);
  });

  it('keeps only the newest events while no window is open', () => {
    const sent: unknown[] = [];
    const gate = new EventGate<'a'>((_e, p) => sent.push(p), 3);
    for (let i = 1; i <= 5; i++) gate.push('a', i);
    gate.open();
    expect(sent).toEqual([3, 4, 5]);
  });
});
