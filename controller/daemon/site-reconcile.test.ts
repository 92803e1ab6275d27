import test from 'ava';
import { manualTime } from '../../test/support/manual-timers.js';
import type { Revision } from '../source/revision.js';
import { siteSteps, timedSource } from './site-reconcile.js';
import { parseControllerConfig } from './controller-config.js';

test('a source read that never ends fails with SourceTimeout after the timeout; one that answers in time is returned', async (t) => {
  const time = manualTime();
  const never = timedSource({ read: () => new Promise<Revision>(() => undefined) }, 60_000, time.timers, 'http://git.example/site.git');
  const reading = never.read();
  let failure: unknown;
  reading.catch((e: unknown) => (failure = e));
  await time.advance(59_999);
  t.is(failure, undefined);
  await time.advance(1);
  t.like(failure, { code: 'SourceTimeout', message: 'reading http://git.example/site.git took longer than 60s' });
  const revision = { commit: 'abc' } as Revision;
  t.is(await timedSource({ read: () => Promise.resolve(revision) }, 60_000, time.timers, 'x').read(), revision);
  t.deepEqual(time.pending(), [], 'no timer left behind');
});

const sites = parseControllerConfig(
  '/c.yaml',
  `apiVersion: underlay.dev/v1alpha1
kind: ControllerConfig
sites:
  - {name: a, source: {repository: /r}}
  - {name: p, source: {repository: /r}, apply: {policy: plan-only}}
  - {name: v, source: {repository: /r}, apply: {policy: approve}}
`,
).sites;

test('the steps follow the policy: apply under the locks, or plan only (and the gate says why not more)', (t) => {
  const clock = manualTime().clock;
  const names = (i: number, approved: string | null = null) => siteSteps(sites[i]!, approved, clock).map((s) => s.name);
  t.deepEqual(names(0), ['fetch-revision', 'load', 'site-id', 'apply-locks']);
  t.deepEqual(names(1), ['fetch-revision', 'load', 'site-id', 'resolve', 'observe', 'resolve', 'plan', 'hold-drift'], 'plan-only takes no locks');
  t.deepEqual(names(2), ['fetch-revision', 'load', 'site-id', 'resolve', 'observe', 'resolve', 'plan', 'hold-drift', 'policy-gate'], 'nothing approved: plan, and stop at the gate');
  t.deepEqual(names(2, 'h1'), ['fetch-revision', 'load', 'site-id', 'apply-locks'], 'approved: plan again under the locks');
});

test('with onStep the steps are the same, and a step is heard of when it ends, also when it fails', async (t) => {
  const clock = manualTime().clock;
  const heard: string[] = [];
  const steps = siteSteps(sites[0]!, null, clock, { onStep: (step) => void heard.push(step) });
  t.deepEqual(steps.map((s) => s.name), ['fetch-revision', 'load', 'site-id', 'apply-locks'], 'the same steps, timed');
  // The first step fails at once (no source in these deps): it is still heard of.
  await steps[0]!.run({} as never, { source: { read: () => Promise.reject(new Error('no source')) } } as never).catch(() => undefined);
  t.deepEqual(heard, ['fetch-revision']);
});
