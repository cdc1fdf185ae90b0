import { basename } from 'node:path';
import { TusError, abortedError, errorFromStatus, isTusError } from './errors';
import { checkClientOptions } from './option-checks';
import { checksumHeader, chooseChecksum } from './checksum';
import { fileTypeFor } from './filetype';
import { DefaultFingerprinter } from './fingerprint';
import { UndiciHttpStack, type HttpStack, type UndiciHttpStackOptions } from './http';
import { Http1Stack } from './http1';
import { smallFileReader } from './small-files';
import { encodeMetadata, parseMetadata, validateMetadata } from './metadata';
import { retryWait, shouldRetry } from './retry';
import { parseServerInfo } from './server-info';
import { fileError, openFileSource, StreamSource, type UploadSource } from './sources';
import { Transport, sleep } from './transport';
import { proxyFor } from './proxy';
import { parseHttpUrl, resolveLocation } from './url';
import { FileUrlStorage } from './url-storage';
import { Uploader, type ResolvedOptions } from './uploader';
import type { ServerInfo, TusClientOptions, UploadFileOptions, UploadInfo, UploadResult, UrlStorage } from './types';

/** Default bytes per PATCH: 8 MiB (the seed's 1 MiB costs a round trip per MiB). */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/**
 * Files up to this size can go in the creation request itself (creation-with-upload): one request instead of POST +
 * PATCH. Re-sending that much after a crash costs nothing, which is what makes giving up "URL durable before the
 * first byte" acceptable for them (docs/queue.md).
 */
export const SMALL_FILE_MAX = 64 * 1024;
/** How long an OPTIONS answer is reused. */
const SERVER_INFO_TTL_MS = 30_000;

/** A previous upload of a source found by fingerprint. */
export interface PreviousUpload {
  fingerprint: string;
  uploadUrl: string;
}

/** Extra wiring, mostly for tests: a custom HttpStack. */
export interface TusClientDeps {
  http?: HttpStack;
}

/**
 * A tus client for one endpoint (seed: `TusClient`). One keep-alive connection pool per client; call `close()` when
 * done so idle sockets do not keep the process alive.
 */
export class TusClient {
  readonly options: TusClientOptions;
  readonly endpoint: string;
  private readonly transport: Transport;
  private readonly resolved: ResolvedOptions;
  private readonly urlStorage: UrlStorage | undefined;
  private info: { at: number; value: Promise<ServerInfo>; known?: ServerInfo } | undefined;

  constructor(options: TusClientOptions, deps: TusClientDeps = {}) {
    this.endpoint = parseHttpUrl(options.endpoint, 'endpoint').toString();
    this.options = options;
    checkClientOptions(options);
    const timeout = options.timeout ?? 30_000;
    this.resolved = {
      maxRetries: options.maxRetries ?? 3,
      retryDelay: options.retryDelay ?? 1000,
      timeout,
      stallTimeout: options.stallTimeout ?? timeout,
      metadataEncoding: options.metadataEncoding ?? 'utf8',
      onShouldRetry: options.onShouldRetry,
      rateLimiter: options.rateLimiter,
    };
    const proxy = proxyFor(this.endpoint, options.proxy);
    const http = deps.http ?? defaultHttpStack({ verifyTls: options.verifyTls, ca: options.ca, timeout, proxy });
    this.transport = new Transport(http, options);
    this.urlStorage = options.urlStorage ?? (options.storeUrl ? new FileUrlStorage() : undefined);
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.transport.http.close();
  }

