import { checksumHeader } from './checksum';
import { hashWorkers } from './hash-worker';
import { READ_BLOCK, type UploadSource } from './sources';
import type { ChecksumAlgorithm } from './types';

/**
 * Largest plain (checksum-less) body read whole into memory before its request. Such a body is read in one go into
 * one of two buffers (the next one while the current one is finishing, see `readAheadTooLate`) and handed to the
 * socket in a few large pieces: one positioned read and a handful of socket writes per request instead of a
 * threadpool read and a `drain` wait per 512 KiB block. Larger plain bodies are streamed in 512 KiB blocks, read
 * synchronously right before they are written once reads prove fast (ReadPace). At most 2 × 8 MiB are held per upload.
 * Why 8 MiB, so that the default chunk size is buffered: streaming 8 MiB chunks instead was 1.15× in 16 pairs while
 * this VM ran at 1.6–2.3 GiB/s, but 0.8–0.85× in the pairs that ran at 2–2.8 GiB/s, and the bench's ratio to curl
 * (which reaches 3.5 GiB/s in fast phases) was no better with it: 0.69–0.93× in four runs against 0.77–0.95×
 * buffered (docs/benchmarks.md, session 5).
 */
export const BUFFERED_BODY_MAX = 8 * 1024 * 1024;
/**
 * Largest checksummed body. `Upload-Checksum` is a header, so such a body must be read and hashed before it is sent:
 * it is read whole (into shared memory, hashed by a worker thread as it arrives) whatever its size, and larger chunk
 * sizes are split into requests of this size, which keeps memory flat for any file ((2 + hashing threads) × 8 MiB per
 * upload) at one round trip per 8 MiB.
 */
export const CHECKSUMMED_BODY_MAX = 8 * 1024 * 1024;
/** Pieces of a buffered body handed to the socket: about 1/8 s of the measured speed, within these bounds. */
const MIN_PIECE = 64 * 1024;
const MAX_PIECE = 4 * 1024 * 1024;

/** A body being read (and hashed, with a checksum) ahead, while the previous one is on the wire. */
interface BufferedBody {
  start: number;
  len: number;
  slot: number;
  ready: Promise<{ data: Uint8Array; header: string }>;
}

/** Where the ranges after the current one lie: the request size and the offset the upload stops at. */
export interface NextRanges {
  maxBody: number;
  limit: number;
}

/**
 * One upload's request bodies read whole ahead of their requests (plain bodies up to BUFFERED_BODY_MAX, every
 * checksummed body, hashed as it is read), in numbered buffer slots of the source, and the pace they go to the socket
 * at. The Uploader asks for each body with `take`, says when a body has been handed to the kernel (`handedOff`) and
 * how long its request took (`requestDone`).
 */
export class BodyReadAhead {
  /** Bodies being read (and hashed) ahead, in order, each in its own buffer slot. */
  private queue: BufferedBody[] = [];
  /** The next plain body's read, started by `handedOff` once the current body has been handed to the kernel. */
  private later: (() => void) | undefined;
  /** Requests that waited for a late read-ahead (see readAheadTooLate); from the third on, it starts with the request. */
  private lateWaits = 0;
  /** Duration of the latest buffered request, ms (0 before the first). */
  private lastRequestMs = 0;
  /** Bytes per second of the latest buffered request (0 before the first): sizes the pieces of the next. */
  private requestRate = 0;

  constructor(private readonly source: UploadSource) {}

