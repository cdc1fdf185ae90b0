import { TusError } from './errors';

/** Throws `invalid-argument` when a metadata key cannot be sent (empty, or contains a space or comma). */
export function validateMetadata(metadata: Record<string, string>): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (key.length === 0 || /[\s,]/.test(key))
      throw new TusError('invalid-argument', `Invalid metadata key ${JSON.stringify(key)}.`, {
        hint: 'Metadata keys must be non-empty and contain no spaces or commas; rename the key.',
      });
    if (typeof value !== 'string')
      throw new TusError('invalid-argument', `Metadata value of ${JSON.stringify(key)} is not a string.`, {
        hint: 'Pass metadata values as strings.',
      });
  }
}

/** Encodes metadata as an `Upload-Metadata` header value (keys validated; values base64 of the encoded string). */
export function encodeMetadata(metadata: Record<string, string>, encoding: BufferEncoding = 'utf8'): string {
  validateMetadata(metadata);
  return Object.entries(metadata)
    .map(([k, v]) => (v === '' ? k : `${k} ${Buffer.from(v, encoding).toString('base64')}`))
    .join(',');
}

/** Parses an `Upload-Metadata` header back into a record (values decoded with `encoding`; bad pairs skipped). */
export function parseMetadata(header: string | undefined, encoding: BufferEncoding = 'utf8'): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key) continue;
    out[key] = value ? Buffer.from(value, 'base64').toString(encoding) : '';
  }
  return out;
}
