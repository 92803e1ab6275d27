#!/usr/bin/env node
// Runs only the compiled CLI in dist/ (built by `npm run build`, which `npm ci` runs as `prepare`): no
// transpiler at run time, so no tsconfig.json, package.json or node_modules of the current directory (a
// site repository, typically) can change what runs. See docs/adr/0005-compiled-cli.md.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/underlay.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: underlay is not built (no dist/underlay.js): run `npm run build` in its install\n');
  process.exit(1);
}
// Stack traces are printed only with UNDERLAY_DEBUG=1; then they point into the TypeScript sources.
if (process.env.UNDERLAY_DEBUG === '1') process.setSourceMapsEnabled(true);
const { runCli } = await import(entry.href);
await runCli(process.argv.slice(2));
