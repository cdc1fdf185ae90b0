import { TusError } from './errors';

/** Parses an endpoint or upload URL, throwing `invalid-url` with a hint when it is not an http(s) URL. */
export function parseHttpUrl(raw: string, what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new TusError('invalid-url', `The ${what} ${JSON.stringify(raw)} is not a valid URL.`, {
      cause,
      hint: 'Give a full URL such as https://example.com/files/.',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TusError('invalid-url', `The ${what} ${JSON.stringify(raw)} must use http or https.`, {
      hint: 'Give a full URL such as https://example.com/files/.',
    });
  return url;
}

/**
 * Resolves a `Location` header against the request URL: absolute, relative (`/files/id`) or `//host/files/id`. One that
 * is no URL at all (or not http/https) is the server's fault: an `http` error quoting it.
 */
export function resolveLocation(location: string, base: string): string {
  let url: URL;
  try {
    url = new URL(location.trim(), base);
  } catch (cause) {
    throw new TusError('http', `The server's Location header ${JSON.stringify(location.slice(0, 200))} is not a valid URL.`, {
      url: base,
      cause,
      hint: 'The server (or a proxy rewriting its headers) is misconfigured; report it to its operator.',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TusError('http', `The server's Location header ${JSON.stringify(location.slice(0, 200))} is not an http(s) URL.`, {
      url: base,
      hint: 'The server (or a proxy rewriting its headers) is misconfigured; report it to its operator.',
    });
  return url.toString();
}
