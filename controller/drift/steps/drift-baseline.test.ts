/** The baseline step: the last applied revision when there is one, else (or when asked) the current one. */
import test from 'ava';
import { initialState } from '../../runtime/reconcile-state.js';
import { revisionOf, validSite } from '../../../test/support/site-files.js';
import type { DriftDeps } from '../drift-deps.js';
import { driftBaseline } from './drift-baseline.js';

const current = { ...revisionOf(validSite()), commit: 'b'.repeat(40) };
const applied = { ...revisionOf(validSite()), commit: 'a'.repeat(40) };

/** Only what the step reads; the rest of DriftDeps is not reached. */
function deps(lastApplied: string | null, asked: string[], sites: string[]): DriftDeps {
  return {
    revisionAt: (commit: string) => (asked.push(commit), Promise.resolve(applied)),
    driftStore: { get: (site: string) => (sites.push(site), Promise.resolve({ ledger: undefined as never, lastAppliedCommit: () => Promise.resolve(lastApplied) })) },
  } as unknown as DriftDeps;
}

test('the last applied commit is read and measured against; the site is the current revision\'s', async (t) => {
  const asked: string[] = [];
  const sites: string[] = [];
  const r = await driftBaseline('last-applied').run({ ...initialState(), revision: current }, deps(applied.commit, asked, sites));
  t.like(r, { type: 'continue', state: { baseline: 'last-applied', revision: { commit: applied.commit } } });
  t.deepEqual(asked, [applied.commit]);
  t.deepEqual(sites, ['default'], 'the fixture has no Site document: site id default');
});

test('the current revision when it is the applied one, when nothing was applied, or when asked (plan-only)', async (t) => {
  const asked: string[] = [];
  const same = await driftBaseline('last-applied').run({ ...initialState(), revision: current }, deps(current.commit, asked, []));
  t.like(same, { type: 'continue', state: { baseline: 'last-applied', revision: { commit: current.commit } } });
  const none = await driftBaseline('last-applied').run({ ...initialState(), revision: current }, deps(null, asked, []));
  t.like(none, { type: 'continue', state: { baseline: 'current', revision: { commit: current.commit } } });
  const planOnly = await driftBaseline('current').run({ ...initialState(), revision: current }, deps(applied.commit, asked, []));
  t.like(planOnly, { type: 'continue', state: { baseline: 'current', revision: { commit: current.commit } } });
  t.deepEqual(asked, [], 'no other revision read');
});

test('a current revision that does not load stalls: its site is unknown', async (t) => {
  const broken = revisionOf({ ...validSite(), 'nodes/n1.yaml': 'kind: Node\n' });
  t.like(await driftBaseline('last-applied').run({ ...initialState(), revision: broken }, deps(null, [], [])), { type: 'stall', code: 'RevisionInvalid' });
});
