/**
 * Builds what the CLI runs, dist/, from the sources: `npm run build` (also `prepare`, so `npm ci` builds,
 * and `npm test` builds first, so no stale dist/ is ever tested). See docs/adr/0005.
 *
 * One ES module bundle with code splitting: each command's module and what only it needs become chunks
 * that main.ts imports on demand. Pure-JS dependencies are bundled (a bundle starts faster than Node
 * resolving hundreds of files under node_modules); packages with native parts stay external and are loaded
 * from this install's node_modules, resolved from dist/ and never from the current directory.
 */
import { build } from 'esbuild';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
// Built beside dist/ and swapped in at the end: a build while the CLI runs (the quick start rebuilds an
// install; a test suite runs the CLI meanwhile) never leaves a moment without a dist/ or with half of one.
// The same depth as dist/, so what the bundle resolves relative to itself (node_modules) is the same.
const staging = `.dist-build-${process.pid}`;
const outdir = path.join(root, staging);
const NATIVE = ['better-sqlite3', 'ssh2'];

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { underlay: 'controller/cli/entry.ts' },
  outdir,
  tsconfig: 'tsconfig.build.json',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: NATIVE,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  sourcesContent: false,
  // Bundled CommonJS dependencies call require(); in an ES module it is made here, relative to the bundle.
  banner: { js: "import { createRequire as __underlayCreateRequire } from 'node:module'; const require = __underlayCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
// Which chunk holds and imports what: controller/cli/start-up.test.ts checks what each command loads from it,
// by the paths the files have once in dist/.
await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile).replaceAll(`"${staging}/`, '"dist/'));
const previous = `${dist}.old-${process.pid}`;
await rename(dist, previous).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(outdir, dist);
await rm(previous, { recursive: true, force: true });
