/**
 * Public types of Tusk's tus protocol engine. This file is the engine's contract with the queue, the CLI and tests:
 * change it deliberately. Everything here runs on plain Node 20 and on Electron's Node 22 (no Electron imports).
 *
 * Names follow the seed Python client (`TusClient`, `Uploader`) in camelCase. Durations are milliseconds (the JS
 * convention, as in tus-js-client) where the seed used seconds; the CLI takes seconds and converts.
 */
import type { Readable } from 'node:stream';
import type { TusError } from './errors';

/** Checksum algorithms of the tus checksum extension that Tusk can compute. */
export type ChecksumAlgorithm = 'sha1' | 'sha256' | 'sha512' | 'md5';

/**
 * `'auto'` (default): the strongest algorithm the server advertises (sha512 > sha256 > sha1 > md5), none when it
 * advertises none. `true`: sha1, as in the seed. A named algorithm: that one, and a clear error before any upload
 * when the server does not advertise it. `false`/`'none'`: no checksums.
 */
export type ChecksumOption = boolean | 'auto' | 'none' | ChecksumAlgorithm;

/** What `onBeforeRequest` sees; headers may be changed in place (for example to add a fresh token). */
export interface RequestInfo {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** What `onAfterResponse` sees. */
export interface ResponseInfo {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  /** How long the request took, from sending its head to the end of the answer (ms). */
  elapsedMs: number;
}

/** Persists upload URLs by fingerprint so a later process can resume (seed: `URLStorage`). */
export interface UrlStorage {
  get(fingerprint: string): Promise<string | undefined>;
  set(fingerprint: string, url: string): Promise<void>;
  remove(fingerprint: string): Promise<void>;
  /** Every stored entry, for `findPreviousUploads` and listing. */
  list(): Promise<Array<{ fingerprint: string; url: string }>>;
}

/** Describes what is being uploaded, for fingerprinting. */
export type SourceDescriptor = { kind: 'file'; path: string; size: number; mtimeMs: number } | { kind: 'stream' };

/** Identifies a source across processes (seed: `Fingerprint`). Return `undefined` when it cannot be fingerprinted. */
export interface Fingerprinter {
  fingerprint(source: SourceDescriptor, endpoint: string): Promise<string | undefined>;
}

/** A token bucket shared by uploads (the queue's global bandwidth limit). `take` resolves when `bytes` may be sent. */
export interface RateLimiter {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
  /**
   * False while there is no limit (checked before every 512 KiB read block): the body then goes out in whole blocks
   * without asking `take`; true or absent means 64 KiB slices, each taken from the limiter first, for a smooth limit.
   */
  readonly active?: boolean;
}

/** Options of a `TusClient` (seed: `TusClient(...)` parameters). */
export interface TusClientOptions {
  /** The creation URL (seed: `url`). */
  endpoint: string;
  /** Bytes per PATCH request. Default 8 MiB (the seed's 1 MiB costs a round trip per MiB); `Infinity` = one PATCH. */
  chunkSize?: number;
  /** Default `'auto'`. */
  checksum?: ChecksumOption;
  /** Verify TLS certificates (default true). Turning it off is a per-server decision a person makes. */
  verifyTls?: boolean;
  /** Extra trusted CA certificates (PEM), for servers with a private CA. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Forward proxy, `http://[user:password@]host:port` (or https://). Default: from the environment (`HTTPS_PROXY` for
   * https endpoints, `HTTP_PROXY` for http ones, `NO_PROXY` exceptions); `false`: never. Loopback endpoints are always
   * reached directly. Requests through a proxy use the undici stack (see docs/engine.md).
   */
  proxy?: string | false;
  /** Encoding of metadata values before base64 (default utf-8). */
  metadataEncoding?: BufferEncoding;
  /** Persist upload URLs by fingerprint for cross-session resume (default false). */
  storeUrl?: boolean;
  /** Where URLs are stored; a file-backed storage is created when `storeUrl` is on and this is unset. */
  urlStorage?: UrlStorage;
  /** Default: path + size + mtime + endpoint, hashed. `PartialMd5Fingerprinter` matches other tus clients. */
  fingerprinter?: Fingerprinter;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** Retries per chunk after a retryable failure (default 3; 0 disables; `Infinity` waits for the network forever). */
  maxRetries?: number;
  /** Base delay between retries in ms (default 1000); exponential backoff with jitter, capped at 60 s. */
  retryDelay?: number;
  /** Per-request socket inactivity timeout in ms (default 30 000). */
  timeout?: number;
  /** A PATCH that gets no bytes acknowledged (nothing written to the socket) for this long is aborted and retried (default = timeout). */
  stallTimeout?: number;
  /** Use creation-with-upload when the server advertises it (default true). The queue turns it off so a URL is durable before the first byte. */
  creationWithUpload?: boolean;
  /** Called before every HTTP request (seed: `before_request`). */
  onBeforeRequest?: (request: RequestInfo) => void | Promise<void>;
  /** Called after every HTTP response (seed: `after_response`). */
  onAfterResponse?: (response: ResponseInfo) => void | Promise<void>;
  /** Consulted before every retry; return false to fail now (seed: `on_should_retry`). */
  onShouldRetry?: (error: TusError, attempt: number) => boolean;
  /** Shared bandwidth limiter, applied to body bytes as they are sent. */
  rateLimiter?: RateLimiter;
}

/** Things that happen during an upload that a person may want to see (the queue shows them per job). */
export type UploadEvent =
  | { type: 'created'; url: string; deferredLength: boolean }
  | { type: 'resumed'; url: string; offset: number }
  /** A stored/previous upload could not be used (404/410, expired, source changed): a new upload was started. */
  | { type: 'restarted'; previousUrl: string; reason: string }
  | { type: 'retry'; attempt: number; delayMs: number; error: TusError }
  | { type: 'offset-corrected'; from: number; to: number }
  | { type: 'checksum-mismatch'; offset: number; attempt: number }
  /**
   * The upload was created but its URL could not be saved in the URL storage (a full disk, a read-only folder): the
   * upload goes on, but a later run will not find it by fingerprint; resume it by its `url`.
   */
  | { type: 'url-not-stored'; url: string; error: TusError };

/** Options of one upload (seed: `upload_file(...)`). Exactly one of `path` and `stream` is required. */
export interface UploadFileOptions {
  path?: string;
  /** A stream of unknown or known length; uploaded with deferred length when `size` is not given. */
  stream?: Readable;
  /** Length of `stream` when known. */
  size?: number;
  /** Upload metadata. For files, `filename` and `filetype` are added when absent. */
  metadata?: Record<string, string>;
  /** Called as bytes are sent: (bytes sent so far including in-flight, total or undefined when deferred). */
  onProgress?: (bytesSent: number, bytesTotal: number | undefined) => void;
  /** Called when the server has acknowledged a chunk: (server offset, total). */
  onChunkComplete?: (offset: number, bytesTotal: number | undefined) => void;
  onEvent?: (event: UploadEvent) => void;
  /** Awaited after the upload is created and before any PATCH: the queue makes the URL durable here. */
  onUploadUrl?: (url: string) => void | Promise<void>;
  /** Stop once the server offset reaches this byte; clamped to the size. The upload stays resumable. */
  stopAt?: number;
  /** >1: split into ranges uploaded as partial uploads in parallel and concatenated (needs `concatenation`). */
  parallelUploads?: number;
  /** Resume this upload URL instead of creating one (404/410 → a new upload and a `restarted` event). */
  uploadUrl?: string;
  /** Cancels within 100 ms; the upload stays resumable on the server. Rejects with a TusError of code `aborted`. */
  signal?: AbortSignal;
  /** Overrides of the client's chunk size and checksum for this upload. */
  chunkSize?: number;
  checksum?: ChecksumOption;
}

/** Snapshot of an uploader's progress (seed: `UploadStats`). Speeds in bytes/s, times in ms. */
export interface UploadStats {
  bytesUploaded: number;
  chunksUploaded: number;
  retries: number;
  elapsedMs: number;
  averageSpeed: number;
  currentSpeed: number;
}

/** What a finished (or `stopAt`-stopped) upload returns. */
export interface UploadResult {
  /** The tus upload URL. */
  url: string;
  /** The `Location` of the final PATCH response when the server sent one (Plone: the created content). */
  resultUrl?: string;
  /** Server offset at the end. */
  offset: number;
  /** Total length (undefined only for a deferred upload stopped early). */
  size: number | undefined;
  complete: boolean;
  /** The checksum algorithm used, if any. */
  checksum?: ChecksumAlgorithm;
  stats: UploadStats;
}

/** `getUploadInfo` (HEAD). */
export interface UploadInfo {
  offset: number;
  length: number | undefined;
  complete: boolean;
  metadata: Record<string, string>;
  /** Parsed `Upload-Expires`, when sent. */
  expires?: Date;
  deferredLength: boolean;
}

/** `getServerInfo` (OPTIONS). Missing headers are tolerated: `version` falls back to 1.0.0. */
export interface ServerInfo {
  endpoint: string;
  /** `Tus-Resumable` / first `Tus-Version` entry. */
  version: string;
  versions: string[];
  extensions: string[];
  maxSize: number | undefined;
  checksumAlgorithms: string[];
  /** The status OPTIONS answered with (200 and 204 are both fine). */
  status: number;
}

/** Machine-readable reason of a TusError. */
export type TusErrorCode =
  | 'invalid-argument' // bad option or input (metadata key, stopAt, parallel without concatenation…)
  | 'invalid-url' // malformed endpoint or upload URL
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout' // socket inactivity or stall
  | 'not-tus' // the server does not speak tus
  | 'unsupported' // a required extension or checksum algorithm is not advertised
  | 'too-large' // 413 or beyond Tus-Max-Size
  | 'version' // 412
  | 'conflict' // 409 that could not be reconciled
  | 'locked' // 423
  | 'rate-limited' // 429 (waits for the server's Retry-After)
  | 'checksum-mismatch' // 460 more often than retries allow
  | 'not-found' // 404/410
  | 'forbidden' // 401/403
  | 'server' // 5xx
  | 'http' // other unexpected status
  | 'source-missing'
  | 'source-unreadable'
  | 'source-changed'
  | 'url-storage' // the stored upload URLs (resume information, `storeUrl`) could not be read or written
  | 'aborted';

/** The one error type of the engine (like tus-js-client's DetailedError); defined in errors.ts. */
export { TusError } from './errors';
