import { TusError, abortedError, errorFromStatus, isTusError } from './errors';
import { BUFFERED_BODY_MAX, BodyReadAhead, CHECKSUMMED_BODY_MAX } from './body-read-ahead';
import { encodeMetadata } from './metadata';
import { retryWait, shouldRetry } from './retry';
import { SLICE_SIZE, type UploadSource } from './sources';
import { Transport, sleep } from './transport';
import { resolveLocation } from './url';
import type {
  ChecksumAlgorithm,
  RateLimiter,
  ServerInfo,
  TusClientOptions,
  UploadEvent,
  UploadResult,
  UploadStats,
  UrlStorage,
} from './types';

/** How often a 460 (checksum mismatch) chunk is resent before giving up. */
const MAX_CHECKSUM_RESENDS = 3;
/** How often a 409 is reconciled with a HEAD per chunk before giving up. */
const MAX_CONFLICTS = 5;

/** What an Uploader needs from its client. */
export interface UploaderContext {
  transport: Transport;
  endpoint: string;
  options: ResolvedOptions;
  /** OPTIONS of the endpoint (cached by the client). */
  serverInfo: () => Promise<ServerInfo>;
  urlStorage?: UrlStorage;
}

/** Client options with defaults applied. */
export type ResolvedOptions = Required<Pick<TusClientOptions, 'maxRetries' | 'retryDelay' | 'timeout' | 'stallTimeout' | 'metadataEncoding'>> &
  Pick<TusClientOptions, 'onShouldRetry' | 'rateLimiter'>;

/** One upload's settings (the client derives them from `UploadFileOptions`). */
export interface UploaderInit {
  source: UploadSource;
  /** An existing upload to continue; undefined = create one. */
  url?: string;
  /** Whether a 404/410 or a length mismatch on `url` may start a new upload (stored or user-given URLs). */
  restartable?: boolean;
  metadata?: Record<string, string>;
  chunkSize: number;
  checksum?: ChecksumAlgorithm;
  stopAt?: number;
  /** Creates a partial upload (concatenation extension). */
  partial?: boolean;
  creationWithUpload?: boolean;
  fingerprint?: string;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number, bytesTotal: number | undefined) => void;
  onChunkComplete?: (offset: number, bytesTotal: number | undefined) => void;
  onEvent?: (event: UploadEvent) => void;
  onUploadUrl?: (url: string) => void | Promise<void>;
}

/**
 * Uploads one source chunk by chunk (seed: `Uploader`). `uploadChunk()` sends one chunk (creating or resuming the
 * upload first) and says whether more remain; `upload()` runs to the end or to `stopAt`. Retries, 409 and 460 are
 * handled inside each call.
 */
export class Uploader {
  /** The upload URL once known. */
  url: string | undefined;
  /** The server's offset (undefined until created or asked). */
  private serverOffset: number | undefined;
  /** `Location` of the final PATCH, when the server sent one. */
  resultUrl: string | undefined;
  /** Parsed `Upload-Expires` of the latest answer. */
  expires: Date | undefined;
  private lengthDeclared: boolean;
  private attempt = 0;
  private attemptOffset = -1;
  private retries = 0;
  private chunks = 0;
  private bytesUploaded = 0;
  private readonly startedAt = Date.now();
  private speedAt = Date.now();
  private speedBytes = 0;
  private speed = 0;
  private urlAnnounced = false;
  /** Set by `close()`: the source is released, so nothing more can be sent. */
  private closed = false;
  private readonly stopAt: number | undefined;
  /** Request bodies read whole ahead (plain ones up to BUFFERED_BODY_MAX, checksummed ones hashed as they are read). */
  private readonly bodies: BodyReadAhead;

  constructor(
    private readonly ctx: UploaderContext,
    private readonly init: UploaderInit,
  ) {
    this.url = init.url;
    this.bodies = new BodyReadAhead(init.source);
    this.lengthDeclared = !init.source.deferred;
    if (init.stopAt !== undefined) {
      if (!Number.isInteger(init.stopAt) || init.stopAt < 0)
        throw new TusError('invalid-argument', `stopAt must be a non-negative integer byte offset, got ${init.stopAt}.`, {
          hint: 'Give a whole number of bytes (or leave it out to upload everything).',
        });
      this.stopAt = init.source.size !== undefined ? Math.min(init.stopAt, init.source.size) : init.stopAt;
    }
    if (!(init.chunkSize > 0))
      throw new TusError('invalid-argument', `chunkSize must be a positive number of bytes, got ${init.chunkSize}.`, {
        hint: 'Use for example 8 MiB (8388608), or Infinity for one request.',
      });
  }

