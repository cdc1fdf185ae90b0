/** Errors of the state directory that a person can act on. */

/** Why the state could not be written or read. */
export type StoreIoErrorCode = 'state-disk-full' | 'state-unwritable' | 'state-io' | 'state-too-new';

/** A failed read or write of the state directory: says which directory, what happened and what to do. */
export class StoreIoError extends Error {
  readonly code: StoreIoErrorCode;
  constructor(
    code: StoreIoErrorCode,
    readonly dir: string,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} ${hint}`, options);
    this.code = code;
    this.name = 'StoreIoError';
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Wraps a filesystem error met while reading or writing `file` in the state directory `dir`. */
export function describeIoError(err: unknown, dir: string, action: string): StoreIoError {
  const code = errnoCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StoreIoError(
      'state-disk-full',
      dir,
      `Tusk could not ${action}: the disk holding the state directory ${dir} is full (${code}).`,
      'Free some space on that disk; Tusk keeps the queue in memory and retries the write by itself.',
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
    return new StoreIoError(
      'state-unwritable',
      dir,
      `Tusk could not ${action}: the state directory ${dir} cannot be written (${code}: ${detail}).`,
      'Make that directory writable by this user (check its permissions, that it is a directory and not read-only), or choose another one with --state-dir.',
      { cause: err },
    );
  }
  return new StoreIoError(
    'state-io',
    dir,
    `Tusk could not ${action} in the state directory ${dir} (${code ?? 'error'}: ${detail}).`,
    'Check that the disk is healthy and reachable; Tusk keeps the queue in memory and retries the write by itself.',
    { cause: err },
  );
}

/** The errno code of a Node error, if any. */
export function errorCode(err: unknown): string | undefined {
  return errnoCode(err);
}
