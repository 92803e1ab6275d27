#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npm ci` is all a fresh clone needs:
// no build step can go stale between the sources and what runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../controller/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
