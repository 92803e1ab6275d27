import test from 'ava';
import { canonicalJson } from '../model/canonical-json.js';
import { sha256 } from '../model/sha256.js';
import { resourceHash } from './resource-hash.js';
import { directory, file, hashOf, kindNamed, type NodeResourceSpec } from '../../test/support/build-desired.js';

/** What resourceHash has always been: the sha256 of the spec's canonical JSON, a file without its content. */
function reference(spec: NodeResourceSpec): string {
  const value: Record<string, unknown> = { ...spec };
  if (spec.kind === 'file') delete value.content;
  return sha256(canonicalJson(value));
}

test('files and directories hash as their canonical JSON, whatever shape the spec has', (t) => {
  const specs = [
    file('/etc/a', 'x\n'),
    file('/etc/é"b', '', { mode: '0600', owner: 'app', group: 'app' }),
    { ...file('/etc/c', 'y'), extra: 1 } as unknown as NodeResourceSpec,
    { kind: 'file', path: '/etc/d', content: 'z', sha256: 'h', mode: '0644', owner: 'root', other: 'root' } as unknown as NodeResourceSpec,
    directory('/etc/app'),
    { ...directory('/etc/app'), mode: undefined } as unknown as NodeResourceSpec,
    { ...directory('/etc/app'), extra: [1] } as NodeResourceSpec,
  ];
  for (const spec of specs) t.is(resourceHash(kindNamed(spec.kind), spec), reference(spec));
  t.not(hashOf(file('/etc/a', 'x\n')), hashOf(file('/etc/a', 'y\n')), 'content is bound through sha256');
});
