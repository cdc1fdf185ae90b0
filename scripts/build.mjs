// `npm run build`: bundles the Electron main process, the sandboxed preload and the CLI with esbuild, copies the
// icons, then builds the renderer with vite. A missing entry is skipped with a printed line so the build can run in
// CI at any stage; once every part exists it builds them all. Exit code 1 on any real failure.
import { copyFile, mkdir, access } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const exists = (p) => access(p).then(() => true, () => false);
let failed = false;
const done = [];

async function step(name, entry, fn) {
  if (entry && !(await exists(entry))) {
    console.log(`build: skipped ${name}: ${entry} does not exist yet`);
    return;
  }
  const started = Date.now();
  try {
    await fn();
    done.push(`${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed = true;
    console.error(`build: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const common = { bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none' };

await step('main process', 'main/electron/index.ts', async () => {
  await build({
    ...common,
    entryPoints: ['main/electron/index.ts'],
    outfile: 'dist/main/index.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    external: ['electron'],
  });
});

await step('preload', 'main/electron/preload.ts', async () => {
  const result = await build({
    ...common,
    entryPoints: ['main/electron/preload.ts'],
    outfile: 'dist/main/preload.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'chrome130',
    minify: true,
    external: ['electron'],
    metafile: true,
  });
  // A sandboxed preload can require only 'electron' (and a few polyfilled modules): anything else breaks at runtime.
  const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
  const bad = [...new Set(imports)].filter((p) => p !== 'electron');
  if (bad.length) throw new Error(`the sandboxed preload may only require 'electron', but it requires: ${bad.join(', ')}`);
});

await step('CLI', 'main/cli/index.ts', async () => {
  await build({
    ...common,
    entryPoints: ['main/cli/index.ts'],
    outfile: 'dist/cli/tusk.mjs',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Bundled CommonJS dependencies call require(); give them one in the ESM bundle.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __tuskCreateRequire } from 'node:module';\nconst require = __tuskCreateRequire(import.meta.url);",
    },
  });
});

await step('icons', 'build/icon.png', async () => {
  await mkdir('dist/main', { recursive: true });
  await copyFile('build/icon.png', 'dist/main/icon.png');
  if (await exists('build/tray.png')) await copyFile('build/tray.png', 'dist/main/tray.png');
});

await step('renderer', 'renderer/vite.config.ts', async () => {
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`vite build exited with ${r.status ?? r.signal}`);
});

console.log(`build: ${done.length ? done.join(', ') : 'nothing built'}`);
if (failed) process.exit(1);
