/**
 * Streamed bodies read their blocks synchronously once reads have proved fast (see main/engine/tus/read-pace.ts).
 * These tests pin the mode switches and check that the bytes stay exact and the event loop keeps turning.
 */
import { createHash } from 'node:crypto';
import { truncateSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_READS_TO_SYNC, ReadPace } from '../../main/engine/tus/read-pace';
import { FileSource, READ_BLOCK } from '../../main/engine/tus/sources';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

let dir: string;
let path: string;
let sha: string;
const SIZE = 16 * 1024 * 1024 + 12_345;

beforeAll(async () => {
  dir = await makeTempDir('tusk-read-pace-');
  path = join(dir, 'body.bin');
  sha = await writeRandomFile(path, SIZE, 23);
});
afterAll(async () => {
  await removeDir(dir);
});

async function sourceWith(pace: ReadPace): Promise<FileSource> {
  const st = await stat(path);
  return new FileSource(path, await open(path, 'r'), st.size, st.mtimeMs, undefined, pace);
}

/** Streams the whole source through `onBlock` and returns the sha256 of what came out. */
async function drain(src: FileSource, onBlock: () => void = () => undefined): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of src.slices(0, src.size)) {
    hash.update(block);
    onBlock();
  }
  return hash.digest('hex');
}

describe('ReadPace', () => {
  it(`goes synchronous after ${FAST_READS_TO_SYNC} fast asynchronous reads in a row; a slow one restarts the count`, () => {
    const pace = new ReadPace({ fastMs: 1, fastReadsToSync: 4, slowSyncMs: 4 });
    for (const ms of [0.2, 0.3, 0.2]) pace.noteAsync(ms);
    pace.noteAsync(5);
    expect(pace.sync).toBe(false);
    for (const ms of [0.2, 0.3, 0.2]) pace.noteAsync(ms);
    expect(pace.sync).toBe(false);
    pace.noteAsync(0.1);
    expect(pace.sync).toBe(true);
  });

  it('one slow synchronous read returns to asynchronous reads for good', () => {
    const pace = new ReadPace({ fastMs: 1, fastReadsToSync: 1, slowSyncMs: 4 });
    pace.noteAsync(0.1);
    pace.noteSync(0.5);
    expect(pace.sync).toBe(true);
    pace.noteSync(9);
    expect(pace).toMatchObject({ sync: false, demoted: true, syncReads: 2 });
    for (let i = 0; i < 10; i++) pace.noteAsync(0.1);
    expect(pace.sync).toBe(false);
  });
});

describe('FileSource.slices with the read pace', () => {
  it('switches to synchronous reads mid-stream and yields exactly the file', async () => {
    const pace = new ReadPace({ fastMs: Infinity, fastReadsToSync: 3, slowSyncMs: Infinity });
    const src = await sourceWith(pace);
    try {
      expect(await drain(src)).toBe(sha);
      const blocks = Math.ceil(SIZE / READ_BLOCK);
      // The first blocks (and the one read ahead with them) came asynchronously, the rest synchronously.
      expect(pace.sync).toBe(true);
      expect(pace.syncReads).toBeGreaterThan(blocks - 6);
      expect(pace.syncReads).toBeLessThan(blocks);
    } finally {
      await src.close();
    }
  });

  it('a slow synchronous read falls back to asynchronous reads mid-stream, still byte-exact', async () => {
    const pace = new ReadPace({ fastMs: Infinity, fastReadsToSync: 2, slowSyncMs: -1 });
    const src = await sourceWith(pace);
    try {
      expect(await drain(src)).toBe(sha);
      expect(pace).toMatchObject({ sync: false, demoted: true, syncReads: 1 });
    } finally {
      await src.close();
    }
  });

  it('ranges that follow each other read exactly, in either mode', async () => {
    for (const fast of [true, false]) {
      const pace = new ReadPace({ fastMs: fast ? Infinity : 0, fastReadsToSync: 2, slowSyncMs: Infinity });
      const src = await sourceWith(pace);
      try {
        const hash = createHash('sha256');
        const step = 3 * 1024 * 1024 + 777; // not a multiple of the block: the cross-range read-ahead must line up
        for (let pos = 0; pos < SIZE; pos += step) for await (const b of src.slices(pos, Math.min(step, SIZE - pos))) hash.update(b);
        expect(hash.digest('hex')).toBe(sha);
        expect(pace.sync).toBe(fast);
      } finally {
        await src.close();
      }
    }
  });

  it('a file that shrinks under a synchronous read is source-changed, not a short body', async () => {
    const copy = join(dir, 'shrinks.bin');
    await copyFile(path, copy);
    const st = await stat(copy);
    const pace = new ReadPace({ fastMs: Infinity, fastReadsToSync: 1, slowSyncMs: Infinity });
    pace.sync = true;
    const src = new FileSource(copy, await open(copy, 'r'), st.size, st.mtimeMs, undefined, pace);
    try {
      let first = true;
      const err = await drain(src, () => {
        if (first) truncateSync(copy, READ_BLOCK * 2);
        first = false;
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'source-changed' });
      expect(String((err as Error).message)).toMatch(/became shorter/);
    } finally {
      await src.close();
    }
  });

  it('while reading synchronously it lets the event loop turn (a timer fires mid-stream)', async () => {
    const pace = new ReadPace({ fastMs: Infinity, fastReadsToSync: 1, slowSyncMs: Infinity });
    pace.sync = true;
    const src = await sourceWith(pace);
    let timerFired = false;
    let firedMidStream = false;
    let blocksLeft = Math.ceil(SIZE / READ_BLOCK);
    setTimeout(() => (timerFired = true), 0);
    try {
      // The consumer takes ~0.5 ms per block and never awaits the loop itself (as a kernel taking every write at
      // once): only the source's own yields can let the timer run before the stream ends.
      await drain(src, () => {
        const until = performance.now() + 0.5;
        while (performance.now() < until) {
          /* busy */
        }
        blocksLeft--;
        if (timerFired && blocksLeft > 0) firedMidStream = true;
      });
      expect(firedMidStream).toBe(true);
      expect(pace.yields).toBeGreaterThan(0);
    } finally {
      await src.close();
    }
  });
});
