/**
 * A tus 1.0.0 server written from the protocol text (https://tus.io/protocols/resumable-upload), for tests.
 *
 * Implements these sections of the 1.0.0 specification:
 * - Core Protocol: HEAD (Upload-Offset, Upload-Length or Upload-Defer-Length, Upload-Metadata, Cache-Control:
 *   no-store; 404 for unknown and 410 for expired/terminated uploads), PATCH (Content-Type
 *   application/offset+octet-stream else 415, Upload-Offset must equal the current offset else 409, 204 with the new
 *   Upload-Offset; a body cut short still stores what arrived, as "Servers SHOULD always attempt to store as much of
 *   the received data as possible"), OPTIONS (Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm),
 *   Tus-Resumable on every request but OPTIONS (412 + Tus-Version otherwise), X-HTTP-Method-Override.
 * - Creation: POST with Upload-Length or Upload-Defer-Length: 1, Upload-Metadata (`key base64,key2 base64`), 201 +
 *   Location, 413 beyond Tus-Max-Size.
 * - Creation With Upload: a POST body of type application/offset+octet-stream is the first chunk; 201 + Upload-Offset.
 * - Creation Defer Length: Upload-Defer-Length: 1 on POST, the length set by the first PATCH carrying Upload-Length
 *   and never changed afterwards.
 * - Expiration: Upload-Expires (RFC 9110 IMF-fixdate) on POST, PATCH and HEAD of unfinished uploads; 410 afterwards.
 * - Checksum: Upload-Checksum `<algorithm> <base64 digest>` for sha1, sha256, sha512 and md5 (Tus-Checksum-Algorithm);
 *   400 for an unsupported algorithm, 460 Checksum Mismatch when the digest differs, in which case the chunk is
 *   discarded and the offset stays where it was. (Not checksum-trailer.)
 * - Termination: DELETE → 204; later requests get 410.
 * - Concatenation: `Upload-Concat: partial` on creation; `Upload-Concat: final;<url> <url>` creates the final upload
 *   as the partials' bytes in order (400 if a partial is unknown or incomplete: concatenation-unfinished is not
 *   offered), `Upload-Concat` on HEAD, 403 on PATCH to a final upload.
 *
 * Options imitate variations observed on real servers (Location style, 200/204, missing Tus-Version, metadata rules,
 * Content-Type error status, Plone's base path and final Location). Bytes live in a temp dir; state in memory, so
 * `restart()` (same port) keeps uploads like a real server restart would.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { makeTempDir, removeDir } from '../helpers/files';
import { listenOnLoopback, type LoopbackListener } from './loopback';

/** Every extension the conformance server can offer, in the order it advertises them. */
export const ALL_EXTENSIONS = [
  'creation',
  'creation-with-upload',
  'creation-defer-length',
  'expiration',
  'checksum',
  'termination',
  'concatenation',
] as const;

/** Checksum algorithms the conformance server can verify. */
export const ALL_CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'sha512', 'md5'] as const;

/** Options of `startConformanceServer`. */
export interface ConformanceServerOptions {
  /** Advertised and honoured extensions (default: all of `ALL_EXTENSIONS`). */
  extensions?: string[];
  /** Default: all of `ALL_CHECKSUM_ALGORITHMS`. */
  checksumAlgorithms?: string[];
  /** `Tus-Max-Size`; larger uploads get 413. */
  maxSize?: number;
  optionsStatus?: 200 | 204;
  headStatus?: 200 | 204;
  /** How `Location` is written (default `'absolute'`). */
  locationStyle?: 'absolute' | 'relative' | 'protocol-relative';
  /** Leave `Tus-Version` out of OPTIONS and 412 responses. */
  omitTusVersion?: boolean;
  /** 400 on creation unless metadata has both `filename` and `filetype` (tuspyserver-style). */
  requireFilenameFiletype?: boolean;
  /** Keep only `filename` and `filetype` metadata. */
  dropUnknownMetadata?: boolean;
  /** Status for a PATCH (or creation-with-upload body) with the wrong Content-Type (default 415). */
  wrongContentTypeStatus?: 400 | 406 | 415;
  /** When set, the PATCH that completes an upload answers with `Location: finalLocation(id)` (Plone). */
  finalLocation?: (id: string) => string;
  /** Creation endpoint path (default `/files`); uploads live at `<basePath>/<id>`. */
  basePath?: string;
  /** Unfinished uploads expire this long after creation (default 24 h); 0 disables Upload-Expires. */
  expiresInMs?: number;
  /** Send CORS headers (Access-Control-Allow-Origin, -Expose-Headers…) and answer preflights. */
  corsExposeHeaders?: boolean;
  /** Storage directory (default: a temp dir removed on close). */
  dir?: string;
}

