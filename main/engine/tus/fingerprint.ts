import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Fingerprinter, SourceDescriptor } from './types';

/** Default: path + size + mtime + endpoint, hashed; cheap (no reads) and distinct per server. */
export class DefaultFingerprinter implements Fingerprinter {
  /** See the class comment. */
  async fingerprint(source: SourceDescriptor, endpoint: string): Promise<string | undefined> {
    if (source.kind !== 'file') return undefined;
    const key = JSON.stringify([source.path, source.size, Math.trunc(source.mtimeMs), endpoint]);
    return `tusk-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  }
}

/**
 * Matches tus-py-client's `Fingerprint`: `size:<bytes>--md5:<md5 hex of the first 64 KiB>`, so URLs stored by
 * either client find the same upload. It ignores the endpoint, as tus-py-client does.
 */
export class PartialMd5Fingerprinter implements Fingerprinter {
  static readonly BLOCK_SIZE = 65536;

  /** See the class comment. */
  async fingerprint(source: SourceDescriptor, _endpoint: string): Promise<string | undefined> {
    if (source.kind !== 'file') return undefined;
    const fh = await open(source.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(PartialMd5Fingerprinter.BLOCK_SIZE);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const md5 = createHash('md5').update(buf.subarray(0, bytesRead)).digest('hex');
      return `size:${source.size}--md5:${md5}`;
    } finally {
      await fh.close();
    }
  }
}

/** Wraps a function as a Fingerprinter (seed: `CallableFingerprint`). */
export class CallableFingerprinter implements Fingerprinter {
  constructor(private readonly fn: (source: SourceDescriptor, endpoint: string) => string | undefined | Promise<string | undefined>) {}

  /** Calls the wrapped function. */
  async fingerprint(source: SourceDescriptor, endpoint: string): Promise<string | undefined> {
    return this.fn(source, endpoint);
  }
}
