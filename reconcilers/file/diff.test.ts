import test from 'ava';
import { diffFile } from './diff.js';
import { file, sha256 } from '../../test/support/build-desired.js';

const base = { serviceManager: 'runit' as const, desiredHash: () => 'h' };
const want = file('/etc/app.conf', 'port = 80\n', { mode: '0644' });
const seen = { kind: 'file' as const, path: '/etc/app.conf', exists: true, sha256: sha256('port = 80\n'), size: 10, mode: '644', owner: 'root', group: 'root' };

test('a missing file is created with its full content', (t) => {
  const r = diffFile({ ...base, desired: want, observed: { kind: 'file', path: '/etc/app.conf', exists: false }, managedHash: undefined });
  t.is(r?.action, 'create');
  t.is(r?.reason, 'does not exist');
  t.is(r?.after?.content, 'port = 80\n');
});

test('an unobserved file is assumed missing and says so', (t) => {
  t.is(diffFile({ ...base, desired: want, observed: undefined, managedHash: undefined })?.reason, 'not in the inventory (assumed missing)');
});

test('a matching managed file needs nothing, whatever the mode spelling', (t) => {
  t.is(diffFile({ ...base, desired: want, observed: seen, managedHash: 'h' }), null);
});

test('the reason names every attribute that differs', (t) => {
  const old = sha256('port = 81\n');
  const r = diffFile({ ...base, desired: want, observed: { ...seen, sha256: old, mode: '0600', owner: 'app' }, managedHash: 'h' });
  t.is(r?.action, 'update');
  t.is(r?.reason, `content changed (sha256 ${old.slice(0, 12)} -> ${want.sha256.slice(0, 12)}), mode 0600 -> 0644, owner app -> root`);
});

test('an existing unmanaged file is taken over', (t) => {
  const r = diffFile({ ...base, desired: want, observed: seen, managedHash: undefined });
  t.is(r?.action, 'update');
  t.is(r?.reason, 'exists, not managed by underlay: will be replaced');
});

test('a managed file no longer in Git is deleted; an unmanaged one is never touched', (t) => {
  t.is(diffFile({ ...base, desired: null, observed: seen, managedHash: 'h', desiredHash: undefined })?.action, 'delete');
  t.is(diffFile({ ...base, desired: null, observed: seen, managedHash: undefined, desiredHash: undefined }), null);
});

test('a file the module marks disruptive is disruptive when updated (it goes batch by batch), not when created; others never', (t) => {
  const marked = { ...want, disruptive: true as const };
  const changed = { ...seen, sha256: sha256('port = 81\n') };
  t.true(diffFile({ ...base, desired: marked, observed: changed, managedHash: 'h' })?.disruptive);
  t.false(diffFile({ ...base, desired: marked, observed: { kind: 'file', path: '/etc/app.conf', exists: false }, managedHash: undefined })?.disruptive ?? false);
  t.false(diffFile({ ...base, desired: want, observed: changed, managedHash: 'h' })?.disruptive);
});
