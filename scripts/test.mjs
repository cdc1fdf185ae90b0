#!/usr/bin/env node
/**
 * `npm test`: the one test command (README and CI run exactly this).
 *   1. type-check and lint the whole repo;
 *   2. Vitest: unit and integration tests on plain Node against real tus servers;
 *   3. build the app (main, preload, CLI, production renderer);
 *   4. Playwright: the browser suite (real Chromium, real engine) and the Electron suite (skips with one printed
 *      line where the Electron binary is absent).
 * It ends with one summary line, `tests: N passed, N failed, N skipped`, and exits non-zero if any step failed.
 * `--quick` runs only steps 1 and 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Not Playwright's own `test-results/` (it empties that folder when it starts).
const out = join(root, 'reports');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const quick = process.argv.includes('--quick');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

function step(name, cmd, args, env = {}) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const ok = r.status === 0;
  console.log(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${secs} s`);
  if (!ok) failedSteps.push(name);
  return ok;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('lint', bin('eslint'), ['.', '--max-warnings=0']);

const vitestJson = join(out, 'vitest.json');
step('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const v = readJson(vitestJson);
if (v) {
  totals.passed += v.numPassedTests ?? 0;
  totals.failed += v.numFailedTests ?? 0;
  totals.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
} else {
  failedSteps.push('vitest (no results file)');
}

if (!quick) {
  if (step('build', process.execPath, [join(root, 'scripts', 'build.mjs')])) {
    const pwJson = join(out, 'playwright.json');
    step('playwright', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
    const p = readJson(pwJson);
    if (p?.stats) {
      totals.passed += (p.stats.expected ?? 0) + (p.stats.flaky ?? 0);
      totals.failed += p.stats.unexpected ?? 0;
      totals.skipped += p.stats.skipped ?? 0;
    } else if (existsSync(join(root, 'playwright.config.ts'))) {
      failedSteps.push('playwright (no results file)');
    }
  }
}

console.log('');
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length || totals.failed ? 1 : 0);
