/**
 * The probe's prefetch (probe-script.ts): the paths of a node's requests are stat'ed by one `stat` and
 * hashed by one `sha256sum`, and every answer is the one looking at the path alone would give. `stat` and
 * `sha256sum` are wrapped on PATH to count their runs and, for the second test, to lose a path from a batch.
 */
import test from 'ava';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directory, file, node as desiredNode, resource, sha256, symlink as link } from '../../test/support/build-desired.js';
import { runLocally } from '../../test/support/local-transport.js';
import { registry } from '../registry.js';
import { buildProbe } from './build-probe.js';
import { parseProbeOutput } from './parse-probe-output.js';

const node = (resources: Parameters<typeof desiredNode>[1]) => desiredNode('node1', resources);
/** What Git wants of a path does not matter here: only what the probe observes there. */
const fileAt = (path: string) => resource(file(path, 'x'));

/** Names that the batches' line formats must not misread: blanks where the formats put theirs, colons, globs. */
const NAMES = ['plain.conf', 'two  spaces.conf', 'trailing blank ', 'a:b:c:d:e', '*', '-dash', ' lead', 'x  y  z', 'é.conf'];

interface Wrapped {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** One line per run of the wrapped commands: its name and arguments. */
  runs(): Promise<string[]>;
}

/** `stat` and `sha256sum` wrapped to log each run; $PREFETCH_DROP, when set, is left out of any batch. */
async function wrapped(t: { teardown(f: () => Promise<void>): void }): Promise<Wrapped> {
  const dir = await mkdtemp(join(tmpdir(), 'underlay-prefetch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const log = join(dir, 'runs.log');
  // A batch is a run given more than one path: `stat -c FORMAT -- PATH...`, `sha256sum -- PATH...`.
  for (const [name, batchArgs] of [['stat', 4], ['sha256sum', 1]] as const) {
    const real = `/usr/bin/${name}`;
    await writeFile(
      join(bin, name),
      `#!/bin/sh
printf '%s' ${name} >> '${log}'; for v do printf ' [%s]' "$v" >> '${log}'; done; echo >> '${log}'
drop=\${PREFETCH_DROP-}
if [ -n "$drop" ] && [ $# -gt ${batchArgs} ]; then
  for v do shift; [ "$v" = "$drop" ] || set -- "$@" "$v"; done
fi
exec ${real} "$@"
`,
    );
    await chmod(join(bin, name), 0o755);
  }
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  return { dir, env, runs: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '') };
}

async function site(dir: string) {
  const root = join(dir, 'site');
  await mkdir(join(root, 'sub'), { recursive: true, mode: 0o750 });
  await chmod(join(root, 'sub'), 0o750);
  const files = NAMES.map((n, i) => ({ path: join(root, n), content: `content ${i}\n`.repeat(i + 1) }));
  for (const [i, f] of files.entries()) {
    await writeFile(f.path, f.content);
    await chmod(f.path, i % 2 === 0 ? 0o640 : 0o604);
  }
  await symlink(files[0]!.path, join(root, 'link'));
  const resources = [
    ...files.map((f) => fileAt(f.path)),
    fileAt(`${root}/missing`),
    fileAt(`${root}/link`),
    resource(directory(`${root}/sub`, { mode: '0750' })),
    resource(link(`${root}/link`, files[0]!.path)),
  ];
  return { root, files, probe: buildProbe(registry, node(resources)) };
}

async function expectedFile(path: string, content: string) {
  const s = await stat(path);
  return { kind: 'file', path, exists: true, sha256: sha256(content), size: s.size, mode: (s.mode & 0o7777).toString(8).padStart(4, '0'), owner: 'root', group: 'root' };
}

for (const shell of ['sh', 'bash']) {
  test(`${shell}: one stat and one sha256sum answer every path of the node, each as looking at it alone would`, async (t) => {
    const w = await wrapped(t);
    const { root, files, probe } = await site(w.dir);
    const argv = [shell, ...probe.argv.slice(1)];
    const parsed = parseProbeOutput(registry, probe, await runLocally(argv, probe.stdin, w.env));
    for (const f of files) t.deepEqual(parsed.resources[`file:${f.path}`], await expectedFile(f.path, f.content), f.path);
    t.deepEqual(parsed.resources[`file:${root}/missing`], { kind: 'file', path: `${root}/missing`, exists: false });
    t.deepEqual(parsed.resources[`file:${root}/link`], { kind: 'file', path: `${root}/link`, exists: true });
    t.deepEqual(parsed.resources[`directory:${root}/sub`], { kind: 'directory', path: `${root}/sub`, exists: true, mode: '0750', owner: 'root', group: 'root' });
    t.like(parsed.resources[`symlink:${root}/link`], { exists: true, target: files[0]!.path, owner: 'root', group: 'root' });
    const runs = await w.runs();
    t.is(runs.filter((r) => r.startsWith('stat ')).length, 1, runs.join('\n'));
    t.is(runs.filter((r) => r.startsWith('sha256sum ')).length, 1, runs.join('\n'));
    // The batch hashes regular files only: never the link, the directory or the missing path.
    const hashed = runs.find((r) => r.startsWith('sha256sum '))!;
    t.false(hashed.includes(`[${root}/link]`));
    t.false(hashed.includes(`[${root}/sub]`));
    t.false(hashed.includes(`[${root}/missing]`));
  });
}

test('a path a batch has no line for (gone or unreadable meanwhile) is looked at alone, and the rest still come from the batch', async (t) => {
  const w = await wrapped(t);
  await site(w.dir);
  const dropped = join(w.dir, 'site', 'will be dropped');
  await writeFile(dropped, 'dropped\n');
  const all = buildProbe(registry, node([
    fileAt(join(w.dir, 'site', NAMES[0]!)),
    fileAt(dropped),
    fileAt(join(w.dir, 'site', NAMES[1]!)),
  ]));
  const parsed = parseProbeOutput(registry, all, await runLocally(all.argv, all.stdin, { ...w.env, PREFETCH_DROP: dropped }));
  t.deepEqual(parsed.resources[`file:${dropped}`], await expectedFile(dropped, 'dropped\n'));
  t.deepEqual(parsed.resources[`file:${join(w.dir, 'site', NAMES[1]!)}`], await expectedFile(join(w.dir, 'site', NAMES[1]!), 'content 1\n'.repeat(2)));
  const runs = await w.runs();
  // One batch each, then the dropped path alone: a stat of it, and a hash of it from standard input.
  t.is(runs.filter((r) => r.startsWith('stat ')).length, 2, runs.join('\n'));
  t.true(runs.some((r) => r.startsWith('stat ') && r.endsWith(`[--] [${dropped}]`)), runs.join('\n'));
  t.is(runs.filter((r) => r.startsWith('sha256sum')).length, 2, runs.join('\n'));
});

test('paths the batches cannot carry (relative, or holding a backslash) are looked at alone', async (t) => {
  const w = await wrapped(t);
  const odd = join(w.dir, 'back\\slash');
  await writeFile(odd, 'odd\n');
  const plain = join(w.dir, 'plain');
  await writeFile(plain, 'plain\n');
  const probe = buildProbe(registry, node([fileAt(odd), fileAt(plain)]));
  const parsed = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin, w.env));
  t.deepEqual(parsed.resources[`file:${odd}`], await expectedFile(odd, 'odd\n'));
  t.deepEqual(parsed.resources[`file:${plain}`], await expectedFile(plain, 'plain\n'));
  const runs = await w.runs();
  t.true(runs.some((r) => r.startsWith('stat ') && r.includes(`[${plain}]`) && !r.includes(`[${odd}]`) && r.includes('%n')), runs.join('\n'));
  t.true(runs.some((r) => r === `stat [-c] [%a:%U:%G:%s] [--] [${odd}]`), runs.join('\n'));
});

test('a node with nothing to observe: the probe reads its empty first copy and answers no request', async (t) => {
  const probe = buildProbe(registry, node([]));
  t.is(probe.stdin, '\n');
  const parsed = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin));
  t.deepEqual(parsed.resources, {});
  t.is(typeof parsed.facts.hostname, 'string');
});
