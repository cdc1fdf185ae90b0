import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  MIGRATIONS,
  NewerSchemaError,
  SCHEMA_VERSION,
  emptyDocument,
  loadDocument,
} from '../../main/electron/settings-schema';
import type { Migration, StoreDocument } from '../../main/electron/settings-schema';
import {
  LOCAL_SERVER_PROFILE_NAME,
  createDesktopRepositories,
  memoryDocumentStore,
} from '../../main/electron/repositories';
import type { DocumentStore } from '../../main/electron/repositories';
import { SecretStorageUnavailableError, cipherFromSafeStorage } from '../../main/electron/secrets';
import type { Cipher } from '../../main/electron/secrets';
import type { ServerProfile } from '../../shared/types';

/** A reversible stand-in for safeStorage whose ciphertext never contains the clear text. */
function fakeCipher(available = true): Cipher & { setAvailable(v: boolean): void } {
  let ok = available;
  return {
    setAvailable: (v) => {
      ok = v;
    },
    available: () => ok,
    encrypt: (s) => Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a)).toString('base64'),
    decrypt: (s) => Buffer.from([...Buffer.from(s, 'base64')].map((b) => b ^ 0x5a)).toString('utf8'),
  };
}

function profile(over: Partial<ServerProfile> = {}): ServerProfile {
  return {
    id: 'p1',
    name: 'Work',
    endpoint: 'https://tus.example.com/files/',
    headers: [],
    chunkSize: 0,
    checksum: 'auto',
    parallelUploads: 1,
    verifyTls: true,
    maxConcurrent: 2,
    ...over,
  };
}

/** A JSON file store, like electron-store's file, in a temp dir. */
function fileStore(path: string): DocumentStore & { flush(): Promise<void> } {
  let pending: Promise<void> = Promise.resolve();
  let current: unknown;
  return {
    read: () => current,
    write: (doc: StoreDocument) => {
      current = structuredClone(doc);
      pending = pending.then(() => writeFile(path, JSON.stringify(doc)));
    },
    flush: () => pending,
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadDocument', () => {
  it('creates defaults from nothing', () => {
    const { doc, changed, migrated } = loadDocument(undefined);
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION);
    expect(doc.settings).toEqual(DEFAULT_SETTINGS);
    expect(doc.profiles).toEqual([]);
    expect(doc.localServer).toEqual({ profileId: undefined, declined: false });
    expect(loadDocument({ schemaVersion: 1, localServer: { port: 70000, declined: false } }).doc.localServer.port).toBeUndefined();
    expect(changed).toBe(true);
    expect(migrated).toHaveLength(1);
  });
  it('migrates an unversioned document with top-level settings keys', () => {
    const { doc, repaired } = loadDocument({ concurrency: 5, theme: 'dark', windowBounds: { x: 1 } });
    expect(doc.settings.concurrency).toBe(5);
    expect(doc.settings.theme).toBe('dark');
    expect(doc.settings.notifications).toBe(true);
    expect(repaired).toEqual([]);
  });
  it('is stable: a current document loads unchanged', () => {
    const first = loadDocument({}).doc;
    const again = loadDocument(JSON.parse(JSON.stringify(first)));
    expect(again.changed).toBe(false);
    expect(again.doc).toEqual(first);
  });
  it('repairs invalid fields one by one and says so', () => {
    const { doc, repaired } = loadDocument({
      schemaVersion: 1,
      settings: { concurrency: 0, theme: 'neon', keepAwake: false, bogus: 1, defaultProfileId: 'gone' },
      profiles: [],
      localServer: { declined: false },
      quarantine: [],
    });
    expect(doc.settings.concurrency).toBe(DEFAULT_SETTINGS.concurrency);
    expect(doc.settings.theme).toBe('system');
    expect(doc.settings.keepAwake).toBe(false);
    expect(doc.settings.defaultProfileId).toBeUndefined();
    expect(repaired.join('\n')).toMatch(/"concurrency" had an invalid value \(0\)/);
    expect(repaired.join('\n')).toMatch(/"theme"/);
    expect(repaired.join('\n')).toMatch(/unknown setting "bogus"/);
    expect(repaired.join('\n')).toMatch(/default profile "gone"/);
  });
  it('sets broken and duplicate profiles aside instead of dropping them', () => {
    const good = { ...profile(), headers: [] };
    const { doc, repaired } = loadDocument({
      schemaVersion: 1,
      settings: {},
      profiles: [good, { ...good }, { id: 'x', name: 'Broken', endpoint: '' }],
      localServer: { declined: false },
      quarantine: [],
    });
    expect(doc.profiles.map((p) => p.id)).toEqual(['p1']);
    expect(doc.quarantine).toHaveLength(2);
    expect(doc.quarantine[1]).toMatchObject({ what: 'profile', data: { name: 'Broken' } });
    expect(repaired.join('\n')).toMatch(/profile "Broken" could not be read/);
  });
  it('refuses a document from a newer Tusk with a clear message', () => {
    expect(() => loadDocument({ schemaVersion: SCHEMA_VERSION + 1 })).toThrow(NewerSchemaError);
    expect(() => loadDocument({ schemaVersion: 99 })).toThrow(/newer version of Tusk \(schema 99/);
  });
  it('runs only the migrations above the stored version, in order', () => {
    const seen: number[] = [];
    const extra: Migration[] = [
      ...MIGRATIONS,
      {
        to: 2,
        description: 'rename theme "auto" to "system"',
        up: (d) => {
          seen.push(2);
          const s = d.settings as Record<string, unknown>;
          return { ...d, settings: { ...s, theme: s.theme === 'auto' ? 'system' : s.theme } };
        },
      },
    ];
    const fromOne = loadDocument({ ...emptyDocument(), settings: { theme: 'auto' } }, extra);
    expect(seen).toEqual([2]);
    expect(fromOne.doc.schemaVersion).toBe(2);
    expect(fromOne.doc.settings.theme).toBe('system');
    expect(fromOne.migrated).toEqual(['rename theme "auto" to "system"']);
    const fromZero = loadDocument({ theme: 'auto' }, extra);
    expect(fromZero.migrated).toHaveLength(2);
    expect(fromZero.doc.settings.theme).toBe('system');
  });
});