  /** The server offset as last known (0 before the upload exists). */
  get offset(): number {
    return this.serverOffset ?? 0;
  }

  /** True once the server holds every byte and knows the length. */
  get isComplete(): boolean {
    const size = this.init.source.size;
    return this.serverOffset !== undefined && size !== undefined && this.lengthDeclared && this.serverOffset >= size;
  }

  /** A snapshot of progress (seed: `UploadStats`). */
  get stats(): UploadStats {
    const elapsedMs = Date.now() - this.startedAt;
    return {
      bytesUploaded: this.bytesUploaded,
      chunksUploaded: this.chunks,
      retries: this.retries,
      elapsedMs,
      averageSpeed: elapsedMs > 0 ? (this.bytesUploaded * 1000) / elapsedMs : 0,
      currentSpeed: this.speed,
    };
  }

  private get stopped(): boolean {
    return this.stopAt !== undefined && this.serverOffset !== undefined && this.serverOffset >= this.stopAt;
  }

  /**
   * Sends one chunk (creating or resuming the upload first when needed; with creation-with-upload the creation carries
   * the first chunk); resolves to true while more remain.
   */
  async uploadChunk(): Promise<boolean> {
    if (this.closed)
      throw new TusError('invalid-argument', 'This uploader was closed; it cannot send more.', {
        url: this.url,
        hint: 'Create a new uploader (with uploadUrl to continue this upload).',
      });
    let conflicts = 0;
    let mismatches = 0;
    for (;;) {
      this.throwIfAborted();
      try {
        const chunksBefore = this.chunks;
        await this.ensureUpload();
        // A creation that carried the first bytes (creation-with-upload) was this call's chunk: one chunk per call.
        if (this.chunks === chunksBefore && !this.isComplete && !this.stopped) await this.patch();
        return !this.isComplete && !this.stopped;
      } catch (raw) {
        if (this.init.signal?.aborted) throw abortedError(this.url);
        const err = toTusError(raw, this.url);
        if (err.code === 'conflict' && err.status === 409 && conflicts < MAX_CONFLICTS) {
          conflicts++;
          const from = this.offset;
          try {
            await this.head();
          } catch {
            // Asked again on the next round (ensureUpload), with the normal retry policy.
            this.serverOffset = undefined;
            continue;
          }
          if (this.offset !== from) this.emit({ type: 'offset-corrected', from, to: this.offset });
          continue;
        }
        if (err.code === 'checksum-mismatch' && mismatches < MAX_CHECKSUM_RESENDS) {
          mismatches++;
          this.emit({ type: 'checksum-mismatch', offset: this.offset, attempt: mismatches });
          continue;
        }
        if (err.code === 'checksum-mismatch')
          throw new TusError('checksum-mismatch', `The server rejected the chunk at byte ${this.offset} ${mismatches + 1} times: its checksum did not match.`, {
            method: err.method,
            url: err.url,
            status: err.status,
            serverMessage: err.serverMessage,
            hint: 'Something between you and the server corrupts data; check proxies or try another network.',
          });
        if (this.offset > this.attemptOffset) {
          this.attempt = 0;
          this.attemptOffset = this.offset;
        }
        if (!shouldRetry(err, this.attempt, { maxRetries: this.ctx.options.maxRetries, onShouldRetry: this.ctx.options.onShouldRetry }))
          throw err;
        const delayMs = retryWait(err, this.attempt, this.ctx.options.retryDelay);
        this.attempt++;
        this.retries++;
        this.emit({ type: 'retry', attempt: this.attempt, delayMs, error: err });
        await sleep(delayMs, this.init.signal);
        // The failed request may have stored part of its body: ask before sending again.
        if (this.url) this.serverOffset = undefined;
      }
    }
  }

  /** Uploads until complete (or `stopAt`), then returns the result. */
  async upload(): Promise<UploadResult> {
    while (await this.uploadChunk()) {
      /* each call sends one chunk */
    }
    return this.result();
  }

  /** The result as it stands. */
  result(): UploadResult {
    if (!this.url) throw new TusError('invalid-argument', 'The upload has not been created yet.', { hint: 'Call uploadChunk() or upload() first.' });
    return {
      url: this.url,
      resultUrl: this.resultUrl,
      offset: this.offset,
      size: this.init.source.size,
      complete: this.isComplete,
      checksum: this.init.checksum,
      stats: this.stats,
    };
  }

