/** Export of finished uploads as CSV (RFC 4180 quoting) or JSON. */
import type { HistoryEntry } from '../../../shared/types';

const COLUMNS: Array<keyof HistoryEntry> = [
  'finishedAt',
  'name',
  'relativePath',
  'path',
  'size',
  'durationMs',
  'averageSpeed',
  'checksum',
  'endpoint',
  'uploadUrl',
  'resultUrl',
  'profileId',
  'jobId',
  'id',
];

/** Quotes one CSV field when it holds a comma, quote or line break (quotes doubled). */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'number' ? String(value) : String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The history as CSV: a header row, one row per entry, CRLF line ends; times as ISO 8601 (UTC). */
export function historyToCsv(entries: HistoryEntry[]): string {
  const rows = [COLUMNS.join(',')];
  for (const e of entries) {
    rows.push(COLUMNS.map((c) => csvField(c === 'finishedAt' ? new Date(e.finishedAt).toISOString() : e[c])).join(','));
  }
  return rows.join('\r\n') + '\r\n';
}

/** The history as pretty JSON (an array of HistoryEntry). */
export function historyToJson(entries: HistoryEntry[]): string {
  return JSON.stringify(entries, null, 2) + '\n';
}

/** Entries whose name, path, relative path or URL contains `search` (case-insensitive), newest first. */
export function filterHistory(entries: HistoryEntry[], search?: string, limit?: number): HistoryEntry[] {
  const q = search?.trim().toLowerCase();
  const out: HistoryEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && (limit === undefined || out.length < limit); i--) {
    const e = entries[i];
    if (!q || [e.name, e.path, e.relativePath ?? '', e.uploadUrl, e.endpoint].some((s) => s.toLowerCase().includes(q))) out.push(e);
  }
  return out;
}

const TYPES: Record<string, string> = {
  txt: 'text/plain', csv: 'text/csv', html: 'text/html', htm: 'text/html', css: 'text/css', js: 'text/javascript',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip',
  gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  heic: 'image/heic', tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp', ico: 'image/x-icon',
  mp3: 'audio/mpeg', wav: 'audio/wav', flac: 'audio/flac', ogg: 'audio/ogg', m4a: 'audio/mp4',
  mp4: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska', webm: 'video/webm', avi: 'video/x-msvideo',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  md: 'text/markdown', iso: 'application/x-iso9660-image', bin: 'application/octet-stream',
};

/** The MIME type for a file name's extension (`application/octet-stream` when unknown). */
export function mimeTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return TYPES[name.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}
