import { TusError } from './errors';
import type { TusClientOptions } from './types';
import { HTTP_TOKEN } from '../../../shared/http-token';

/**
 * Checks the numeric and header options of a `TusClient` when it is built, so a mistake is an `invalid-argument`
 * error naming the option, not a stalled first request (`timeout: 0`), a raw Node range error (`timeout: NaN`), a
 * server's 400 reported as "not a tus server" (a header name with a space), or silently no retries (`maxRetries: -1`).
 */
export function checkClientOptions(options: TusClientOptions): void {
  const bad = (what: string, got: unknown, hint: string): TusError =>
    new TusError('invalid-argument', `${what}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}.`, { hint });
  if (options.chunkSize !== undefined && !(options.chunkSize > 0))
    throw bad('chunkSize must be a positive number of bytes', options.chunkSize, 'Use for example 8 MiB (8388608), or Infinity for one request.');
  for (const name of ['timeout', 'stallTimeout'] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw bad(`${name} must be a positive number of milliseconds`, v, 'Use for example 30000 (30 s); leave it out for the default.');
  }
  const retries = options.maxRetries;
  if (retries !== undefined && !(retries === Infinity || (Number.isInteger(retries) && retries >= 0)))
    throw bad('maxRetries must be a whole number ≥ 0 (or Infinity)', retries, 'Use 0 to fail on the first error.');
  const delay = options.retryDelay;
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0))
    throw bad('retryDelay must be a number of milliseconds ≥ 0', delay, 'Use for example 1000; it doubles on each retry, up to 60 s.');
  const encoding = options.metadataEncoding;
  if (encoding !== undefined && !Buffer.isEncoding(encoding))
    throw bad('metadataEncoding is not an encoding Node knows', encoding, 'Use utf8 (the default), latin1, ascii, utf16le or another Buffer encoding.');
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!HTTP_TOKEN.test(name))
      throw new TusError('invalid-argument', `Invalid header name ${JSON.stringify(name)}.`, {
        hint: 'Header names are letters, digits and - (no spaces or colons), for example Authorization or X-Api-Key.',
      });
    // The value is not echoed: it may be a token.
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      throw new TusError('invalid-argument', `The value of header ${JSON.stringify(name)} is not a single-line string.`, {
        hint: 'Give header values as strings without line breaks.',
      });
  }
}