  /** Releases the source's file handle; later `uploadChunk` calls fail. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.init.source.close();
  }

  private emit(event: UploadEvent): void {
    this.init.onEvent?.(event);
  }

  private throwIfAborted(): void {
    if (this.init.signal?.aborted) throw abortedError(this.url);
  }

  /** Creates the upload, or learns the server's offset of an existing one (restarting when it is gone). */
  private async ensureUpload(): Promise<void> {
    if (!this.url) {
      await this.create();
    } else if (this.serverOffset === undefined) {
      const first = !this.urlAnnounced;
      try {
        await this.head();
      } catch (raw) {
        const err = toTusError(raw, this.url);
        if (!(this.init.restartable && err.code === 'not-found') || !first) throw err;
        await this.restart(`the server no longer has it (${err.status})`);
        return;
      }
      if (first && this.init.restartable && this.restartReason) {
        await this.restart(this.restartReason);
        return;
      }
      if (first) this.emit({ type: 'resumed', url: this.url, offset: this.offset });
    }
    if (!this.urlAnnounced && this.url) {
      this.urlAnnounced = true;
      await this.init.onUploadUrl?.(this.url);
    }
  }

  private restartReason: string | undefined;

  private async restart(reason: string): Promise<void> {
    const previousUrl = this.url ?? '';
    this.url = undefined;
    this.serverOffset = undefined;
    this.restartReason = undefined;
    // The entry is replaced once the new upload exists (storeUrl); failing to drop it now must not stop the upload.
    if (this.init.fingerprint) await this.ctx.urlStorage?.remove(this.init.fingerprint).catch(() => undefined);
    this.emit({ type: 'restarted', previousUrl, reason });
    await this.create();
    if (!this.urlAnnounced && this.url) {
      this.urlAnnounced = true;
      await this.init.onUploadUrl?.(this.url);
    }
  }

  /** HEAD: the server's offset and length. With `reconcile`, an unexpected answer is an error too. */
  private async head(): Promise<void> {
    const url = this.url as string;
    const res = await this.ctx.transport.send('HEAD', url, {}, undefined, this.init.signal);
    if (res.status < 200 || res.status >= 300) throw errorFromStatus('HEAD', url, res, 'Asking for the upload offset failed');
    const offset = parseOffset(res.headers['upload-offset'], 'HEAD', url);
    const length = res.headers['upload-length'];
    const size = this.init.source.size;
    if (length !== undefined) {
      this.lengthDeclared = true;
      if (size !== undefined && Number(length) !== size && this.init.restartable)
        this.restartReason = `its length (${length}) differs from the source's size (${size})`;
      else if (size !== undefined && Number(length) !== size)
        throw new TusError('source-changed', `The upload at ${url} is ${length} bytes long but the source has ${size}.`, {
          hint: 'Upload the file as a new upload; it is not the one this URL was created for.',
        });
    }
    const holds = length !== undefined ? Number(length) : size;
    if (holds !== undefined && offset > holds)
      throw new TusError('http', `The server reports ${offset} bytes received for an upload of ${holds} bytes: more than there are.`, {
        method: 'HEAD',
        url,
        status: res.status,
        hint: 'The server (or a proxy) misbehaves; what it stored cannot be trusted. Delete the upload and upload the file again.',
      });
    this.parseExpires(res.headers);
    this.setOffset(offset);
  }

  private setOffset(offset: number): void {
    this.serverOffset = offset;
    if (offset > this.attemptOffset) {
      this.attempt = 0;
      this.attemptOffset = offset;
    }
  }

  private parseExpires(headers: Record<string, string>): void {
    const raw = headers['upload-expires'];
    if (!raw) return;
    const d = new Date(raw);
    if (!Number.isNaN(d.getTime())) this.expires = d;
  }

  /** Bytes per request: the chunk size, capped when the body must be hashed first (see CHECKSUMMED_BODY_MAX). */
  private get maxBody(): number {
    return this.init.checksum ? Math.min(this.init.chunkSize, CHECKSUMMED_BODY_MAX) : this.init.chunkSize;
  }

