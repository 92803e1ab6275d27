import test from 'ava';
import { diffService } from './diff.js';
import { renderServiceDefinition } from './definition.js';
import { service } from '../../test/support/build-desired.js';

const base = { serviceManager: 'runit' as const, desiredHash: () => 'h' };
const want = service('etcd', { args: ['--name', 'n1'] });
const hash = renderServiceDefinition(want, 'runit').hash;
const seen = { kind: 'service' as const, name: 'etcd', exists: true, definitionHash: hash, running: true, enabled: true };

test('missing service is created, not counted as disruptive', (t) => {
  const r = diffService({ ...base, desired: want, observed: undefined, managedHash: undefined });
  t.is(r?.action, 'create');
  t.false(r?.disruptive);
});

test('running service with the same definition needs nothing', (t) => {
  t.is(diffService({ ...base, desired: want, observed: seen, managedHash: 'h' }), null);
});

test('a changed definition is a disruptive update naming both hashes', (t) => {
  const r = diffService({ ...base, desired: want, observed: { ...seen, definitionHash: 'a'.repeat(64) }, managedHash: 'h' });
  t.is(r?.action, 'update');
  t.is(r?.reason, `definition changed (sha256 aaaaaaaaaaaa -> ${hash.slice(0, 12)})`);
  t.true(r?.disruptive);
});

test('the definition hash depends on the service manager', (t) => {
  const r = diffService({ ...base, serviceManager: 'systemd', desired: want, observed: seen, managedHash: 'h' });
  t.is(r?.action, 'update');
});

test('a stopped service is started with a restart', (t) => {
  const r = diffService({ ...base, desired: want, observed: { ...seen, running: false }, managedHash: 'h' });
  t.deepEqual([r?.action, r?.reason], ['restart', 'not running']);
});

test('enablement changes are updates; a disabled service is not started', (t) => {
  const off = service('etcd', { args: ['--name', 'n1'], enabled: false });
  const offHash = renderServiceDefinition(off, 'runit').hash;
  t.is(diffService({ ...base, desired: off, observed: { ...seen, definitionHash: offHash }, managedHash: 'h' })?.reason, 'enabled -> disabled');
  t.is(diffService({ ...base, desired: off, observed: { ...seen, definitionHash: offHash, enabled: false, running: false }, managedHash: 'h' }), null);
});

test('a managed service no longer wanted is deleted', (t) => {
  t.is(diffService({ ...base, desired: null, observed: seen, managedHash: 'h' })?.action, 'delete');
  t.is(diffService({ ...base, desired: null, observed: seen, managedHash: undefined }), null);
});
