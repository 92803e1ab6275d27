import test from 'ava';
import { loadSpec } from './load-spec.js';
import { fixtureHostKey, node, revisionOf, validSite } from '../../test/support/site-files.js';

const pinned = (name: string, hostKey: string) => node(name).replace(fixtureHostKey(name), hostKey);
const problems = (nodes: Record<string, string>) => {
  const files = { ...validSite() };
  for (const [name, hostKey] of Object.entries(nodes)) files[`nodes/${name}.yaml`] = pinned(name, hostKey);
  return loadSpec(revisionOf(files)).diagnostics;
};
const summary = (nodes: Record<string, string>) => problems(nodes).map((d) => [d.code, d.location?.file, d.location?.line, d.field]);

test('a host key that matches the pattern but is no key of its type: validate no longer says Valid', (t) => {
  const ed25519Data = fixtureHostKey('n2').split(' ')[1]!;
  t.deepEqual(summary({ n2: `ssh-rsa ${ed25519Data}` }), [['InvalidHostKey', 'nodes/n2.yaml', 11, 'spec.ssh.hostKey']]);
  t.deepEqual(summary({ n2: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbage' }), [['InvalidHostKey', 'nodes/n2.yaml', 11, 'spec.ssh.hostKey']]);
  t.regex(problems({ n2: `ssh-rsa ${ed25519Data}` })[0]!.message, /says ssh-rsa, but the key data is a "ssh-ed25519" key/);
});

test('one key pinned on two nodes: both are told, each naming the other; the comment does not make it another key', (t) => {
  const key = fixtureHostKey('shared');
  const ds = problems({ n2: key, n3: `${key} root@n3` });
  t.deepEqual(ds.map((d) => [d.code, d.location?.file, d.field]), [
    ['DuplicateHostKey', 'nodes/n2.yaml', 'spec.ssh.hostKey'],
    ['DuplicateHostKey', 'nodes/n3.yaml', 'spec.ssh.hostKey'],
  ]);
  t.regex(ds[0]!.message, /node "n3" \(nodes\/n3\.yaml\)/);
  t.regex(ds[1]!.message, /node "n2" \(nodes\/n2\.yaml\)/);
});

test('nodes with their own keys are fine', (t) => {
  t.deepEqual(summary({ n2: fixtureHostKey('n2'), n3: fixtureHostKey('n3') }), []);
});