  private async create(): Promise<void> {
    const { source } = this.init;
    const info = await this.ctx.serverInfo();
    const headers: Record<string, string> = {};
    if (source.deferred) headers['Upload-Defer-Length'] = '1';
    else headers['Upload-Length'] = String(source.size);
    const metadata = encodeMetadata(this.init.metadata ?? {}, this.ctx.options.metadataEncoding);
    if (metadata) headers['Upload-Metadata'] = metadata;
    if (this.init.partial) headers['Upload-Concat'] = 'partial';
    const size = source.size ?? 0;
    const limit = this.stopAt ?? size;
    const withBody =
      this.init.creationWithUpload !== false && info.extensions.includes('creation-with-upload') && !source.deferred && limit > 0;
    const endpoint = this.ctx.endpoint;
    let res;
    let len = 0;
    if (withBody) {
      len = await source.prepare(0, Math.min(this.maxBody, limit));
      headers['Content-Type'] = 'application/offset+octet-stream';
      res = await this.sendBody('POST', endpoint, headers, 0, len);
    } else {
      res = await this.ctx.transport.send('POST', endpoint, headers, undefined, this.init.signal);
    }
    if (res.status === 413) {
      throw errorFromStatus('POST', endpoint, res, `Creating the upload (${source.size ?? 'unknown'} bytes) failed`);
    }
    if (res.status !== 201 && res.status !== 200)
      throw errorFromStatus('POST', endpoint, res, 'Creating the upload failed');
    const location = res.headers['location'];
    if (!location)
      throw new TusError('http', 'The server created the upload but sent no Location header.', {
        method: 'POST',
        url: endpoint,
        status: res.status,
        hint: 'Behind a proxy or CORS, make sure the Location header is passed through (exposed).',
      });
    this.url = resolveLocation(location, endpoint);
    this.parseExpires(res.headers);
    this.emit({ type: 'created', url: this.url, deferredLength: source.deferred });
    if (this.init.fingerprint) await this.storeUrl(this.init.fingerprint, this.url);
    const offset = withBody && res.headers['upload-offset'] !== undefined ? parseOffset(res.headers['upload-offset'], 'POST', endpoint) : 0;
    this.serverOffset = 0;
    // The creation answer's Location is the upload itself, never a result URL.
    this.afterAck(offset, {});
  }

