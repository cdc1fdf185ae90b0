/**
 * An incremental HTTP/1.x response parser for Http1Stack: status line, headers, and a body framed by Content-Length,
 * chunked transfer coding or the end of the connection. Bytes may arrive split anywhere. Only what a tus client needs:
 * the body is kept up to `maxBody` bytes (for error messages) and the rest is counted and dropped.
 */

/** Larger response heads are refused: no tus answer comes close, and it bounds memory against a broken server. */
export const MAX_HEAD = 64 * 1024;

/** A response the server sent that is not valid HTTP/1.x. */
export class ResponseSyntaxError extends Error {
  readonly code = 'ERR_TUSK_HTTP_PARSE';
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'done';

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parses one response; `push` the bytes as they come, `end` at EOF. */
export class ResponseParser {
  status = 0;
  readonly headers: Record<string, string> = {};
  /** Whether the connection may carry another request after this response (HTTP version and `Connection`). */
  keepAlive = true;
  /** `Keep-Alive: timeout=N` of the response, in ms (undefined when absent). */
  keepAliveHintMs: number | undefined;
  /** Bytes that came after the end of the response: the connection is then not reused. */
  trailingBytes = 0;
  private state: State = 'head';
  private pending: Buffer | undefined;
  private remaining = 0;
  private readonly parts: Buffer[] = [];
  private kept = 0;

  constructor(
    private readonly noBody: boolean,
    private readonly maxBody: number,
  ) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** Whether any byte of the status line arrived (a connection that closes before is "stale", not "broken mid-answer"). */
  get started(): boolean {
    return this.state !== 'head' || (this.pending?.length ?? 0) > 0;
  }

  /** The body kept so far, as UTF-8 text. */
  bodyText(): string {
    return this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts).toString('utf8');
  }

  /** Feeds bytes; true once the response is complete. Throws ResponseSyntaxError on malformed input. */
  push(chunk: Buffer): boolean {
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let i = 0;
    while (i < data.length) {
      switch (this.state) {
        case 'head': {
          const end = data.indexOf(CRLFCRLF, i);
          if (end < 0) return this.keep(data, i, MAX_HEAD, 'response headers');
          this.parseHead(data.toString('latin1', i, end));
          i = end + 4;
          break;
        }
        case 'length': {
          const n = Math.min(this.remaining, data.length - i);
          this.body(data, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'done';
          break;
        }
        case 'chunk-size': {
          const end = data.indexOf(CRLF, i);
          if (end < 0) return this.keep(data, i, 1024, 'a chunk-size line');
          const line = data.toString('latin1', i, end);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseSyntaxError(`invalid chunk size ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(hex, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          i = end + 2;
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, data.length - i);
          this.body(data, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          if (data.length - i < 2) return this.keep(data, i, 2, 'a chunk end');
          if (data[i] !== 13 || data[i + 1] !== 10) throw new ResponseSyntaxError('a chunk does not end with CRLF');
          i += 2;
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const end = data.indexOf(CRLF, i);
          if (end < 0) return this.keep(data, i, MAX_HEAD, 'trailers');
          // Trailer fields are ignored; an empty line ends the message.
          if (end === i) this.state = 'done';
          i = end + 2;
          break;
        }
        case 'until-close':
          this.body(data, i, data.length - i);
          i = data.length;
          break;
        case 'done':
          this.trailingBytes += data.length - i;
          this.keepAlive = false;
          return true;
      }
    }
    return this.state === 'done';
  }

  /** The connection ended: true when that completes the response (a body that runs until the connection closes). */
  end(): boolean {
    if (this.state === 'until-close') this.state = 'done';
    return this.state === 'done';
  }

  private keep(data: Buffer, from: number, limit: number, what: string): boolean {
    if (data.length - from > limit) throw new ResponseSyntaxError(`${what} longer than ${limit} bytes`);
    this.pending = Buffer.from(data.subarray(from)); // a copy: the socket may reuse its read buffer
    return false;
  }

  private body(data: Buffer, from: number, n: number): void {
    if (n <= 0 || this.kept >= this.maxBody) return;
    const take = Math.min(n, this.maxBody - this.kept);
    this.parts.push(Buffer.from(data.subarray(from, from + take)));
    this.kept += take;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) throw new ResponseSyntaxError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
    const status = Number(m[2]);
    const headers: Record<string, string> = {};
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(':');
      if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9)
        throw new ResponseSyntaxError(`invalid header line ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    // Interim answers (100 Continue, 103 Early Hints) come before the real one: skip them.
    if (status >= 100 && status < 200 && status !== 101) return;
    this.status = status;
    Object.assign(this.headers, headers);
    const connection = (headers['connection'] ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const hint = /\btimeout=(\d+)/i.exec(headers['keep-alive'] ?? '');
    if (hint) this.keepAliveHintMs = Number(hint[1]) * 1000;
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (this.noBody || status === 204 || status === 304 || status === 101) {
      this.state = 'done';
      if (status === 101) this.keepAlive = false;
    } else if (te !== undefined && /\bchunked\s*$/i.test(te)) {
      this.state = 'chunk-size';
    } else if (te !== undefined) {
      // Another transfer coding without chunked: the body runs to the end of the connection (RFC 9112 §6.3).
      this.state = 'until-close';
      this.keepAlive = false;
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new ResponseSyntaxError(`invalid Content-Length ${JSON.stringify(cl.slice(0, 40))}`);
      this.remaining = Number(cl);
      this.state = this.remaining === 0 ? 'done' : 'length';
    } else {
      this.state = 'until-close';
      this.keepAlive = false;
    }
  }
}
