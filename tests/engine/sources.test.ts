import { createHash } from 'node:crypto';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_BLOCK, openFileSource, type FileSource } from '../../main/engine/tus/sources';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';

/** Collects a range from `slices`, copying each slice (its memory is reused after the next pull). */
async function collect(src: FileSource, start: number, len: number): Promise<{ bytes: Buffer; sizes: number[] }> {
  const parts: Buffer[] = [];
  const sizes: number[] = [];
  for await (const s of src.slices(start, len)) {
    parts.push(Buffer.from(s));
    sizes.push(s.length);
  }
  return { bytes: Buffer.concat(parts), sizes };
}

describe('FileSource reads (read-ahead across ranges, two body buffers)', () => {
  let dir: string;
  let path: string;
  let data: Buffer;
  const size = 5 * READ_BLOCK + 12_345;

  beforeAll(async () => {
    dir = await makeTempDir();
    path = join(dir, 'src.bin');
    await writeRandomFile(path, size, 21);
    data = await readFile(path);
  });
  afterAll(() => removeDir(dir));

  it('back-to-back ranges of odd sizes come out byte-exact (the next range starts from the read-ahead)', async () => {
    const src = await openFileSource(path);
    try {
      const chunk = Math.floor(READ_BLOCK * 1.3) + 7;
      for (let pos = 0; pos < size; pos += chunk) {
        const len = Math.min(chunk, size - pos);
        const { bytes } = await collect(src, pos, len);
        expect(bytes.equals(data.subarray(pos, pos + len))).toBe(true);
      }
    } finally {
      await src.close();
    }
  });

  it('a range that does not start where the read-ahead is (a resend, a 409 correction) is read afresh', async () => {
    const src = await openFileSource(path);
    try {
      await collect(src, 0, READ_BLOCK + 100); // leaves a read-ahead at READ_BLOCK + 100
      const back = await collect(src, 1000, 2 * READ_BLOCK);
      expect(back.bytes.equals(data.subarray(1000, 1000 + 2 * READ_BLOCK))).toBe(true);
      const shorter = await collect(src, 1000 + 2 * READ_BLOCK, 10); // shorter than the read-ahead: uses its start
      expect(shorter.bytes.equals(data.subarray(1000 + 2 * READ_BLOCK, 1010 + 2 * READ_BLOCK))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('slices are whole read blocks (the Uploader cuts them to SLICE_SIZE under a rate limit: see upload.test.ts)', async () => {
    const src = await openFileSource(path);
    try {
      const big = await collect(src, 0, 2 * READ_BLOCK + 5);
      expect(big.sizes).toEqual([READ_BLOCK, READ_BLOCK, 5]);
      const one = await collect(src, 0, READ_BLOCK);
      expect(one.sizes).toEqual([READ_BLOCK]);
      expect(one.bytes.equals(data.subarray(0, READ_BLOCK))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('read() keeps two buffers: slot 1 does not overwrite what slot 0 returned', async () => {
    const src = await openFileSource(path);
    try {
      const a = await src.read(0, 100_000, 0);
      const b = await src.read(200_000, 100_000, 1);
      expect(Buffer.from(a).equals(data.subarray(0, 100_000))).toBe(true);
      expect(Buffer.from(b).equals(data.subarray(200_000, 300_000))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('readHashed: the hashing worker reads the range into shared memory and digests exactly those bytes', async () => {
    const src = await openFileSource(path);
    try {
      for (const algorithm of ['sha256', 'sha1', 'sha512', 'md5'] as const) {
        const start = 777;
        const len = 2 * 1024 * 1024 + 3; // more than one of the worker's 1 MiB pieces
        const got = await src.readHashed(start, len, 1, algorithm);
        expect(got).toBeDefined();
        const expected = data.subarray(start, start + len);
        expect(Buffer.from(got!.data).equals(expected)).toBe(true);
        expect(got!.digest).toBe(createHash(algorithm).update(expected).digest('base64'));
      }
      // Two slots are two buffers: hashing into slot 0 leaves what slot 1 returned intact.
      const one = await src.readHashed(0, 4096, 1, 'sha256');
      const keep = Buffer.from(one!.data);
      await src.readHashed(100_000, 4096, 0, 'sha256');
      expect(Buffer.from(one!.data).equals(keep)).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('readHashed on a file that shrank says it changed (source-changed), not a short body', async () => {
    const p = join(dir, 'shrinks.bin');
    await writeRandomFile(p, 3 * READ_BLOCK, 5);
    const src = await openFileSource(p);
    try {
      await truncate(p, READ_BLOCK);
      await expect(src.readHashed(0, 3 * READ_BLOCK, 0, 'sha256')).rejects.toMatchObject({ code: 'source-changed' });
    } finally {
      await src.close();
    }
  });

  it('a file smaller than one block uses a block of its own size and still streams exactly', async () => {
    const small = join(dir, 'small.bin');
    await writeFile(small, Buffer.from('hello tus'));
    const src = await openFileSource(small);
    try {
      expect((await collect(src, 0, 9)).bytes.toString()).toBe('hello tus');
      expect((await collect(src, 3, 6)).bytes.toString()).toBe('lo tus');
    } finally {
      await src.close();
    }
  });
});
