/**
 * Secret header values: encrypted at rest with the OS keychain (Electron's safeStorage, injected as a `Cipher`),
 * never sent to the renderer in clear. No Electron import: `cipherFromSafeStorage` takes safeStorage structurally.
 *
 * Policy when no keychain is available (Linux without gnome-keyring/kwallet, where safeStorage falls back to a
 * hard-coded key, "basic_text"): Tusk refuses to store new secret values and says why. A person who accepts the
 * risk can untick "secret" so the value is stored in clear in the settings file, knowingly; Tusk never does it for them.
 */
import type { HeaderEntry } from '../../shared/types';

/** Encrypts and decrypts strings (base64 ciphertext). */
export interface Cipher {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /** Whether strong encryption is available right now. */
  available(): boolean;
}

/** A header as stored on disk: secret values only as ciphertext. */
export interface StoredHeader {
  name: string;
  secret: boolean;
  /** Clear value, for non-secret headers only. */
  value?: string;
  /** Base64 ciphertext, for secret headers only. */
  sealed?: string;
}

/** Thrown when a secret must be stored but no keychain is available. */
export class SecretStorageUnavailableError extends Error {
  constructor(headerName: string) {
    super(
      `Cannot store the secret value of header "${headerName}": no system keychain is available to encrypt it ` +
        '(on Linux, install and unlock gnome-keyring or KWallet, then restart Tusk). ' +
        'Tusk does not write secrets in clear. If you accept that risk, untick "secret" for this header.',
    );
    this.name = 'SecretStorageUnavailableError';
  }
}

/** The subset of Electron's `safeStorage` used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
  getSelectedStorageBackend?(): string;
}

/** A `Cipher` over Electron's safeStorage; the Linux "basic_text" backend (a fixed key) counts as unavailable. */
export function cipherFromSafeStorage(safe: SafeStorageLike, platform: string = process.platform): Cipher {
  return {
    available() {
      if (!safe.isEncryptionAvailable()) return false;
      if (platform === 'linux' && safe.getSelectedStorageBackend) {
        const backend = safe.getSelectedStorageBackend();
        return backend !== 'basic_text' && backend !== 'unknown';
      }
      return true;
    },
    encrypt: (plain) => safe.encryptString(plain).toString('base64'),
    decrypt: (sealed) => safe.decryptString(Buffer.from(sealed, 'base64')),
  };
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Turns headers from the renderer into stored headers. A secret header with an empty value keeps the value stored
 * under the same name; a new secret value is encrypted, or refused when no keychain is available.
 */
export function sealHeaders(input: HeaderEntry[], previous: StoredHeader[] | undefined, cipher: Cipher): StoredHeader[] {
  return input.map((h) => {
    if (!h.secret) return { name: h.name, secret: false, value: h.value };
    if (h.value === '') {
      const kept = previous?.find((p) => p.secret && p.sealed && sameName(p.name, h.name));
      if (kept?.sealed) return { name: h.name, secret: true, sealed: kept.sealed };
      // A header turned secret keeps its clear value, now encrypted.
      const wasClear = previous?.find((p) => !p.secret && p.value && sameName(p.name, h.name));
      if (wasClear?.value) {
        if (!cipher.available()) throw new SecretStorageUnavailableError(h.name);
        return { name: h.name, secret: true, sealed: cipher.encrypt(wasClear.value) };
      }
      throw new Error(`Header "${h.name}" is marked secret but has no value. Type its value, or remove the header.`);
    }
    if (!cipher.available()) throw new SecretStorageUnavailableError(h.name);
    return { name: h.name, secret: true, sealed: cipher.encrypt(h.value) };
  });
}

/** Headers as the renderer sees them: secret values replaced by '' and `hasValue`. */
export function maskHeaders(stored: StoredHeader[]): HeaderEntry[] {
  return stored.map((h) =>
    h.secret
      ? { name: h.name, value: '', secret: true, hasValue: Boolean(h.sealed) }
      : { name: h.name, value: h.value ?? '', secret: false },
  );
}

/** Headers to send, secrets decrypted (for the engine only). Fails clearly when a secret cannot be decrypted. */
export function openHeaders(stored: StoredHeader[], cipher: Cipher, profileName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of stored) {
    if (!h.secret) {
      out[h.name] = h.value ?? '';
      continue;
    }
    if (!h.sealed) continue;
    try {
      out[h.name] = cipher.decrypt(h.sealed);
    } catch (error) {
      throw new Error(
        `Cannot decrypt the secret header "${h.name}" of profile "${profileName}" ` +
          `(${error instanceof Error ? error.message : String(error)}). The system keychain may have changed or be ` +
          'locked: unlock it, or type the value again in the profile.',
        { cause: error },
      );
    }
  }
  return out;
}
