import test from 'ava';
import { diffDirectory } from './diff.js';
import { directory } from '../../test/support/build-desired.js';

const base = { serviceManager: 'runit' as const, desiredHash: () => 'h' };
const want = directory('/var/lib/app', { owner: 'app', mode: '0750' });
const seen = { kind: 'directory' as const, path: '/var/lib/app', exists: true, mode: '0750', owner: 'app', group: 'root' };

test('missing directory is created', (t) => {
  t.is(diffDirectory({ ...base, desired: want, observed: undefined, managedHash: undefined })?.action, 'create');
});

test('matching directory needs nothing; a different group is an update', (t) => {
  t.is(diffDirectory({ ...base, desired: want, observed: seen, managedHash: 'h' }), null);
  t.is(diffDirectory({ ...base, desired: want, observed: { ...seen, group: 'wheel' }, managedHash: 'h' })?.reason, 'group wheel -> root');
});

test('unmanaged existing directory is taken over, managed one no longer wanted is deleted', (t) => {
  t.regex(diffDirectory({ ...base, desired: want, observed: seen, managedHash: undefined })?.reason ?? '', /not managed by underlay/);
  t.is(diffDirectory({ ...base, desired: null, observed: seen, managedHash: 'h' })?.action, 'delete');
  t.is(diffDirectory({ ...base, desired: null, observed: seen, managedHash: undefined }), null);
});