  /** OPTIONS of the endpoint: version, extensions, max size, checksum algorithms (cached for 30 s). */
  async getServerInfo(options: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<ServerInfo> {
    const now = Date.now();
    if (!options.refresh && this.info && now - this.info.at < SERVER_INFO_TTL_MS) return this.info.value;
    const value = this.withRetry(async () => {
      const res = await this.transport.send('OPTIONS', this.endpoint, {}, undefined, options.signal);
      return parseServerInfo(this.endpoint, res);
    }, options.signal);
    const entry: { at: number; value: Promise<ServerInfo>; known?: ServerInfo } = { at: now, value };
    this.info = entry;
    value.then(
      (known) => void (entry.known = known),
      () => {
        if (this.info === entry) this.info = undefined;
      },
    );
    return value;
  }

  /** The server info from the last OPTIONS answer, when there is one and it is not older than the cache's 30 s. */
  knownServerInfo(): ServerInfo | undefined {
    return this.info && Date.now() - this.info.at < SERVER_INFO_TTL_MS ? this.info.known : undefined;
  }

  /** Uploads a file or stream (creating, resuming a stored or given URL, or in parallel parts) to the end or `stopAt`. */
  async uploadFile(options: UploadFileOptions): Promise<UploadResult> {
    const parallel = options.parallelUploads ?? 1;
    if (!Number.isInteger(parallel) || parallel < 1)
      throw new TusError('invalid-argument', `parallelUploads must be a whole number ≥ 1, got ${parallel}.`, { hint: 'Use 1 for a single upload.' });
    if (parallel > 1) return this.uploadParallel(options, parallel);
    const uploader = await this.createUploader(options);
    try {
      return await uploader.upload();
    } finally {
      await uploader.close();
    }
  }

  /**
   * One-request upload of a small file (≤ `SMALL_FILE_MAX`): one `readFile`, then POST with the whole body
   * (creation-with-upload). Returns undefined, having sent nothing, when this path does not apply (a bigger file, a
   * server without creation-with-upload, a deferred or partial upload); the caller then uses `uploadFile`. When the
   * server keeps fewer bytes than sent, the rest goes through the normal resume path. `onUploadUrl` is called (and
   * awaited) only then, before the rest is sent: when the server kept the whole body there is nothing left to protect,
   * and the URL is in the result.
   */
  async uploadSmallFile(options: UploadFileOptions & { path: string }): Promise<UploadResult | undefined> {
    const started = Date.now();
    const info = await this.getServerInfo({ signal: options.signal });
    if (!info.extensions.includes('creation-with-upload')) return undefined;
    let data: Buffer;
    try {
      data = await smallFileReader.read(options.path);
    } catch (cause) {
      if (options.signal?.aborted) throw abortedError();
      const code = (cause as NodeJS.ErrnoException).code;
      // A folder or a special file: the normal path gives the specific message.
      if (code === 'EISDIR') return undefined;
      throw fileError(options.path, cause);
    }
    if (data.length === 0 || data.length > SMALL_FILE_MAX) return undefined;
    const checksum = chooseChecksum(options.checksum ?? this.options.checksum ?? 'auto', info.checksumAlgorithms);
    if (info.maxSize !== undefined && data.length > info.maxSize)
      throw new TusError('too-large', `The upload is ${data.length} bytes but the server accepts at most ${info.maxSize} bytes (Tus-Max-Size).`, {
        url: this.endpoint,
        hint: 'Upload a smaller file, or ask the server operator to raise the limit.',
      });
    const metadata: Record<string, string> = { ...options.metadata };
    metadata.filename ??= basename(options.path);
    metadata.filetype ??= fileTypeFor(options.path);
    validateMetadata(metadata);
    const headers: Record<string, string> = {
      'Upload-Length': String(data.length),
      'Content-Type': 'application/offset+octet-stream',
      'Content-Length': String(data.length),
    };
    const md = encodeMetadata(metadata, this.resolved.metadataEncoding);
    if (md) headers['Upload-Metadata'] = md;
    if (checksum) headers['Upload-Checksum'] = await checksumHeader(checksum, data);
    if (this.resolved.rateLimiter) await this.resolved.rateLimiter.take(data.length, options.signal);
    // A buffer body: undici's own headers/body timeouts cover a stall, no per-request timer needed.
    const res = await this.transport.send('POST', this.endpoint, headers, data, options.signal);
    if (res.status !== 201 && res.status !== 200)
      throw errorFromStatus('POST', this.endpoint, res, `Creating the upload (${data.length} bytes) failed`);
    const location = res.headers['location'];
    if (!location)
      throw new TusError('http', 'The server created the upload but sent no Location header.', {
        method: 'POST',
        url: this.endpoint,
        status: res.status,
        hint: 'Behind a proxy or CORS, make sure the Location header is passed through (exposed).',
      });
    const url = resolveLocation(location, this.endpoint);
    const rawOffset = res.headers['upload-offset'];
    const offset = rawOffset === undefined ? 0 : Number(rawOffset);
    if (!Number.isInteger(offset) || offset < 0 || offset > data.length)
      throw new TusError('http', `The server answered offset ${rawOffset} to a creation with ${data.length} bytes.`, {
        method: 'POST',
        url: this.endpoint,
        status: res.status,
        retryable: true,
        hint: 'The server or a proxy misbehaves; the upload is tried again.',
      });
    options.onEvent?.({ type: 'created', url, deferredLength: false });
    // Only when bytes follow is there something for a durable URL to protect; a complete upload's URL is in the result.
    if (offset < data.length) await options.onUploadUrl?.(url);
    if (offset > 0) {
      options.onProgress?.(offset, data.length);
      options.onChunkComplete?.(offset, data.length);
    }
    // The server kept only part of the body: continue like any other upload.
    if (offset < data.length) return this.uploadFile({ ...options, uploadUrl: url, onUploadUrl: undefined });
    const elapsedMs = Date.now() - started;
    return {
      url,
      offset,
      size: data.length,
      complete: true,
      checksum,
      stats: {
        bytesUploaded: data.length,
        chunksUploaded: 1,
        retries: 0,
        elapsedMs,
        averageSpeed: elapsedMs > 0 ? (data.length * 1000) / elapsedMs : data.length,
        currentSpeed: 0,
      },
    };
  }

  /** Continues the upload at `uploadUrl` from the server's offset (a new upload when it is gone). */
  async resumeUpload(options: UploadFileOptions & { uploadUrl: string }): Promise<UploadResult> {
    parseHttpUrl(options.uploadUrl, 'upload URL');
    return this.uploadFile(options);
  }

  /** Stored uploads of this source (by fingerprint); empty when no URL storage is attached. */
  async findPreviousUploads(options: { path?: string; stream?: UploadFileOptions['stream'] }): Promise<PreviousUpload[]> {
    if (!this.urlStorage || !options.path) return [];
    const source = await openFileSource(options.path);
    try {
      const fp = await (this.options.fingerprinter ?? new DefaultFingerprinter()).fingerprint(source.descriptor, this.endpoint);
      if (!fp) return [];
      return (await this.urlStorage.list()).filter((e) => e.fingerprint === fp).map((e) => ({ fingerprint: e.fingerprint, uploadUrl: e.url }));
    } finally {
      await source.close();
    }
  }

  /** Creates and fully uploads one partial upload (concatenation); returns its URL. */
  async createPartialUpload(options: UploadFileOptions): Promise<string> {
    const info = await this.getServerInfo({ signal: options.signal });
    requireExtension(info, 'concatenation', 'Partial uploads');
    const uploader = await this.createUploader({ ...options, stopAt: undefined }, { partial: true });
    try {
      return (await uploader.upload()).url;
    } finally {
      await uploader.close();
    }
  }

  /** Concatenates finished partial uploads (in order) into one final upload; returns its URL. */
  async createFinalUpload(partialUrls: string[], metadata: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
    const info = await this.getServerInfo({ signal });
    requireExtension(info, 'concatenation', 'Concatenating uploads');
    if (partialUrls.length === 0)
      throw new TusError('invalid-argument', 'createFinalUpload needs at least one partial upload URL.', { hint: 'Pass the URLs of the partial uploads in order.' });
    const headers: Record<string, string> = { 'Upload-Concat': `final;${partialUrls.join(' ')}` };
    const md = encodeMetadata(metadata, this.resolved.metadataEncoding);
    if (md) headers['Upload-Metadata'] = md;
    return this.withRetry(async () => {
      const res = await this.transport.send('POST', this.endpoint, headers, undefined, signal);
      return this.locationOf(res, 'Concatenating the partial uploads failed');
    }, signal);
  }

  /** Creates an upload whose length is declared later (deferred length); returns its URL. */
  async createDeferredUpload(metadata: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
    const info = await this.getServerInfo({ signal });
    requireExtension(info, 'creation-defer-length', 'Uploads of unknown length');
    const headers: Record<string, string> = { 'Upload-Defer-Length': '1' };
    const md = encodeMetadata(metadata, this.resolved.metadataEncoding);
    if (md) headers['Upload-Metadata'] = md;
    return this.withRetry(async () => {
      const res = await this.transport.send('POST', this.endpoint, headers, undefined, signal);
      return this.locationOf(res, 'Creating the upload failed');
    }, signal);
  }

  /** Deletes an upload (termination extension; a clear `unsupported` error when the server lacks it). */
  async deleteUpload(uploadUrl: string, signal?: AbortSignal): Promise<void> {
    parseHttpUrl(uploadUrl, 'upload URL');
    const info = await this.getServerInfo({ signal });
    requireExtension(info, 'termination', 'Deleting uploads');
    await this.withRetry(async () => {
      const res = await this.transport.send('DELETE', uploadUrl, {}, undefined, signal);
      if (res.status !== 204 && res.status !== 200) throw errorFromStatus('DELETE', uploadUrl, res, 'Deleting the upload failed');
    }, signal);
  }

  /** HEAD of an upload: offset, length, completeness, metadata, expiry. */
  async getUploadInfo(uploadUrl: string, signal?: AbortSignal): Promise<UploadInfo> {
    parseHttpUrl(uploadUrl, 'upload URL');
    return this.withRetry(async () => {
      const res = await this.transport.send('HEAD', uploadUrl, {}, undefined, signal);
      if (res.status < 200 || res.status >= 300) throw errorFromStatus('HEAD', uploadUrl, res, 'Asking for the upload failed');
      const h = res.headers;
      const offset = Number(h['upload-offset']);
      if (!Number.isInteger(offset) || offset < 0)
        throw new TusError('not-tus', 'The answer has no valid Upload-Offset header.', {
          method: 'HEAD',
          url: uploadUrl,
          status: res.status,
          hint: 'Check that this is a tus upload URL (and that a proxy passes the Upload-Offset header).',
        });
      const length = h['upload-length'] !== undefined ? Number(h['upload-length']) : undefined;
      const expires = h['upload-expires'] ? new Date(h['upload-expires']) : undefined;
      return {
        offset,
        length,
        complete: length !== undefined && offset >= length,
        metadata: parseMetadata(h['upload-metadata'], this.resolved.metadataEncoding),
        expires: expires && !Number.isNaN(expires.getTime()) ? expires : undefined,
        deferredLength: h['upload-defer-length'] === '1',
      };
    }, signal);
  }

  /** An Uploader for chunk-by-chunk control (the file is opened now; call `close()` on it when done). */
  async createUploader(options: UploadFileOptions, extra: { partial?: boolean; range?: { start: number; end: number } } = {}): Promise<Uploader> {
    if ((options.path === undefined) === (options.stream === undefined))
      throw new TusError('invalid-argument', 'Give exactly one of path and stream.', { hint: 'Pass the file path, or a readable stream.' });
    if (options.stopAt !== undefined && (!Number.isInteger(options.stopAt) || options.stopAt < 0))
      throw new TusError('invalid-argument', `stopAt must be a non-negative integer byte offset, got ${options.stopAt}.`, {
        hint: 'Give a whole number of bytes (or leave it out to upload everything).',
      });
    if (options.uploadUrl !== undefined) parseHttpUrl(options.uploadUrl, 'upload URL');
    const metadata: Record<string, string> = { ...options.metadata };
    if (options.path !== undefined && !extra.partial) {
      metadata.filename ??= basename(options.path);
      metadata.filetype ??= fileTypeFor(options.path);
    }
    validateMetadata(metadata);
    const chunkSize = options.chunkSize ?? this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!(chunkSize > 0))
      throw new TusError('invalid-argument', `chunkSize must be a positive number of bytes, got ${chunkSize}.`, { hint: 'Use for example 8 MiB.' });
    const source: UploadSource =
      options.path !== undefined
        ? await openFileSource(options.path, extra.range)
        : new StreamSource(options.stream as NonNullable<UploadFileOptions['stream']>, options.size);
    try {
      const info = await this.getServerInfo({ signal: options.signal });
      const checksum = chooseChecksum(options.checksum ?? this.options.checksum ?? 'auto', info.checksumAlgorithms);
      if (info.maxSize !== undefined && source.size !== undefined && source.size > info.maxSize)
        throw new TusError('too-large', `The upload is ${source.size} bytes but the server accepts at most ${info.maxSize} bytes (Tus-Max-Size).`, {
          url: this.endpoint,
          hint: 'Upload a smaller file, or ask the server operator to raise the limit.',
        });
      if (source.deferred && !options.uploadUrl) requireExtension(info, 'creation-defer-length', 'Uploading a stream of unknown length');
      let url = options.uploadUrl;
      let fingerprint: string | undefined;
      if (this.urlStorage && !extra.partial) {
        fingerprint = await (this.options.fingerprinter ?? new DefaultFingerprinter()).fingerprint(source.descriptor, this.endpoint);
        if (fingerprint && !url) url = await this.urlStorage.get(fingerprint);
      }
      return new Uploader(
        { transport: this.transport, endpoint: this.endpoint, options: this.resolved, serverInfo: () => this.getServerInfo(), urlStorage: this.urlStorage },
        {
          source,
          url,
          restartable: url !== undefined && options.path !== undefined,
          metadata,
          chunkSize,
          checksum,
          stopAt: options.stopAt,
          partial: extra.partial,
          creationWithUpload: this.options.creationWithUpload ?? true,
          fingerprint,
          signal: options.signal,
          onProgress: options.onProgress,
          onChunkComplete: options.onChunkComplete,
          onEvent: options.onEvent,
          onUploadUrl: options.onUploadUrl,
        },
      );
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  private async uploadParallel(options: UploadFileOptions, parts: number): Promise<UploadResult> {
    if (options.path === undefined)
      throw new TusError('invalid-argument', 'Parallel uploads need a file path: a stream cannot be split.', { hint: 'Pass path, or set parallelUploads to 1.' });
    if (options.stopAt !== undefined)
      throw new TusError('invalid-argument', 'Parallel uploads cannot stop early (stopAt).', { hint: 'Leave out stopAt, or set parallelUploads to 1.' });
    const info = await this.getServerInfo({ signal: options.signal });
    requireExtension(info, 'concatenation', 'Parallel uploads');
    const probe = await openFileSource(options.path);
    const size = probe.size;
    await probe.close();
    const n = Math.max(1, Math.min(parts, Math.ceil(size / (64 * 1024)) || 1));
    const partSize = Math.ceil(size / n);
    const inner = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, inner.signal]) : inner.signal;
    const sent = new Array<number>(n).fill(0);
    const started = Date.now();
    let retries = 0;
    const urls = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const start = Math.min(size, i * partSize);
        const end = Math.min(size, start + partSize);
        const uploader = await this.createUploader(
          {
            path: options.path,
            chunkSize: options.chunkSize,
            checksum: options.checksum,
            signal,
            onEvent: (e) => {
              if (e.type === 'retry') retries++;
              options.onEvent?.(e);
            },
            onProgress: (bytes) => {
              sent[i] = bytes;
              options.onProgress?.(sent.reduce((a, b) => a + b, 0), size);
            },
          },
          { partial: true, range: { start, end } },
        );
        try {
          return (await uploader.upload()).url;
        } catch (err) {
          inner.abort();
          throw err;
        } finally {
          await uploader.close();
        }
      }),
    );
    const metadata: Record<string, string> = { filename: basename(options.path), filetype: fileTypeFor(options.path), ...options.metadata };
    const url = await this.createFinalUpload(urls, metadata, options.signal);
    await options.onUploadUrl?.(url);
    options.onChunkComplete?.(size, size);
    const elapsedMs = Date.now() - started;
    return {
      url,
      offset: size,
      size,
      complete: true,
      checksum: chooseChecksum(options.checksum ?? this.options.checksum ?? 'auto', info.checksumAlgorithms),
      stats: {
        bytesUploaded: size,
        chunksUploaded: n,
        retries,
        elapsedMs,
        averageSpeed: elapsedMs > 0 ? (size * 1000) / elapsedMs : 0,
        currentSpeed: 0,
      },
    };
  }

  private locationOf(res: { status: number; headers: Record<string, string>; body: string }, what: string): string {
    if (res.status !== 201 && res.status !== 200) throw errorFromStatus('POST', this.endpoint, res, what);
    const loc = res.headers['location'];
    if (!loc)
      throw new TusError('http', `${what}: the server sent no Location header.`, {
        method: 'POST',
        url: this.endpoint,
        status: res.status,
        hint: 'Behind a proxy or CORS, make sure the Location header is passed through.',
      });
    return resolveLocation(loc, this.endpoint);
  }

  /** Runs a one-request operation with the client's retry policy. */
  private async withRetry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isTusError(err) || !shouldRetry(err, attempt, this.resolved)) throw err;
        await sleep(retryWait(err, attempt, this.resolved.retryDelay), signal);
      }
    }
  }
}

function requireExtension(info: ServerInfo, extension: string, what: string): void {
  if (!info.extensions.includes(extension))
    throw new TusError('unsupported', `${what} need the server's "${extension}" extension, which it does not advertise.`, {
      url: info.endpoint,
      hint: info.extensions.length ? `It supports: ${info.extensions.join(', ')}.` : 'It advertises no extensions.',
    });
}

/**
 * Tusk's own HTTP/1.1 stack (see http1.ts for why), or undici's when the environment says `TUSK_HTTP_STACK=undici`:
 * an escape hatch for a server or network where the small stack misbehaves, without a new release.
 */
export function defaultHttpStack(options: UndiciHttpStackOptions): HttpStack {
  // Http1Stack speaks to servers directly only; through a proxy undici does it (absolute-form requests, CONNECT).
  return process.env.TUSK_HTTP_STACK === 'undici' || options.proxy ? new UndiciHttpStack(options) : new Http1Stack(options);
}
