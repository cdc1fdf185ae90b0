/** Shared setup of the queue tests: an engine on a temp state dir with the real store and the real TusClient. */
import type { Engine } from '../../main/engine/engine-types';
import { createEngine, type CreateEngineOptions } from '../../main/engine/index';
import { internalsOf } from '../../main/engine/engine-internals';
import { MemoryProfileRepository, makeProfile } from '../../main/engine/profiles';
import { MemorySettingsRepository } from '../../main/engine/settings';
import type { JobView, ServerProfile, Settings } from '../../shared/types';

/** An engine with one profile for `endpoint`; retries are fast so tests stay short. */
export async function startEngine(
  stateDir: string,
  endpoint: string,
  opts: { profile?: Partial<ServerProfile>; settings?: Partial<Settings>; engine?: Partial<CreateEngineOptions> } = {},
): Promise<{ engine: Engine; profile: ServerProfile; profiles: MemoryProfileRepository }> {
  const profile = makeProfile({ id: 'p1', name: 'test', endpoint, chunkSize: 256 * 1024, checksum: 'none', ...opts.profile });
  const profiles = new MemoryProfileRepository([profile]);
  const engine = await createEngine({
    stateDir,
    profiles,
    settings: new MemorySettingsRepository({ concurrency: 4, ...opts.settings }),
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 1000,
    ...opts.engine,
  });
  return { engine, profile, profiles };
}

/** The queue of an engine. */
export const queueOf = (engine: Engine) => internalsOf(engine).queue;

/** Waits until `pred` holds (polling), or throws after `timeoutMs` with what was seen last. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until every given job has finished (completed, failed or cancelled) and returns them. */
export async function waitJobsDone(engine: Engine, ids: string[], timeoutMs = 30_000): Promise<JobView[]> {
  const q = queueOf(engine);
  return waitFor(
    `jobs to finish`,
    () => {
      const jobs = ids.map((id) => q.job(id)!);
      return jobs.every((j) => j && ['completed', 'failed', 'cancelled'].includes(j.status)) ? jobs : undefined;
    },
    timeoutMs,
  );
}
