import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileUrlStorage } from '../engine/tus/url-storage';
import { parseProxyUrl } from '../engine/tus/proxy';
import type { ChecksumOption, TusClientOptions, UploadFileOptions } from '../engine/tus/types';
import { traceHooks } from './trace';
import { HTTP_TOKEN } from '../../shared/http-token';

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** Parses a byte count: `1048576`, `8MiB`, `1.5 GB`, `512k`. Throws a UsageError that shows valid forms. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new UsageError(`Invalid ${what} "${text}": use a number of bytes or a unit such as 8MiB, 512KiB, 1GB.`);
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n)) throw new UsageError(`Invalid ${what} "${text}": too large.`);
  return n;
}

/** Parses `Name: value` into a header pair. */
export function parseHeader(text: string): [string, string] {
  const i = text.indexOf(':');
  const name = i > 0 ? text.slice(0, i).trim() : '';
  if (!name || !HTTP_TOKEN.test(name))
    throw new UsageError(`Invalid header "${text}": use --header 'Name: value', for example --header 'Authorization: Bearer abc'.`);
  const value = text.slice(i + 1).trim();
  // Caught here, as a usage error, rather than when the request is built; the value (maybe a token) is not echoed.
  if (/[\r\n\0]/.test(value))
    throw new UsageError(`Invalid header "${name}": its value contains a line break or NUL, which would end the header early. Give one header per --header.`);
  return [name, value];
}

/**
 * The `--header` values with every `@file` replaced by the header lines in that file (as curl's `-H @file`): one
 * `Name: value` per line; blank lines and lines starting with `#` are skipped. A token kept in a file (readable only
 * by its owner) stays out of the shell history and out of `ps`, where any other user of the machine could read it.
 */
export function headerArgs(values: string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (!value.startsWith('@')) {
      out.push(value);
      continue;
    }
    const file = value.slice(1);
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new UsageError(`Cannot read --header @${file} (${code}): give a file with one 'Name: value' header per line.`);
    }
    for (const line of text.split(/\r?\n/)) if (line.trim() && !line.trimStart().startsWith('#')) out.push(line);
  }
  return out;
}

/** Parses `key=value` metadata (the value may contain `=`). */
export function parseMetadataPair(text: string): [string, string] {
  const i = text.indexOf('=');
  const key = i > 0 ? text.slice(0, i) : '';
  if (!key || /[\s,]/.test(key))
    throw new UsageError(`Invalid metadata "${text}": use --metadata key=value with a key without spaces or commas.`);
  return [key, text.slice(i + 1)];
}

/** Parses a non-negative number of seconds. */
export function parseSeconds(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`Invalid ${what} "${text}": give a number of seconds, such as 1 or 0.5.`);
  return n;
}

/** Parses a non-negative whole number. */
export function parseCount(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < min) throw new UsageError(`Invalid ${what} "${text}": give a whole number${min ? ` ≥ ${min}` : ''}.`);
  return n;
}

const CHECKSUMS = ['none', 'auto', 'sha1', 'sha256', 'sha512', 'md5'];

/** The transfer flags shared by `upload` and `resume` (as commander hands them over: strings). */
export interface TransferFlags {
  chunkSize?: string;
  checksum?: string;
  parallel?: string;
  header?: string[];
  metadata?: string[];
  stopAt?: string;
  retries?: string;
  retryDelay?: string;
  timeout?: string;
  insecure?: boolean;
  /** A PEM file with extra trusted CA certificates. */
  ca?: string;
  /** A forward proxy URL, or `none`. */
  proxy?: string;
  stateDir?: string;
  /** Trace every request and answer on stderr. */
  verbose?: boolean;
}

/**
 * Maps CLI flags to `TusClientOptions` (seconds → ms, sizes parsed, state dir → file URL storage); with `--verbose`,
 * request and answer lines go to `trace`.
 */
export function transferOptionsFrom(opts: TransferFlags, endpoint: string, trace?: (line: string) => void): TusClientOptions {
  const headers: Record<string, string> = {};
  for (const h of headerArgs(opts.header ?? [])) {
    const [k, v] = parseHeader(h);
    headers[k] = v;
  }
  if (opts.checksum !== undefined && !CHECKSUMS.includes(opts.checksum))
    throw new UsageError(`Invalid --checksum "${opts.checksum}": use one of ${CHECKSUMS.join(', ')}.`);
  const out: TusClientOptions = { endpoint, headers };
  if (opts.chunkSize !== undefined) {
    out.chunkSize = parseSize(opts.chunkSize, '--chunk-size');
    if (out.chunkSize <= 0) throw new UsageError('Invalid --chunk-size: it must be more than 0 bytes.');
  }
  if (opts.checksum !== undefined) out.checksum = opts.checksum as ChecksumOption;
  if (opts.retries !== undefined) out.maxRetries = parseCount(opts.retries, '--retries');
  if (opts.retryDelay !== undefined) out.retryDelay = parseSeconds(opts.retryDelay, '--retry-delay') * 1000;
  if (opts.timeout !== undefined) {
    out.timeout = parseSeconds(opts.timeout, '--timeout') * 1000;
    if (out.timeout <= 0) throw new UsageError('Invalid --timeout: it must be more than 0 seconds.');
  }
  if (opts.insecure) out.verifyTls = false;
  if (opts.ca !== undefined) out.ca = readCaFile(opts.ca);
  if (opts.proxy !== undefined) out.proxy = parseProxyFlag(opts.proxy);
  if (opts.verbose && trace) Object.assign(out, traceHooks(trace));
  if (opts.stateDir) {
    out.storeUrl = true;
    out.urlStorage = new FileUrlStorage(join(opts.stateDir, 'urls.json'));
  }
  return out;
}

/** `--proxy <url|none>`: `none` turns proxies off (the environment's too); a URL that cannot be used is a usage error. */
export function parseProxyFlag(value: string): string | false {
  if (value.trim().toLowerCase() === 'none') return false;
  try {
    return parseProxyUrl(value.trim(), '--proxy');
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Reads a `--ca` PEM file; a missing file or one without a certificate is a usage error that says so. */
export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(`Cannot read --ca "${file}" (${code}): give the path of a PEM file with the server's CA certificate.`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--ca "${file}" holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line): give the CA certificate in PEM form.`);
  return pem;
}

/** The per-upload part of the flags: metadata, stop-at, parallel parts. */
export function uploadOptionsFrom(opts: TransferFlags): Pick<UploadFileOptions, 'metadata' | 'stopAt' | 'parallelUploads'> {
  const metadata: Record<string, string> = {};
  for (const m of opts.metadata ?? []) {
    const [k, v] = parseMetadataPair(m);
    metadata[k] = v;
  }
  return {
    metadata,
    stopAt: opts.stopAt !== undefined ? parseSize(opts.stopAt, '--stop-at') : undefined,
    parallelUploads: opts.parallel !== undefined ? parseCount(opts.parallel, '--parallel', 1) : undefined,
  };
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
