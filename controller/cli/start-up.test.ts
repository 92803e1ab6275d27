/**
 * What each command loads when it starts, read from the built bundle's metafile (dist/meta.json, written by
 * scripts/build.ts): a command must not pay at start-up for packages only other commands need. Static
 * imports load with the chunk; dynamic ones (each command's module, the SSH transport) only when reached.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Metafile {
  outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}

const root = path.resolve(import.meta.dirname, '../..');
const meta = JSON.parse(readFileSync(path.join(root, 'dist', 'meta.json'), 'utf8')) as Metafile;

/** The packages (bundled or external) that load with the output built from `entryPoint`, before any dynamic import. */
function packagesLoadedBy(entryPoint: string): Set<string> {
  const start = Object.keys(meta.outputs).find((out) => meta.outputs[out]!.entryPoint === entryPoint);
  if (!start) throw new Error(`no output for ${entryPoint} in dist/meta.json: run npm run build`);
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    const output = meta.outputs[out]!;
    for (const input of Object.keys(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      if (match) packages.add(match[1]!);
    }
    for (const imported of output.imports) {
      if (imported.kind === 'dynamic-import') continue;
      if (imported.external) {
        if (!imported.path.startsWith('node:')) packages.add(imported.path);
      } else visit(imported.path);
    }
  };
  visit(start);
  return packages;
}

const HEAVY = ['zod', 'yaml', 'liquidjs', 'isomorphic-git', 'ssh2', 'better-sqlite3'];
const cases: [string, string[]][] = [
  ['controller/cli/entry.ts', HEAVY],
  ['controller/cli/commands/validate.ts', ['ssh2', 'better-sqlite3']],
  ['controller/cli/commands/schema.ts', ['ssh2', 'better-sqlite3', 'isomorphic-git', 'liquidjs']],
  ['controller/cli/commands/plan.ts', ['ssh2']],
];

for (const [entryPoint, notLoaded] of cases) {
  test(`${path.basename(entryPoint)} does not load ${notLoaded.join(', ')} at start-up`, (t) => {
    const loaded = packagesLoadedBy(entryPoint);
    t.deepEqual(notLoaded.filter((p) => loaded.has(p)), []);
  });
}

test('the start-up check sees the packages a command does load', (t) => {
  t.deepEqual([...packagesLoadedBy('controller/cli/entry.ts')], ['commander']);
  t.true(HEAVY.slice(0, 4).every((p) => packagesLoadedBy('controller/cli/commands/validate.ts').has(p)));
  t.true(packagesLoadedBy('controller/cli/commands/nodes.ts').has('ssh2'));
});
