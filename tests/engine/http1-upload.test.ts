import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TusClient, Http1Stack, UndiciHttpStack, defaultHttpStack } from '../../main/engine/tus';
import { startDiscardServer, type DiscardServer } from '../servers/discard';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

let dir: string;
let discard: DiscardServer;

beforeAll(async () => {
  dir = await makeTempDir('tusk-http1-');
  discard = await startDiscardServer();
});
afterAll(async () => {
  await discard?.close();
  await removeDir(dir);
});

describe('the default HTTP stack (Http1Stack) under a real upload', () => {
  it('a chunked upload keeps one connection: OPTIONS, POST and every PATCH on it', async () => {
    const size = 12 * 1024 * 1024 + 5;
    const path = join(dir, 'keepalive.bin');
    await writeRandomFile(path, size, 61);
    const before = discard.connections();
    const received = discard.bytesReceived();
    const requests: string[] = [];
    const c = new TusClient({ endpoint: discard.endpoint, chunkSize: 1024 * 1024, onBeforeRequest: (r) => void requests.push(r.method) });
    try {
      const r = await c.uploadFile({ path });
      expect(r.offset).toBe(size);
      expect(discard.upload(r.url)).toEqual({ offset: size, length: size });
    } finally {
      await c.close();
    }
    expect(discard.bytesReceived() - received).toBe(size);
    expect(requests.filter((m) => m === 'PATCH').length).toBe(12);
    expect(discard.connections() - before).toBe(1);
  });

  it('TUSK_HTTP_STACK=undici selects the undici stack (the escape hatch), anything else the own one', () => {
    const saved = process.env.TUSK_HTTP_STACK;
    try {
      process.env.TUSK_HTTP_STACK = 'undici';
      expect(defaultHttpStack({})).toBeInstanceOf(UndiciHttpStack);
      delete process.env.TUSK_HTTP_STACK;
      expect(defaultHttpStack({})).toBeInstanceOf(Http1Stack);
    } finally {
      if (saved === undefined) delete process.env.TUSK_HTTP_STACK;
      else process.env.TUSK_HTTP_STACK = saved;
    }
  });
});