/** What the server knows about one upload. */
export interface ConformanceUpload {
  id: string;
  offset: number;
  length: number | undefined;
  metadata: Record<string, string>;
  concat: 'partial' | 'final' | undefined;
  /** Ids of the partial uploads of a final upload, in order. */
  parts: string[];
  complete: boolean;
  expires: Date | undefined;
}

/** One request as the server answered it (for assertions). */
export interface LoggedRequest {
  /** Effective method (after X-HTTP-Method-Override). */
  method: string;
  url: string;
  headers: Record<string, string>;
  status: number;
}

/** A running conformance server. */
export interface ConformanceServer {
  /** Full creation URL. */
  endpoint: string;
  origin: string;
  port: number;
  dir: string;
  close(): Promise<void>;
  upload(idOrUrl: string): ConformanceUpload | undefined;
  /** sha256 (hex) of the bytes stored for an upload (its first `offset` bytes). */
  sha256(idOrUrl: string): Promise<string>;
  uploadCount(): number;
  uploadIds(): string[];
  /** Path of the file holding the upload's bytes. */
  storedPath(idOrUrl: string): string;
  /** Expire an upload now (the next request for it gets 410), to test restarts of expired uploads. */
  expire(idOrUrl: string): void;
  requests: LoggedRequest[];
  /** Closes every connection and listens again on the same port; uploads are kept. */
  restart(): Promise<void>;
}

interface UploadState extends ConformanceUpload {
  path: string;
  createdAt: number;
  /** Final uploads echo the Upload-Concat value they were created with. */
  concatHeader: string | undefined;
  busy: Promise<void> | undefined;
  gone: boolean;
  /**
   * The metadata values exactly as received (base64), echoed by HEAD: the protocol makes a value any bytes, so a
   * client's encoding (latin1, say) must come back as it was sent, not re-encoded from a UTF-8 reading.
   */
  rawMetadata: Record<string, string>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TUS_VERSION = '1.0.0';
const OCTET = 'application/offset+octet-stream';
const EXPOSED = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
];
const NODE_HASH: Record<string, string> = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512', md5: 'md5' };

