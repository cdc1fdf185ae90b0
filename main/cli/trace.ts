import type { RequestInfo, ResponseInfo, TusClientOptions } from '../engine/tus/types';

/**
 * Headers `--verbose` shows with their values: the tus protocol's own and the HTTP ones that decide how a tus request
 * goes. Everything else (Authorization, cookies, API keys, whatever `--header` added) is named but not shown, so a
 * trace can be pasted into a bug report without leaking a secret.
 */
const SHOWN = new Set([
  'tus-resumable',
  'tus-version',
  'tus-extension',
  'tus-max-size',
  'tus-checksum-algorithm',
  'upload-offset',
  'upload-length',
  'upload-defer-length',
  'upload-metadata',
  'upload-concat',
  'upload-expires',
  'upload-checksum',
  'location',
  'content-length',
  'content-type',
  'retry-after',
]);

/** Longest header value shown whole (metadata can be long): the rest is elided. */
const MAX_VALUE = 120;

/**
 * `Name: value` pairs for the shown headers; with `nameOthers` (requests: what Tusk sends), `(+ Authorization, …)`
 * for the others, by name only. An answer's other headers (Date, CORS, keep-alive) are left out as noise.
 */
export function describeHeaders(headers: Record<string, string>, nameOthers: boolean): string {
  const shown: string[] = [];
  const hidden: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (SHOWN.has(name.toLowerCase())) shown.push(`${name}: ${value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value}`);
    else hidden.push(name);
  }
  if (nameOthers && hidden.length) shown.push(`(+ ${hidden.join(', ')}: values not shown)`);
  return shown.join('  ');
}

/**
 * `--verbose`: every request and answer as one line each through `write` (stderr), built on the engine's observability
 * hooks (seed: `before_request` / `after_response`), with the time each request took.
 */
export function traceHooks(write: (line: string) => void): Pick<TusClientOptions, 'onBeforeRequest' | 'onAfterResponse'> {
  return {
    onBeforeRequest: (q: RequestInfo) => write(`> ${q.method} ${q.url}  ${describeHeaders(q.headers, true)}`.trimEnd()),
    onAfterResponse: (r: ResponseInfo) =>
      write(`< ${r.status} ${r.method} ${r.url} (${Math.round(r.elapsedMs)} ms)  ${describeHeaders(r.headers, false)}`.trimEnd()),
  };
}
