import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  CSP_DIRECTIVES,
  SECURE_WEB_PREFERENCES,
  SECURITY_HEADERS,
  isAppUrl,
  isExternalLinkAllowed,
  isNavigationAllowed,
  mimeTypeFor,
  resolveAppRequest,
} from '../../main/electron/security';

describe('webPreferences', () => {
  it('isolates and sandboxes the renderer', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      experimentalFeatures: false,
    });
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
  });
});

describe('Content-Security-Policy', () => {
  it('allows only the app itself and never inline or eval', () => {
    expect(CSP_DIRECTIVES['default-src']).toBe("'self'");
    expect(CSP_DIRECTIVES['script-src']).toBe("'self'");
    expect(CSP_DIRECTIVES['connect-src']).toBe("'self'");
    expect(CSP_DIRECTIVES['img-src']).toBe("'self' data:");
    expect(CSP_DIRECTIVES['object-src']).toBe("'none'");
    expect(CSP_DIRECTIVES['base-uri']).toBe("'none'");
    expect(CSP_DIRECTIVES['frame-ancestors']).toBe("'none'");
    expect(CSP_DIRECTIVES['form-action']).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)|\*/);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'; script-src 'self'");
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('app URLs and navigation', () => {
  it('recognises only app://tusk', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://tusk/assets/x.js')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
    expect(isAppUrl('https://tusk/index.html')).toBe(false);
    expect(isAppUrl('app://user:pw@tusk/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
  it('denies every navigation except reloading the same page', () => {
    expect(isNavigationAllowed(APP_ENTRY_URL, APP_ENTRY_URL)).toBe(true);
    expect(isNavigationAllowed(APP_ENTRY_URL, 'https://example.com/')).toBe(false);
    expect(isNavigationAllowed(APP_ENTRY_URL, 'file:///etc/passwd')).toBe(false);
    expect(isNavigationAllowed(APP_ENTRY_URL, 'app://tusk/other.html')).toBe(false);
  });
  it('opens only https links externally', () => {
    expect(isExternalLinkAllowed('https://tus.io/protocols/resumable-upload')).toBe(true);
    expect(isExternalLinkAllowed('http://tus.io')).toBe(false);
    expect(isExternalLinkAllowed('file:///bin/sh')).toBe(false);
    expect(isExternalLinkAllowed('javascript:alert(1)')).toBe(false);
    expect(isExternalLinkAllowed('smb://host/share')).toBe(false);
  });
});

describe('resolveAppRequest', () => {
  it('maps app URLs to files inside the renderer directory', () => {
    expect(resolveAppRequest('app://tusk/')).toBe('index.html');
    expect(resolveAppRequest('app://tusk/index.html')).toBe('index.html');
    expect(resolveAppRequest('app://tusk/assets/index-abc.js?v=1#x')).toBe('assets/index-abc.js');
    expect(resolveAppRequest('app://tusk/a%20b.css')).toBe('a b.css');
  });
  it('refuses traversal, other hosts and odd encodings', () => {
    // The URL parser already folds encoded dot segments at the root: the result stays inside the directory.
    expect(resolveAppRequest('app://tusk/%2e%2e/%2e%2e/etc/passwd')).toBe('etc/passwd');
    expect(resolveAppRequest('app://tusk/assets/..%2F..%2Fsecret')).toBeUndefined();
    expect(resolveAppRequest('app://tusk/a%5C..%5Cb')).toBeUndefined();
    expect(resolveAppRequest('app://tusk/a%00b')).toBeUndefined();
    expect(resolveAppRequest('app://tusk/%E0%A4%A')).toBeUndefined();
    expect(resolveAppRequest('app://other/index.html')).toBeUndefined();
    expect(resolveAppRequest('file:///etc/passwd')).toBeUndefined();
  });
  it('serves the right content types', () => {
    expect(mimeTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('assets/a.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('x.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('noext')).toBe('application/octet-stream');
  });
});