function idFrom(idOrUrl: string): string {
  const clean = idOrUrl.split(/[?#]/, 1)[0] ?? idOrUrl;
  return decodeURIComponent(clean.replace(/\/+$/, '').split('/').pop() ?? '');
}

function parseNonNegInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new HttpError(400, `${name} must be a non-negative integer, got "${value}"`);
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${name} is too large: "${value}"`);
  return n;
}

/** The pairs of an Upload-Metadata header: values decoded as UTF-8 (for the API) and as received (base64). */
function parseMetadataRaw(header: string | undefined): { decoded: Record<string, string>; raw: Record<string, string> } {
  const out: Record<string, string> = {};
  const raw: Record<string, string> = {};
  if (header === undefined || header.trim() === '') return { decoded: out, raw };
  for (const pair of header.split(',')) {
    const parts = pair.trim().split(' ');
    const key = parts[0] ?? '';
    if (!key || parts.length > 2) throw new HttpError(400, `Upload-Metadata pair "${pair}" must be "key" or "key base64value"`);
    if (key in out) throw new HttpError(400, `Upload-Metadata key "${key}" appears twice`);
    const b64 = parts[1] ?? '';
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new HttpError(400, `Upload-Metadata value of "${key}" is not base64`);
    }
    out[key] = Buffer.from(b64, 'base64').toString('utf8');
    raw[key] = b64;
  }
  return { decoded: out, raw };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Starts a conformance server on 127.0.0.1 with a random port. */
export async function startConformanceServer(opts: ConformanceServerOptions = {}): Promise<ConformanceServer> {
  const extensions = new Set(opts.extensions ?? ALL_EXTENSIONS);
  const algorithms = (opts.checksumAlgorithms ?? [...ALL_CHECKSUM_ALGORITHMS]).map((a) => a.toLowerCase());
  const basePath = (opts.basePath ?? '/files').replace(/\/+$/, '');
  const expiresInMs = opts.expiresInMs ?? 24 * 3600 * 1000;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await makeTempDir('tusk-conformance-'));
  await mkdir(dir, { recursive: true });
  const uploads = new Map<string, UploadState>();
  const requests: LoggedRequest[] = [];
  let port = 0;
  let origin = '';

  const has = (ext: string): boolean => extensions.has(ext);

  const locationFor = (id: string): string => {
    const path = `${basePath}/${encodeURIComponent(id)}`;
    switch (opts.locationStyle ?? 'absolute') {
      case 'relative':
        return path;
      case 'protocol-relative':
        return `//127.0.0.1:${port}${path}`;
      default:
        return `${origin}${path}`;
    }
  };

  const isExpired = (u: UploadState): boolean =>
    u.expires !== undefined && !u.complete && u.expires.getTime() <= Date.now();

  const lookup = (id: string): UploadState => {
    const u = uploads.get(id);
    if (!u) throw new HttpError(404, `No upload with id "${id}"`);
    if (u.gone) throw new HttpError(410, `Upload "${id}" was terminated or has expired`);
    if (has('expiration') && isExpired(u)) {
      u.gone = true;
      void rm(u.path, { force: true });
      throw new HttpError(410, `Upload "${id}" expired at ${u.expires?.toUTCString()}`);
    }
    return u;
  };

  const commonHeaders = (res: ServerResponse): void => {
    res.setHeader('Tus-Resumable', TUS_VERSION);
    if (opts.corsExposeHeaders) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED.join(', '));
    }
  };

  const expiryHeader = (res: ServerResponse, u: UploadState): void => {
    if (has('expiration') && u.expires && !u.complete) res.setHeader('Upload-Expires', u.expires.toUTCString());
  };

  /** Takes the upload's lock, waiting a little for a request that is still draining (e.g. after a client reset). */
  const acquire = async (u: UploadState): Promise<() => void> => {
    const deadline = Date.now() + 3000;
    while (u.busy) {
      if (Date.now() > deadline) throw new HttpError(423, `Upload "${u.id}" is locked by another request`);
      await Promise.race([u.busy, new Promise((r) => setTimeout(r, 50))]);
    }
    let release!: () => void;
    u.busy = new Promise<void>((r) => (release = r));
    return () => {
      u.busy = undefined;
      release();
    };
  };

  /** Parses Upload-Checksum; undefined when absent. */
  const checksumOf = (req: IncomingMessage): { algorithm: string; digest: string; hash: Hash } | undefined => {
    const header = headerOf(req, 'upload-checksum');
    if (header === undefined) return undefined;
    if (!has('checksum')) return undefined;
    const [algo, digest, extra] = header.trim().split(/\s+/);
    const algorithm = (algo ?? '').toLowerCase();
    if (!algorithm || !digest || extra !== undefined) {
      throw new HttpError(400, `Upload-Checksum must be "<algorithm> <base64 digest>", got "${header}"`);
    }
    if (!algorithms.includes(algorithm) || !NODE_HASH[algorithm]) {
      throw new HttpError(400, `Checksum algorithm "${algorithm}" is not supported; use one of: ${algorithms.join(', ')}`);
    }
    return { algorithm, digest, hash: createHash(NODE_HASH[algorithm]) };
  };

  /**
   * Streams the body into the upload's file at its offset. Without a checksum, whatever arrived before a broken
   * connection is kept; with one, nothing is committed unless the digest matches.
   */
  const receive = async (req: IncomingMessage, u: UploadState): Promise<{ mismatch: boolean }> => {
    const checksum = checksumOf(req);
    const limit = u.length === undefined ? Infinity : u.length - u.offset;
    const declared = parseNonNegInt(headerOf(req, 'content-length'), 'Content-Length');
    if (declared !== undefined && declared > limit) {
      throw new HttpError(400, `The body (${declared} bytes) would go past Upload-Length ${u.length} from offset ${u.offset}`);
    }
    if (u.length === undefined && opts.maxSize !== undefined && declared !== undefined && u.offset + declared > opts.maxSize) {
      throw new HttpError(413, `The upload would exceed Tus-Max-Size ${opts.maxSize}`);
    }
    let fh: FileHandle | undefined;
    let received = 0;
    let failure: unknown;
    try {
      fh = await open(u.path, 'r+');
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (received + chunk.length > limit) {
          throw new HttpError(400, `The body goes past Upload-Length ${u.length}`);
        }
        checksum?.hash.update(chunk);
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, u.offset + received + done);
          done += bytesWritten;
        }
        received += chunk.length;
      }
    } catch (err) {
      failure = err;
    } finally {
      await fh?.close();
    }
    if (checksum) {
      if (failure) throw failure;
      const actual = checksum.hash.digest('base64');
      if (actual !== checksum.digest) return { mismatch: true };
      u.offset += received;
    } else {
      // A request cut short still moves the offset by what arrived.
      u.offset += received;
      if (failure) throw failure;
    }
    if (u.length !== undefined && u.offset === u.length) u.complete = true;
    return { mismatch: false };
  };

  const handleOptions = (req: IncomingMessage, res: ServerResponse): number => {
    if (opts.corsExposeHeaders && headerOf(req, 'access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, HEAD, PATCH, DELETE, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        'Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, Upload-Concat, Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Checksum, X-HTTP-Method-Override, X-Requested-With',
      );
      res.setHeader('Access-Control-Max-Age', '86400');
    }
    if (!opts.omitTusVersion) res.setHeader('Tus-Version', TUS_VERSION);
    if (extensions.size) res.setHeader('Tus-Extension', [...extensions].join(','));
    if (opts.maxSize !== undefined) res.setHeader('Tus-Max-Size', String(opts.maxSize));
    if (has('checksum')) res.setHeader('Tus-Checksum-Algorithm', algorithms.join(','));
    const status = opts.optionsStatus ?? 204;
    res.writeHead(status).end();
    return status;
  };

  const handlePost = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (!has('creation')) throw new HttpError(405, 'This server does not offer the creation extension');
    const concatHeader = headerOf(req, 'upload-concat');
    let concat: 'partial' | 'final' | undefined;
    const parts: string[] = [];
    if (concatHeader !== undefined && has('concatenation')) {
      const v = concatHeader.trim();
      if (v === 'partial') concat = 'partial';
      else if (v.startsWith('final;')) {
        concat = 'final';
        const urls = v.slice('final;'.length).trim().split(/\s+/).filter(Boolean);
        if (urls.length === 0) throw new HttpError(400, 'Upload-Concat: final; needs at least one partial upload URL');
        for (const url of urls) {
          const path = new URL(url, origin + (req.url ?? '/')).pathname;
          if (!path.startsWith(basePath + '/')) throw new HttpError(400, `"${url}" is not an upload of this server`);
          parts.push(idFrom(path));
        }
      } else throw new HttpError(400, `Upload-Concat must be "partial" or "final;<urls>", got "${concatHeader}"`);
    }
    const lengthHeader = headerOf(req, 'upload-length');
    const deferHeader = headerOf(req, 'upload-defer-length');
    let length: number | undefined;
    if (concat === 'final') {
      if (lengthHeader !== undefined) throw new HttpError(400, 'A final upload must not carry Upload-Length');
    } else if (deferHeader !== undefined) {
      if (!has('creation-defer-length')) throw new HttpError(400, 'This server does not offer creation-defer-length');
      if (deferHeader.trim() !== '1') throw new HttpError(400, `Upload-Defer-Length must be 1, got "${deferHeader}"`);
      if (lengthHeader !== undefined) throw new HttpError(400, 'Send either Upload-Length or Upload-Defer-Length, not both');
    } else {
      length = parseNonNegInt(lengthHeader, 'Upload-Length');
      if (length === undefined) throw new HttpError(400, 'Upload-Length (or Upload-Defer-Length: 1) is required');
    }
    const parsed = parseMetadataRaw(headerOf(req, 'upload-metadata'));
    let metadata = parsed.decoded;
    let rawMetadata = parsed.raw;
    if (opts.requireFilenameFiletype && (!('filename' in metadata) || !('filetype' in metadata))) {
      throw new HttpError(400, 'Upload-Metadata must contain both "filename" and "filetype"');
    }
    if (opts.dropUnknownMetadata) {
      const known = ([k]: [string, string]): boolean => k === 'filename' || k === 'filetype';
      metadata = Object.fromEntries(Object.entries(metadata).filter(known));
      rawMetadata = Object.fromEntries(Object.entries(rawMetadata).filter(known));
    }

    const id = randomBytes(16).toString('hex');
    const path = join(dir, id);
    const now = Date.now();
    const u: UploadState = {
      id,
      offset: 0,
      length,
      metadata,
      rawMetadata,
      concat,
      parts,
      complete: false,
      expires: has('expiration') && expiresInMs > 0 ? new Date(now + expiresInMs) : undefined,
      path,
      createdAt: now,
      concatHeader: concat === 'final' ? concatHeader?.trim() : concat === 'partial' ? 'partial' : undefined,
      busy: undefined,
      gone: false,
    };

    if (concat === 'final') {
      const partials = parts.map((p) => {
        const s = uploads.get(p);
        if (!s || s.gone) throw new HttpError(400, `Partial upload "${p}" does not exist`);
        if (s.concat !== 'partial') throw new HttpError(400, `Upload "${p}" was not created with Upload-Concat: partial`);
        if (!s.complete) throw new HttpError(400, `Partial upload "${p}" is incomplete (${s.offset}/${s.length ?? '?'})`);
        return s;
      });
      const total = partials.reduce((n, s) => n + (s.length ?? 0), 0);
      if (opts.maxSize !== undefined && total > opts.maxSize) throw new HttpError(413, `The final upload would exceed Tus-Max-Size ${opts.maxSize}`);
      const out = await open(path, 'w');
      try {
        let pos = 0;
        for (const s of partials) {
          if (s.offset === 0) continue;
          for await (const chunk of createReadStream(s.path, { start: 0, end: s.offset - 1, highWaterMark: 1 << 20 })) {
            await out.write(chunk as Buffer, 0, (chunk as Buffer).length, pos);
            pos += (chunk as Buffer).length;
          }
        }
      } finally {
        await out.close();
      }
      u.length = total;
      u.offset = total;
      u.complete = true;
      u.expires = undefined;
      uploads.set(id, u);
      res.setHeader('Location', locationFor(id));
      res.writeHead(201).end();
      return 201;
    }

    if (length !== undefined && opts.maxSize !== undefined && length > opts.maxSize) {
      throw new HttpError(413, `Upload-Length ${length} exceeds Tus-Max-Size ${opts.maxSize}`);
    }
    const contentType = headerOf(req, 'content-type');
    const bodyLength = parseNonNegInt(headerOf(req, 'content-length'), 'Content-Length') ?? 0;
    const chunked = headerOf(req, 'transfer-encoding') !== undefined;
    const withUpload = bodyLength > 0 || (chunked && contentType !== undefined);
    if (withUpload) {
      if (!has('creation-with-upload')) throw new HttpError(400, 'This server does not offer creation-with-upload');
      if ((contentType ?? '').split(';')[0]?.trim().toLowerCase() !== OCTET) {
        throw new HttpError(opts.wrongContentTypeStatus ?? 415, `Content-Type must be ${OCTET} for a body on creation`);
      }
    }
    await (await open(path, 'w')).close();
    if (length === 0) u.complete = true;
    uploads.set(id, u);
    res.setHeader('Location', locationFor(id));
    if (withUpload) {
      const release = await acquire(u);
      try {
        const { mismatch } = await receive(req, u);
        if (mismatch) throw new HttpError(460, 'Checksum mismatch: the body was discarded');
      } finally {
        release();
      }
      res.setHeader('Upload-Offset', String(u.offset));
      if (u.complete && opts.finalLocation) res.setHeader('Location', opts.finalLocation(id));
    }
    expiryHeader(res, u);
    res.writeHead(201).end();
    return 201;
  };

  const handleHead = (res: ServerResponse, u: UploadState): number => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Upload-Offset', String(u.offset));
    if (u.length !== undefined) res.setHeader('Upload-Length', String(u.length));
    else res.setHeader('Upload-Defer-Length', '1');
    const pairs = Object.entries(u.rawMetadata).map(([k, v]) => (v === '' ? k : `${k} ${v}`));
    if (pairs.length) res.setHeader('Upload-Metadata', pairs.join(','));
    if (u.concatHeader) res.setHeader('Upload-Concat', u.concatHeader);
    expiryHeader(res, u);
    const status = opts.headStatus ?? 200;
    res.writeHead(status).end();
    return status;
  };

  const handlePatch = async (req: IncomingMessage, res: ServerResponse, u: UploadState): Promise<number> => {
    const contentType = (headerOf(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== OCTET) {
      throw new HttpError(opts.wrongContentTypeStatus ?? 415, `Content-Type must be ${OCTET}, got "${contentType ?? ''}"`);
    }
    if (u.concat === 'final') throw new HttpError(403, 'A final upload cannot be patched');
    const offset = parseNonNegInt(headerOf(req, 'upload-offset'), 'Upload-Offset');
    if (offset === undefined) throw new HttpError(400, 'Upload-Offset is required');
    const release = await acquire(u);
    try {
      if (offset !== u.offset) throw new HttpError(409, `Upload-Offset ${offset} does not match the current offset ${u.offset}`);
      const lengthHeader = headerOf(req, 'upload-length');
      if (lengthHeader !== undefined) {
        const length = parseNonNegInt(lengthHeader, 'Upload-Length')!;
        if (u.length === undefined) {
          if (length < u.offset) throw new HttpError(400, `Upload-Length ${length} is below the current offset ${u.offset}`);
          if (opts.maxSize !== undefined && length > opts.maxSize) throw new HttpError(413, `Upload-Length ${length} exceeds Tus-Max-Size ${opts.maxSize}`);
          u.length = length;
        } else if (length !== u.length) {
          throw new HttpError(400, `Upload-Length is already ${u.length} and cannot change to ${length}`);
        }
      }
      const { mismatch } = await receive(req, u);
      if (mismatch) throw new HttpError(460, 'Checksum mismatch: the chunk was discarded, send it again');
    } finally {
      release();
    }
    if (u.length !== undefined && u.offset === u.length) u.complete = true;
    res.setHeader('Upload-Offset', String(u.offset));
    expiryHeader(res, u);
    if (u.complete && opts.finalLocation) res.setHeader('Location', opts.finalLocation(u.id));
    res.writeHead(204).end();
    return 204;
  };

  const handleDelete = async (res: ServerResponse, u: UploadState): Promise<number> => {
    if (!has('termination')) throw new HttpError(405, 'This server does not offer the termination extension');
    u.gone = true;
    await rm(u.path, { force: true });
    res.writeHead(204).end();
    return 204;
  };

  const handleGet = (res: ServerResponse, u: UploadState): number => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(u.offset) });
    if (u.offset === 0) res.end();
    else createReadStream(u.path, { start: 0, end: u.offset - 1 }).pipe(res);
    return 200;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const method = (headerOf(req, 'x-http-method-override') ?? req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', origin);
    commonHeaders(res);
    if (method === 'OPTIONS') return handleOptions(req, res);
    const version = headerOf(req, 'tus-resumable');
    if (version?.trim() !== TUS_VERSION && method !== 'GET') {
      if (!opts.omitTusVersion) res.setHeader('Tus-Version', TUS_VERSION);
      throw new HttpError(412, `Tus-Resumable must be ${TUS_VERSION}, got "${version ?? '(missing)'}"`);
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === basePath) {
      if (method === 'POST') return handlePost(req, res);
      throw new HttpError(405, `${method} is not allowed on the creation endpoint`);
    }
    if (!path.startsWith(basePath + '/')) throw new HttpError(404, `Nothing at ${url.pathname}`);
    const u = lookup(decodeURIComponent(path.slice(basePath.length + 1)));
    switch (method) {
      case 'HEAD':
        return handleHead(res, u);
      case 'PATCH':
        return handlePatch(req, res, u);
      case 'DELETE':
        return handleDelete(res, u);
      case 'GET':
        return handleGet(res, u);
      default:
        throw new HttpError(405, `${method} is not allowed on an upload`);
    }
  };

  const server: Server = createServer((req, res) => {
    const entry: LoggedRequest = {
      method: (headerOf(req, 'x-http-method-override') ?? req.method ?? '').toUpperCase(),
      url: req.url ?? '',
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      status: 0,
    };
    requests.push(entry);
    handle(req, res).then(
      (status) => {
        entry.status = status;
      },
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        entry.status = status;
        if (res.headersSent || res.destroyed) return;
        const body = err instanceof Error ? err.message : String(err);
        // Drain the rest of a rejected body so the connection stays usable for the next request.
        if (!req.complete) req.resume();
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
      },
    );
  });
  // Restarting listens again on the same port with a fresh listener (the old one closed every connection).
  let listener: LoopbackListener = await listenOnLoopback(server);
  port = listener.port;
  origin = listener.origin;

  const find = (idOrUrl: string): UploadState | undefined => uploads.get(idFrom(idOrUrl));
  let closed = false;
  const api: ConformanceServer = {
    endpoint: `${origin}${basePath}`,
    origin,
    port,
    dir,
    requests,
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      if (ownDir) await removeDir(dir);
    },
    upload(idOrUrl) {
      const u = find(idOrUrl);
      if (!u || u.gone) return undefined;
      return {
        id: u.id,
        offset: u.offset,
        length: u.length,
        metadata: { ...u.metadata },
        concat: u.concat,
        parts: [...u.parts],
        complete: u.complete,
        expires: u.expires,
      };
    },
    async sha256(idOrUrl) {
      const u = find(idOrUrl);
      if (!u || u.gone) throw new Error(`No upload "${idOrUrl}" on the conformance server`);
      const hash = createHash('sha256');
      if (u.offset > 0) {
        for await (const chunk of createReadStream(u.path, { start: 0, end: u.offset - 1, highWaterMark: 1 << 20 })) {
          hash.update(chunk as Buffer);
        }
      }
      return hash.digest('hex');
    },
    uploadCount: () => [...uploads.values()].filter((u) => !u.gone).length,
    uploadIds: () => [...uploads.values()].filter((u) => !u.gone).map((u) => u.id),
    storedPath(idOrUrl) {
      const u = find(idOrUrl);
      if (!u) throw new Error(`No upload "${idOrUrl}" on the conformance server`);
      return u.path;
    },
    expire(idOrUrl) {
      const u = find(idOrUrl);
      if (!u) throw new Error(`No upload "${idOrUrl}" on the conformance server`);
      u.gone = true;
      void rm(u.path, { force: true });
    },
    async restart() {
      await listener.close();
      listener = await listenOnLoopback(server, port);
    },
  };
  return api;
}
