import test from 'ava';
import { loadSpec } from './load-spec.js';
import { node, revisionOf, validSite } from '../../test/support/site-files.js';

const via = (name: string, bastion?: string) => node(name, bastion === undefined ? '' : `\n    via: ${bastion}`);
const problems = (nodes: Record<string, string | undefined>) => {
  const files = { ...validSite() };
  for (const [name, bastion] of Object.entries(nodes)) files[`nodes/${name}.yaml`] = via(name, bastion);
  return loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file, d.field]);
};

test('node1 via node2 via node1: both nodes are told, naming the loop', (t) => {
  const files = { ...validSite(), 'nodes/node1.yaml': via('node1', 'node2'), 'nodes/node2.yaml': via('node2', 'node1') };
  const ds = loadSpec(revisionOf(files)).diagnostics;
  t.deepEqual(ds.map((d) => [d.code, d.location?.file, d.location?.line, d.field]), [
    ['BastionCycle', 'nodes/node1.yaml', 12, 'spec.ssh.via'],
    ['BastionCycle', 'nodes/node2.yaml', 12, 'spec.ssh.via'],
  ]);
  t.regex(ds[0]!.message, /node1 -> node2 -> node1/);
});

test('a longer loop is one cycle reported at each member; a node leading into it is not a member', (t) => {
  t.deepEqual(problems({ a: 'b', b: 'c', c: 'a', d: 'a' }), [
    ['BastionCycle', 'nodes/a.yaml', 'spec.ssh.via'],
    ['BastionCycle', 'nodes/b.yaml', 'spec.ssh.via'],
    ['BastionCycle', 'nodes/c.yaml', 'spec.ssh.via'],
  ]);
});

test('a chain of bastions is fine; a node as its own bastion stays a dangling reference', (t) => {
  t.deepEqual(problems({ a: 'b', b: 'c', c: undefined }), []);
  t.deepEqual(problems({ a: 'a' }), [['DanglingReference', 'nodes/a.yaml', 'spec.ssh.via']]);
});
