/**
 * An in-page fake `window.tusk` for working on the LOOK of the window without an engine (a few jobs in every state,
 * one folder, a profile, moving progress). Never used by the committed tests' assertions: they bind the real engine
 * (bridge.ts + engine-process.ts). Use it from a scratch Playwright script:
 *   await page.addInitScript(fakeBridgeInit); await page.goto(staticServerUrl);
 * It must stay self-contained: Playwright serializes the function into the page.
 */
export function fakeBridgeInit(): void {
  type Listener = (payload: unknown) => void;
  const listeners = new Map<string, Set<Listener>>();
  const now = Date.now();
  const mk = (i: number, name: string, size: number, status: string, extra: Record<string, unknown> = {}) => ({
    id: `f${i}`,
    profileId: 'demo',
    path: `/home/ana/Documents/${name}`,
    name,
    size,
    offset: status === 'completed' ? size : Math.round(size * 0.4),
    status,
    priority: 0,
    order: i,
    speed: status === 'uploading' ? 2_400_000 : 0,
    etaSeconds: status === 'uploading' ? 42 : undefined,
    attempt: status === 'queued' ? 0 : 1,
    createdAt: now - 60_000,
    ...extra,
  });
  const jobs = [
    mk(1, 'thesis-final.pdf', 2_400_000, 'completed', { uploadUrl: 'https://example.org/files/1' }),
    mk(2, 'interview-raw.mov', 60_000_000, 'uploading', { uploadUrl: 'https://example.org/files/2' }),
    mk(3, 'podcast-ep42.wav', 30_000_000, 'paused'),
    mk(4, 'survey-notes.docx', 240_000, 'retrying', { nextAttemptAt: now + 12_000, lastError: { code: 'network', message: 'Connection refused', retryable: true } }),
    mk(5, 'budget.xlsx', 380_000, 'failed', { lastError: { code: 'forbidden', message: 'The server refused access (403).', retryable: false } }),
    mk(6, 'IMG_4100.jpg', 180_000, 'completed', { batchId: 'b1', relativePath: 'beach/IMG_4100.jpg' }),
  ];
  const totals = { filesTotal: 6, filesDone: 2, filesFailed: 1, filesActive: 2, bytesTotal: 93_200_000, bytesDone: 2_580_000, speed: 2_400_000, etaSeconds: 42 };
  const batch = { id: 'b1', profileId: 'demo', name: 'holiday-2024', rootPath: '/home/ana/holiday-2024', jobCount: 1, completedCount: 1, failedCount: 0, activeCount: 0, size: 180_000, offset: 180_000, speed: 0, status: 'completed', problems: [], createdAt: now };
  const throughput = Array.from({ length: 120 }, (_, i) => ({ at: (Math.floor(now / 1000) - 120 + i) * 1000, bytesPerSecond: 2_000_000 + Math.sin(i / 6) * 600_000 }));
  const profile = { id: 'demo', name: 'Demo server', endpoint: 'https://example.org/files/', headers: [], chunkSize: 0, checksum: 'auto', parallelUploads: 1, verifyTls: true, maxConcurrent: 3 };
  const settings = { concurrency: 3, bandwidthLimit: 0, startAtLogin: false, startHidden: false, notifications: true, keepAwake: true, closeToTray: true, theme: 'system', ignorePatterns: [], followSymlinks: false };
  const none = { jobIds: [], batchIds: [], rejected: [] };
  const answers: Record<string, (...args: unknown[]) => unknown> = {
    getSnapshot: () => ({ jobs, batches: [batch], totals, bandwidthLimit: 0, throughput, seq: 1 }),
    listProfiles: () => [profile],
    getSettings: () => settings,
    updateSettings: (patch) => Object.assign(settings, patch),
    getJobDetails: (id) => ({ job: jobs.find((j) => j.id === id), attemptLog: [{ at: now - 30_000, attempt: 1, kind: 'started', message: 'Attempt 1: starting.' }], endpoint: profile.endpoint }),
    getHistory: () => [],
    testConnection: () => ({ endpoint: profile.endpoint, reachable: true, isTus: true, version: '1.0.0', versions: ['1.0.0'], extensions: ['creation', 'termination', 'checksum'], checksumAlgorithms: ['sha1', 'sha256'], expiration: false, checkedAt: now, plan: { chunkSize: 0, checksum: 'sha256', parallelUploads: 1, creationWithUpload: false, deferredLength: false, termination: true } }),
    addPaths: () => none,
    addFilesWithDialog: () => none,
    addFolderWithDialog: () => none,
    saveHistoryExport: () => undefined,
  };
  const api = new Proxy({} as Record<string, (...args: unknown[]) => Promise<unknown>>, {
    get: (_t, name: string) => async (...args: unknown[]) => answers[name]?.(...args),
  });
  let seq = 1;
  setInterval(() => {
    const j = jobs[1];
    j.offset = (j.offset + 240_000) % j.size;
    seq += 1;
    const payload = { seq, jobs: [{ ...j }], throughput: [{ at: Math.floor(Date.now() / 1000) * 1000, bytesPerSecond: 2_400_000 }] };
    for (const l of listeners.get('queue:delta') ?? []) l(payload);
  }, 100);
  (window as unknown as { tusk: unknown }).tusk = {
    api,
    on(event: string, listener: Listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    getPathForFile: (file: File) => `/home/ana/Documents/${file.name}`,
    platform: 'fake',
  };
}