describe('settings repository', () => {
  it('persists updates, notifies listeners, and rejects bad values with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tusk-settings-'));
    dirs.push(dir);
    const file = join(dir, 'tusk-settings.json');
    const store = fileStore(file);
    const repos = createDesktopRepositories(store, fakeCipher());
    const seen: number[] = [];
    repos.settings.onChange((s) => seen.push(s.concurrency));
    const updated = await repos.settings.update({ concurrency: 8, closeToTray: false });
    expect(updated.concurrency).toBe(8);
    expect(seen).toEqual([8]);
    await expect(repos.settings.update({ concurrency: 0 })).rejects.toThrow(/"concurrency" cannot be 0/);
    await expect(repos.settings.update({ defaultProfileId: 'nope' })).rejects.toThrow(/does not exist/);
    await store.flush();
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as StoreDocument;
    expect(onDisk.settings.concurrency).toBe(8);
    expect(onDisk.settings.closeToTray).toBe(false);
    const reopened = createDesktopRepositories(memoryDocumentStore(onDisk), fakeCipher());
    expect((await reopened.settings.get()).concurrency).toBe(8);
    expect(reopened.load.changed).toBe(false);
  });
});

describe('profile repository and secrets', () => {
  it('encrypts secret headers at rest, masks them for the renderer, decrypts them for the engine', async () => {
    const store = memoryDocumentStore();
    const repos = createDesktopRepositories(store, fakeCipher());
    const saved = await repos.profiles.save(
      profile({
        headers: [
          { name: 'Authorization', value: 'Bearer s3cret-token', secret: true },
          { name: 'X-Team', value: 'blue', secret: false },
        ],
      }),
    );
    expect(saved.headers).toEqual([
      { name: 'Authorization', value: '', secret: true, hasValue: true },
      { name: 'X-Team', value: 'blue', secret: false },
    ]);
    expect(JSON.stringify(store.current)).not.toContain('s3cret-token');
    expect(JSON.stringify(await repos.profiles.list())).not.toContain('s3cret-token');
    expect(await repos.profiles.resolveHeaders('p1')).toEqual({ Authorization: 'Bearer s3cret-token', 'X-Team': 'blue' });
  });
  it('keeps the stored secret when the renderer sends it back empty, and replaces it when typed', async () => {
    const repos = createDesktopRepositories(memoryDocumentStore(), fakeCipher());
    await repos.profiles.save(profile({ headers: [{ name: 'Authorization', value: 'one', secret: true }] }));
    await repos.profiles.save(
      profile({ name: 'Renamed', headers: [{ name: 'authorization', value: '', secret: true, hasValue: true }] }),
    );
    expect(await repos.profiles.resolveHeaders('p1')).toEqual({ authorization: 'one' });
    await repos.profiles.save(profile({ headers: [{ name: 'Authorization', value: 'two', secret: true }] }));
    expect(await repos.profiles.resolveHeaders('p1')).toEqual({ Authorization: 'two' });
  });
  it('encrypts a clear header that was turned secret without retyping', async () => {
    const store = memoryDocumentStore();
    const repos = createDesktopRepositories(store, fakeCipher());
    await repos.profiles.save(profile({ headers: [{ name: 'X-Key', value: 'abc123', secret: false }] }));
    await repos.profiles.save(profile({ headers: [{ name: 'X-Key', value: '', secret: true }] }));
    expect(JSON.stringify(store.current)).not.toContain('abc123');
    expect(await repos.profiles.resolveHeaders('p1')).toEqual({ 'X-Key': 'abc123' });
  });
  it('refuses a secret without a value', async () => {
    const repos = createDesktopRepositories(memoryDocumentStore(), fakeCipher());
    await expect(repos.profiles.save(profile({ headers: [{ name: 'X-Key', value: '', secret: true }] }))).rejects.toThrow(
      /marked secret but has no value/,
    );
  });
  it('refuses to store secrets in clear when no keychain is available, and stores nothing', async () => {
    const cipher = fakeCipher(false);
    const store = memoryDocumentStore();
    const repos = createDesktopRepositories(store, cipher);
    const before = JSON.stringify(store.current);
    await expect(
      repos.profiles.save(profile({ headers: [{ name: 'Authorization', value: 'Bearer x', secret: true }] })),
    ).rejects.toThrow(SecretStorageUnavailableError);
    await expect(
      repos.profiles.save(profile({ headers: [{ name: 'Authorization', value: 'Bearer x', secret: true }] })),
    ).rejects.toThrow(/no system keychain.*untick "secret"/);
    expect(JSON.stringify(store.current)).toBe(before);
    expect(await repos.profiles.list()).toEqual([]);
    // Non-secret headers still work without a keychain.
    await repos.profiles.save(profile({ headers: [{ name: 'X-Team', value: 'blue', secret: false }] }));
    expect(await repos.profiles.resolveHeaders('p1')).toEqual({ 'X-Team': 'blue' });
  });
  it('explains a secret that can no longer be decrypted', async () => {
    const cipher = fakeCipher();
    const repos = createDesktopRepositories(memoryDocumentStore(), cipher);
    await repos.profiles.save(profile({ headers: [{ name: 'Authorization', value: 'x', secret: true }] }));
    cipher.decrypt = () => {
      throw new Error('keychain locked');
    };
    await expect(repos.profiles.resolveHeaders('p1')).rejects.toThrow(/Cannot decrypt the secret header "Authorization" of profile "Work" \(keychain locked\)/);
  });
  it('cannot be made builtIn by a caller; deleting unknown ids explains itself', async () => {
    const repos = createDesktopRepositories(memoryDocumentStore(), fakeCipher());
    const saved = await repos.profiles.save(profile({ builtIn: true }));
    expect(saved.builtIn).toBeUndefined();
    await expect(repos.profiles.delete('nope')).rejects.toThrow(/no profile with id "nope"/);
  });
});

