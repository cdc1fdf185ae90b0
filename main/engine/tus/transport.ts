import { abortedError } from './errors';
import type { HttpRequest, HttpResponse, HttpStack } from './http';
import type { RequestInfo, TusClientOptions } from './types';

/** The tus protocol version Tusk speaks. */
export const TUS_VERSION = '1.0.0';

/** Sends requests with the tus and client headers and runs the observability hooks around each one. */
export class Transport {
  constructor(
    readonly http: HttpStack,
    private readonly options: Pick<TusClientOptions, 'headers' | 'onBeforeRequest' | 'onAfterResponse'>,
  ) {}

  /** Sends one request; `headers` override the client's headers. */
  async send(method: string, url: string, headers: Record<string, string>, body?: HttpRequest['body'], signal?: AbortSignal): Promise<HttpResponse> {
    if (signal?.aborted) throw abortedError(url);
    const info: RequestInfo = { method, url, headers: { 'Tus-Resumable': TUS_VERSION, ...this.options.headers, ...headers } };
    if (this.options.onBeforeRequest) await this.options.onBeforeRequest(info);
    const started = performance.now();
    const res = await this.http.request({ method: info.method, url: info.url, headers: info.headers, body, signal });
    if (this.options.onAfterResponse)
      await this.options.onAfterResponse({
        method: info.method,
        url: info.url,
        status: res.status,
        headers: res.headers,
        elapsedMs: performance.now() - started,
      });
    return res;
  }
}

/** Waits `ms`, or rejects with `aborted` as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
