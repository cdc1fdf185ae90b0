/** The tus protocol engine: client, uploader and their swappable parts. */
export { TusClient, DEFAULT_CHUNK_SIZE, defaultHttpStack, type PreviousUpload, type TusClientDeps } from './client';
export { Uploader, type UploaderInit, type UploaderContext } from './uploader';
export { TusError, isTusError, errorFromStatus, errorFromNetwork } from './errors';
export { UndiciHttpStack, type HttpStack, type HttpRequest, type HttpResponse, type UndiciHttpStackOptions } from './http';
export { Http1Stack } from './http1';
export { shouldRetry, retryDelay, retryWait, parseRetryAfter, MAX_RETRY_DELAY_MS, MAX_RETRY_AFTER_MS, type RetryOptions } from './retry';
export { chooseChecksum, digestBase64, checksumHeader, CHECKSUM_PREFERENCE } from './checksum';
export { DefaultFingerprinter, PartialMd5Fingerprinter, CallableFingerprinter } from './fingerprint';
export { FileUrlStorage, MemoryUrlStorage, defaultUrlStoragePath } from './url-storage';
export { openFileSource, FileSource, StreamSource, SLICE_SIZE, type UploadSource } from './sources';
export { encodeMetadata, parseMetadata, validateMetadata } from './metadata';
export { parseServerInfo } from './server-info';
export { parseHttpUrl, resolveLocation } from './url';
export { fileTypeFor } from './filetype';
export type * from './types';
