import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { faultHookFromEnv } from './fault-injection.js';

test('inert unless UNDERLAY_FAULT_PAUSE is set; malformed values are refused', (t) => {
  t.is(faultHookFromEnv({}), undefined);
  t.is(faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: '' }), undefined);
  t.throws(() => faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: 'sometime:n1/*', UNDERLAY_FAULT_MARKER: '/tmp/m' }), { message: /before\|during\|after/ });
  t.throws(() => faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: 'before:' , UNDERLAY_FAULT_MARKER: '/tmp/m' }));
  t.throws(() => faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: 'before:n1/*' }), { message: /UNDERLAY_FAULT_MARKER/ });
  for (const phase of ['record-staged', 'record-truncated']) {
    t.true(faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: `${phase}:n1/*`, UNDERLAY_FAULT_MARKER: '/tmp/m' }, false)?.armed(phase as 'record-staged', 'n1/file:/x'));
  }
});

test('the glob matches whole change ids, `*` across slashes; only the armed phase stops, once, after writing the marker', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-fault-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'marker');
  const hook = faultHookFromEnv({ UNDERLAY_FAULT_PAUSE: 'after:n2/file:/etc/*', UNDERLAY_FAULT_MARKER: marker }, false);
  if (!hook) return t.fail('no hook');
  t.false(hook.armed('after', 'n1/file:/etc/a'));
  t.false(hook.armed('before', 'n2/file:/etc/a'));
  t.false(hook.armed('after', 'x/n2/file:/etc/a'), 'anchored at the start');
  t.true(hook.armed('after', 'n2/file:/etc/deep/a.conf'));
  await hook.reach('after', 'n1/file:/etc/a');
  t.false(existsSync(marker), 'a point that is not armed passes straight on');
  let resolved = false;
  void hook.reach('after', 'n2/file:/etc/a').then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  t.is(readFileSync(marker, 'utf8'), 'after n2/file:/etc/a\n');
  t.false(resolved, 'stays stopped');
  t.false(hook.armed('after', 'n2/file:/etc/b'), 'only the first change stops');
});
