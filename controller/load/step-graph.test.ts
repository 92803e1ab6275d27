import test from 'ava';
import { loadSpec } from './load-spec.js';
import { cluster, module, revisionOf, validSite } from '../../test/support/site-files.js';

const relay = module('relay', '  inputs:\n    in: {type: string}\n  outputs:\n    out: "{{ inputs.in }}"\n');

test('a cycle through output references is reported once, naming the steps in order', (t) => {
  const steps = `  steps:
    - name: a
      module: relay
      with: {in: {output: b.out}}
    - name: b
      module: relay
      with: {in: {output: c.out}}
    - name: c
      module: relay
      with: {in: {output: a.out}}
`;
  const files = { ...validSite(), 'modules/relay.yaml': relay, 'clusters/lab.yaml': cluster('lab', steps) };
  const ds = loadSpec(revisionOf(files)).diagnostics;
  t.deepEqual(ds.map((d) => [d.code, d.location?.line, d.field]), [['StepCycle', 12, 'spec.steps[0].with.in.output']]);
  t.regex(ds[0]!.message, /a -> b -> c -> a/);
});

test('a step reading its own output is a cycle; a chain is not', (t) => {
  const self = `  steps:\n    - name: a\n      module: relay\n      with: {in: {output: a.out}}\n`;
  const ds = loadSpec(revisionOf({ ...validSite(), 'modules/relay.yaml': relay, 'clusters/lab.yaml': cluster('lab', self) })).diagnostics;
  t.deepEqual(ds.map((d) => d.code), ['StepCycle']);

  const chain = `  steps:\n    - name: a\n      module: relay\n      with: {in: x}\n    - name: b\n      module: relay\n      with: {in: {output: a.out}}\n`;
  t.deepEqual(loadSpec(revisionOf({ ...validSite(), 'modules/relay.yaml': relay, 'clusters/lab.yaml': cluster('lab', chain) })).diagnostics, []);
});

test('two steps with one name', (t) => {
  const steps = `  steps:\n    - name: a\n      module: relay\n      with: {in: x}\n    - name: a\n      module: relay\n      with: {in: y}\n`;
  const ds = loadSpec(revisionOf({ ...validSite(), 'modules/relay.yaml': relay, 'clusters/lab.yaml': cluster('lab', steps) })).diagnostics;
  t.deepEqual(ds.map((d) => [d.code, d.field]), [['DuplicateName', 'spec.steps[1].name']]);
});
