import { createHash, webcrypto } from 'node:crypto';
import { TusError } from './errors';
import type { ChecksumAlgorithm, ChecksumOption } from './types';

/** Strongest first: the order `'auto'` prefers. */
export const CHECKSUM_PREFERENCE: readonly ChecksumAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

const SUBTLE_NAMES: Partial<Record<ChecksumAlgorithm, string>> = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' };

/** md5 runs on the loop (node:crypto); hashing it in slices with a yield between keeps the loop responsive. */
const MD5_SLICE = 1024 * 1024;

/**
 * Picks the algorithm for an upload from the option and what the server advertises. Returns undefined for none;
 * throws `unsupported` when a named algorithm is not advertised, so nothing is sent in vain.
 */
export function chooseChecksum(option: ChecksumOption | undefined, advertised: readonly string[]): ChecksumAlgorithm | undefined {
  const opt = option ?? 'auto';
  if (opt === false || opt === 'none') return undefined;
  const offered = advertised.map((a) => a.trim().toLowerCase());
  if (opt === 'auto') return CHECKSUM_PREFERENCE.find((a) => offered.includes(a));
  const wanted: ChecksumAlgorithm = opt === true ? 'sha1' : opt;
  if (!CHECKSUM_PREFERENCE.includes(wanted))
    throw new TusError('invalid-argument', `Unknown checksum algorithm ${JSON.stringify(wanted)}.`, {
      hint: 'Use one of sha1, sha256, sha512, md5, auto or none.',
    });
  if (!offered.includes(wanted))
    throw new TusError('unsupported', `The server does not support the ${wanted} checksum.`, {
      hint: offered.length
        ? `It supports ${offered.join(', ')}; choose one of those, or 'auto'.`
        : "It advertises no checksum algorithms; use checksum 'auto' or 'none'.",
    });
  return wanted;
}

/** Base64 digest of `data` for an `Upload-Checksum` header; sha* run off the event loop through WebCrypto. */
export async function digestBase64(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  const subtle = SUBTLE_NAMES[algorithm];
  if (subtle) {
    const out = await webcrypto.subtle.digest(subtle, data);
    return Buffer.from(out).toString('base64');
  }
  const hash = createHash(algorithm);
  for (let i = 0; i < data.length; i += MD5_SLICE) {
    hash.update(data.subarray(i, Math.min(data.length, i + MD5_SLICE)));
    if (i + MD5_SLICE < data.length) await new Promise<void>((r) => setImmediate(r));
  }
  return hash.digest('base64');
}

/** The `Upload-Checksum` header value: `<algorithm> <base64 digest>`. */
export async function checksumHeader(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  return `${algorithm} ${await digestBase64(algorithm, data)}`;
}