  /**
   * The body [start, start+len) (and its `Upload-Checksum` header with a checksum, else ''), taken from the read-ahead
   * when it covers exactly this range. Then the following ranges are read into the other buffers: with a checksum at
   * once, one more than there are hashing threads (hashed while this body is sent), without one a single range, once
   * this body has been handed to the kernel (`handedOff`), unless late reads made requests wait.
   */
  async take(algorithm: ChecksumAlgorithm | undefined, start: number, len: number, next: NextRanges): Promise<{ data: Uint8Array; header: string }> {
    const source = this.source;
    const ahead = this.queue;
    let got: { data: Uint8Array; header: string } | undefined;
    let slot = 0;
    const first = ahead[0];
    if (first && first.start === start && first.len === len) {
      ahead.shift();
      const waitFrom = performance.now();
      got = await first.ready.catch(() => undefined);
      slot = first.slot;
      if (!algorithm && readAheadTooLate(performance.now() - waitFrom, this.lastRequestMs)) this.lateWaits++;
    } else if (first) {
      // Another range than planned (a retry, a 409): the reads are dropped, but waited for, since their buffers must
      // not be refilled while a read into them still runs.
      this.queue = [];
      await Promise.allSettled(ahead.map((b) => b.ready));
    }
    got ??= await readBody(source, algorithm, start, len, slot);
    this.later = undefined;
    if (!source.canReadAhead) return got;
    const readAhead = (): void => {
      // Checksummed bodies: one more ahead than there are hashing threads, so a thread that finishes a body finds
      // the next one queued instead of waiting for this send to end (+6 % in 8 of 8 ABBA pairs with one thread on
      // 2 cores; one more gained nothing, docs/engine.md).
      const depth = algorithm ? hashWorkers.limit + 1 : 1;
      const queue = this.queue;
      let from = queue.length ? queue[queue.length - 1]!.start + queue[queue.length - 1]!.len : start + len;
      while (queue.length < depth) {
        const nextLen = Math.min(next.maxBody, next.limit - from);
        // Only a range that will be buffered too: a larger one is streamed and would not use this read.
        if (nextLen <= 0 || (!algorithm && nextLen > BUFFERED_BODY_MAX)) break;
        const used = [slot, ...queue.map((b) => b.slot)];
        let free = 0;
        while (used.includes(free)) free++;
        const ready = readBody(source, algorithm, from, nextLen, free);
        ready.catch(() => undefined); // read again (and the error surfaced) when that range is actually sent
        queue.push({ start: from, len: nextLen, slot: free, ready });
        from += nextLen;
      }
    };
    // A plain body's successor is read once this body has been handed to the kernel (see readAheadTooLate); a
    // checksummed one's right away, their hashing must overlap the whole send.
    if (algorithm || this.lateWaits >= 3) readAhead();
    else this.later = readAhead;
    return got;
  }

  /** The current body has been handed to the kernel: a plain body's successor is read now (see readAheadTooLate). */
  handedOff(): void {
    const later = this.later;
    this.later = undefined;
    later?.();
  }

  /** A body in socket pieces sized for the latest request's speed (see bodyPieceSize). */
  pieces(data: Uint8Array): AsyncGenerator<Uint8Array, void, void> {
    return piecesOf(data, bodyPieceSize(this.requestRate));
  }

  /** Records how long a buffered request of `len` bytes took. */
  requestDone(len: number, ms: number): void {
    this.lastRequestMs = ms;
    this.requestRate = (len * 1000) / Math.max(1, ms);
  }
}

/**
 * Whether a read-ahead started late made the next request wait too long: more than a tenth of the previous request's
 * duration (and over 1 ms). Why late at all: the next plain body is read once the current one has been handed to the
 * kernel, not while it is still being written. On a link where the answer takes a few round trips that hides any
 * read, and on a CPU-bound host (loopback, 2 cores) it keeps the read from competing with the send and the server:
 * 8 MiB chunks +2–27 %, 1 MiB chunks +3–12 % in bench:throughput pairs. Where the disk is slower than that (a cold
 * read from a slow disk on a fast LAN), requests would wait for it; after three such waits the upload switches to
 * reading ahead as soon as a request starts.
 */
export function readAheadTooLate(waitedMs: number, lastRequestMs: number): boolean {
  return waitedMs > 1 && waitedMs > lastRequestMs / 10;
}

/**
 * Socket pieces for a buffered body sent at `rate` bytes/s (the last request's): about an eighth of a second's worth,
 * in whole 64 KiB units between 64 KiB and 4 MiB, so progress and the stall watchdog tick several times a second on
 * any link while a fast link gets few, large writes (the stack waits for each piece's write before pulling the next). 512 KiB before any speed is known.
 */
export function bodyPieceSize(rate: number): number {
  if (!(rate > 0)) return READ_BLOCK;
  const eighth = Math.floor(rate / 8 / MIN_PIECE) * MIN_PIECE;
  return Math.min(MAX_PIECE, Math.max(MIN_PIECE, eighth));
}

/** A buffered body in pieces of `piece` bytes (subarrays, nothing copied). */
async function* piecesOf(data: Uint8Array, piece: number): AsyncGenerator<Uint8Array, void, void> {
  for (let i = 0; i < data.length; i += piece) yield data.subarray(i, Math.min(data.length, i + piece));
}

/** Reads a body whole into buffer `slot`, with its checksum header when `algorithm` is set (hashed off the event loop where possible). */
async function readBody(source: UploadSource, algorithm: ChecksumAlgorithm | undefined, start: number, len: number, slot: number) {
  if (!algorithm) return { data: await source.read(start, len, slot), header: '' };
  const off = await source.readHashed?.(start, len, slot, algorithm);
  if (off) return { data: off.data, header: `${algorithm} ${off.digest}` };
  const data = await source.read(start, len, slot);
  return { data, header: await checksumHeader(algorithm, data) };
}
