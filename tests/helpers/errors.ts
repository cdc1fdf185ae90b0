/** Helpers for tests that check the errors the engine gives. */
import type { TusError } from '../../main/engine/tus';

/** The error `p` rejects with, as a TusError; fails the test when `p` resolves instead. */
export async function failure(p: Promise<unknown>): Promise<TusError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!e) throw new Error('expected a failure');
  return e as TusError;
}