  /**
   * Saves the new upload's URL for a later run. The upload exists on the server by now, so a storage that cannot be
   * written (a full disk, a read-only folder) does not stop it: failing here would leave it orphaned. The
   * `url-not-stored` event says so, with the URL to resume by.
   */
  private async storeUrl(fingerprint: string, url: string): Promise<void> {
    try {
      await this.ctx.urlStorage?.set(fingerprint, url);
    } catch (err) {
      const error =
        err instanceof TusError
          ? err
          : new TusError('url-storage', `The upload URL could not be stored: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
      this.emit({ type: 'url-not-stored', url, error });
    }
  }

  /** Acknowledged bytes: stats, events, the final Location. */
  private afterAck(offset: number, headers: Record<string, string>): void {
    const before = this.serverOffset ?? 0;
    this.setOffset(offset);
    if (offset > before) {
      this.bytesUploaded += offset - before;
      this.chunks++;
      this.init.onChunkComplete?.(offset, this.init.source.size);
    }
    if (this.isComplete && headers['location'] && this.url) {
      let loc: string | undefined;
      try {
        loc = resolveLocation(headers['location'], this.url);
      } catch {
        // A result URL that is not one is left out: the upload itself is complete and must not fail for it.
      }
      if (loc !== undefined && loc !== this.url) this.resultUrl = loc;
    }
    if (this.isComplete && this.init.fingerprint) void this.ctx.urlStorage?.remove(this.init.fingerprint).catch(() => undefined);
  }

  private async patch(): Promise<void> {
    const { source } = this.init;
    const url = this.url as string;
    const start = this.offset;
    const size = source.size;
    const limit = this.stopAt ?? size ?? Infinity;
    const max = Math.min(this.maxBody, limit - start);
    const len = await source.prepare(start, Number.isFinite(max) ? max : 2 ** 53 - 1);
    const headers: Record<string, string> = {
      'Upload-Offset': String(start),
      'Content-Type': 'application/offset+octet-stream',
    };
    // A deferred upload declares its length once the stream has ended (source.size is then known).
    if (!this.lengthDeclared && source.size !== undefined && start + len === source.size) headers['Upload-Length'] = String(source.size);
    if (len === 0 && !headers['Upload-Length']) return;
    const res = await this.sendBody('PATCH', url, headers, start, len);
    if (res.status !== 204 && res.status !== 200) throw errorFromStatus('PATCH', url, res, `Uploading bytes ${start}–${start + len} failed`);
    const offset = parseOffset(res.headers['upload-offset'], 'PATCH', url);
    if (offset < start || offset > start + len)
      throw new TusError('http', `The server answered offset ${offset} to a PATCH of bytes ${start}–${start + len}.`, {
        method: 'PATCH',
        url,
        status: res.status,
        retryable: true,
        hint: 'The server or a proxy misbehaves; the client will ask for the offset again.',
      });
    if (headers['Upload-Length']) this.lengthDeclared = true;
    this.parseExpires(res.headers);
    this.afterAck(offset, res.headers);
  }

  /**
   * Sends `len` bytes from `start` as the body: read whole and hashed first with a checksum (at most
   * CHECKSUMMED_BODY_MAX), read whole without one when it fits BUFFERED_BODY_MAX and the source can be read at random,
   * else streamed straight from the source. A watchdog aborts the request when nothing is written for `stallTimeout`.
   */
  private async sendBody(method: string, url: string, headers: Record<string, string>, start: number, len: number) {
    const { source, checksum } = this.init;
    headers['Content-Length'] = String(len);
    let body: AsyncIterable<Uint8Array>;
    let buffered = false;
    if (len > 0 && (checksum || (source.canReadAhead && len <= BUFFERED_BODY_MAX))) {
      const { data, header } = await this.bodies.take(checksum, start, len, { maxBody: this.maxBody, limit: this.stopAt ?? source.size ?? 0 });
      if (header) headers['Upload-Checksum'] = header;
      body = this.bodies.pieces(data);
      buffered = true;
    } else {
      body = source.slices(start, len);
    }
    // One controller per request for both the watchdog and the caller's signal (AbortSignal.any would pile up
    // listeners on the caller's long-lived signal).
    const stall = new AbortController();
    const outer = this.init.signal;
    const forward = (): void => stall.abort(outer?.reason);
    outer?.addEventListener('abort', forward, { once: true });
    if (outer?.aborted) forward();
    const signal = stall.signal;
    const stallMs = this.ctx.options.stallTimeout;
    const timer = setTimeout(() => {
      stall.abort(
        new TusError('timeout', `No bytes were accepted by the server for ${stallMs} ms.`, {
          method,
          url,
          retryable: true,
          hint: 'The connection stalled; the upload is retried and can be resumed.',
        }),
      );
    }, stallMs);
    const began = performance.now();
    try {
      const res = await this.ctx.transport.send(method, url, headers, this.metered(body, start, len, timer), signal);
      if (buffered) this.bodies.requestDone(len, performance.now() - began);
      return res;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    }
  }

  /**
   * Passes the body [start, start+len) through: refreshes the stall watchdog, reports progress, waits on the rate
   * limiter, and holds the last bytes back until the source's unchanged-check passed (a file that changed must not
   * complete this chunk on the server).
   */
  private async *metered(body: AsyncIterable<Uint8Array>, start: number, len: number, timer: NodeJS.Timeout): AsyncGenerator<Uint8Array, void, void> {
    const limiter: RateLimiter | undefined = this.ctx.options.rateLimiter;
    const { source, signal } = this.init;
    const total = source.size;
    const end = start + len;
    let sent = start;
    for await (const block of body) {
      // Under a limit, 64 KiB slices keep it smooth and fair between uploads; without one, whole blocks are cheaper.
      // Decided per block, so a limit set or lifted mid-request applies within 512 KiB.
      const limited = limiter !== undefined && limiter.active !== false;
      const step = limited ? SLICE_SIZE : block.length;
      for (let i = 0; i < block.length; i += step) {
        const slice = step >= block.length ? block : block.subarray(i, Math.min(block.length, i + step));
        if (limited) await limiter.take(slice.length, signal);
        if (sent + slice.length === end) await source.checked();
        timer.refresh();
        yield slice;
        timer.refresh();
        sent += slice.length;
        this.trackSpeed(slice.length);
        this.init.onProgress?.(sent, total);
      }
    }
    this.bodies.handedOff();
  }

  private trackSpeed(bytes: number): void {
    this.speedBytes += bytes;
    const now = Date.now();
    const dt = now - this.speedAt;
    if (dt >= 500) {
      const instant = (this.speedBytes * 1000) / dt;
      this.speed = this.speed === 0 ? instant : this.speed * 0.5 + instant * 0.5;
      this.speedAt = now;
      this.speedBytes = 0;
    }
  }
}

function parseOffset(raw: string | undefined, method: string, url: string): number {
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new TusError('http', `The server sent no valid Upload-Offset (got ${raw === undefined ? 'none' : JSON.stringify(raw)}).`, {
      method,
      url,
      hint: 'Behind a proxy or CORS, make sure the Upload-Offset header is passed through (exposed).',
    });
  return n;
}

function toTusError(raw: unknown, url: string | undefined): TusError {
  if (isTusError(raw)) return raw;
  return new TusError('network', `Unexpected failure: ${raw instanceof Error ? raw.message : String(raw)}.`, {
    url,
    cause: raw,
    retryable: false,
    hint: 'This looks like a bug in Tusk; please report it with this message.',
  });
}
