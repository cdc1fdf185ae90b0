import { TusError, errorFromStatus } from './errors';
import type { HttpResponse } from './http';
import type { ServerInfo } from './types';

/** Splits a comma-separated header into trimmed, non-empty entries. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Statuses that say something about the request (credentials, a proxy's login, the rate, the size of the headers),
 * not that the endpoint is something other than tus: an OPTIONS answered with one of them gets its own error.
 */
const ABOUT_THE_REQUEST = new Set([401, 403, 407, 429, 431]);

/**
 * Reads an OPTIONS answer. 200 and 204 are both fine and a missing `Tus-Version` falls back to 1.0.0; an answer with
 * no tus header at all (an ordinary web server) is a `not-tus` error.
 */
export function parseServerInfo(endpoint: string, res: HttpResponse): ServerInfo {
  const h = res.headers;
  const isTus = h['tus-resumable'] !== undefined || h['tus-version'] !== undefined || h['tus-extension'] !== undefined;
  if (res.status < 200 || res.status >= 300) {
    const redirect = res.status >= 300 && res.status < 400 && h['location'] !== undefined;
    if (redirect) throw errorFromStatus('OPTIONS', endpoint, res, `${endpoint} is not the tus endpoint`);
    if (res.status === 404 || res.status === 405 || (!isTus && res.status < 500 && !ABOUT_THE_REQUEST.has(res.status)))
      throw new TusError('not-tus', `${endpoint} does not look like a tus endpoint (OPTIONS answered ${res.status}).`, {
        method: 'OPTIONS',
        url: endpoint,
        status: res.status,
        serverMessage: res.body,
        hint: 'Check the endpoint URL: it should be the tus creation URL, for example https://host/files/.',
      });
    throw errorFromStatus('OPTIONS', endpoint, res, 'Asking the server what it supports failed');
  }
  if (!isTus)
    throw new TusError('not-tus', `${endpoint} answered but is not a tus server (no Tus-Resumable, Tus-Version or Tus-Extension header).`, {
      method: 'OPTIONS',
      url: endpoint,
      status: res.status,
      hint: 'Check the endpoint URL: it should point at the tus upload endpoint, not a web page.',
    });
  const versions = splitList(h['tus-version']);
  const version = versions[0] ?? h['tus-resumable']?.trim() ?? '1.0.0';
  const max = h['tus-max-size'] ? Number(h['tus-max-size']) : undefined;
  return {
    endpoint,
    version,
    versions: versions.length ? versions : [version],
    extensions: splitList(h['tus-extension']),
    maxSize: max !== undefined && Number.isFinite(max) && max > 0 ? max : undefined,
    checksumAlgorithms: splitList(h['tus-checksum-algorithm']).map((a) => a.toLowerCase()),
    status: res.status,
  };
}