describe('local server profile', () => {
  it('is created on first run, follows the port, and is not recreated once deleted', async () => {
    const store = memoryDocumentStore();
    const repos = createDesktopRepositories(store, fakeCipher());
    const first = repos.ensureLocalServerProfile({ endpoint: 'http://127.0.0.1:4000/files/' });
    expect(first).toMatchObject({ name: LOCAL_SERVER_PROFILE_NAME, builtIn: true, endpoint: 'http://127.0.0.1:4000/files/' });
    expect((await repos.settings.get()).defaultProfileId).toBe(first?.id);

    const restarted = createDesktopRepositories(memoryDocumentStore(store.current), fakeCipher());
    const second = restarted.ensureLocalServerProfile({ endpoint: 'http://127.0.0.1:5000/files/' });
    expect(second?.id).toBe(first?.id);
    expect(second?.endpoint).toBe('http://127.0.0.1:5000/files/');
    expect(restarted.localServerPort()).toBe(5000);
    expect(await restarted.profiles.list()).toHaveLength(1);
    // Saving it through the API keeps it built-in.
    const edited = await restarted.profiles.save({ ...(second as ServerProfile), name: 'Mine', builtIn: false });
    expect(edited.builtIn).toBe(true);

    await restarted.profiles.delete(first?.id ?? '');
    expect(restarted.wantsLocalServer()).toBe(false);
    expect(restarted.ensureLocalServerProfile({ endpoint: 'http://127.0.0.1:6000/files/' })).toBeUndefined();
    expect((await restarted.settings.get()).defaultProfileId).toBeUndefined();
  });
});

describe('cipherFromSafeStorage', () => {
  const fakeSafe = (available: boolean, backend: string) => ({
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (s: string) => Buffer.from(`E(${s})`),
    decryptString: (b: Buffer) => b.toString().slice(2, -1),
  });
  it('round-trips through base64', () => {
    const c = cipherFromSafeStorage(fakeSafe(true, 'gnome_libsecret'), 'linux');
    expect(c.available()).toBe(true);
    expect(c.decrypt(c.encrypt('hello'))).toBe('hello');
  });
  it('treats Linux basic_text (a fixed key) and no encryption as unavailable', () => {
    expect(cipherFromSafeStorage(fakeSafe(true, 'basic_text'), 'linux').available()).toBe(false);
    expect(cipherFromSafeStorage(fakeSafe(false, 'kwallet5'), 'linux').available()).toBe(false);
    expect(cipherFromSafeStorage(fakeSafe(true, 'basic_text'), 'darwin').available()).toBe(true);
  });
});
