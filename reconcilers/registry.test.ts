/**
 * Registry completeness: every registered kind provides every facet its target type requires
 * (REQUIRED_FACETS), and every kind that is applied has the effects its target requires (REQUIRED_EFFECTS)
 * registered in effects.ts. Adding a kind is one folder and one line in each registry; this is what says
 * the folder is complete (docs/adding-a-resource-kind.md).
 */
import test from 'ava';
import { effectsOf, type EffectsLookup } from './effects.js';
import { REQUIRED_EFFECTS, REQUIRED_FACETS, type ResourceKindDefinition } from './kind.js';
import { fileKind } from './file/kind.js';
import { probeScript } from './probe/probe-script.js';
import { createRegistry, registry } from './registry.js';

/** What a kind lacks, as `kind: facet` lines. */
function missingFacets(kinds: readonly ResourceKindDefinition[], effects: EffectsLookup): string[] {
  const missing: string[] = [];
  for (const kind of kinds) {
    const facets = kind as unknown as Record<string, unknown>;
    for (const facet of REQUIRED_FACETS[kind.target]) if (facets[facet] === undefined) missing.push(`${kind.kind}: ${facet}`);
    const planOnly = kind.target === 'node' && kind.planOnly !== undefined;
    const kindEffects = effects(kind.kind) as unknown as Record<string, unknown> | undefined;
    if (planOnly) {
      if (kindEffects !== undefined) missing.push(`${kind.kind}: plan-only, yet it has effects`);
      continue;
    }
    for (const facet of REQUIRED_EFFECTS[kind.target]) if (kindEffects?.[facet] === undefined) missing.push(`${kind.kind}: effects.${facet}`);
  }
  return missing;
}

test('every registered kind provides every facet its target type requires, and its effects when it is applied', (t) => {
  t.deepEqual(missingFacets(registry.kinds, effectsOf), []);
});

test('the check finds a missing facet, missing effects, and effects a plan-only kind must not have', (t) => {
  const withoutDetails: Record<string, unknown> = { ...fileKind };
  delete withoutDetails.details;
  const planOnly = { ...fileKind, kind: 'draft', planOnly: 'not yet' };
  const kinds = [withoutDetails as unknown as ResourceKindDefinition, planOnly, { ...fileKind, kind: 'unapplied' }];
  t.deepEqual(missingFacets(kinds, (kind) => (kind === 'unapplied' ? undefined : effectsOf('file'))), [
    'file: details',
    'draft: plan-only, yet it has effects',
    'unapplied: effects.apply',
  ]);
});

test('effects are looked up as own keys', (t) => {
  t.is(effectsOf('nonsense'), undefined);
  t.is(effectsOf('constructor'), undefined);
  t.truthy(effectsOf('certificate'), 'applied on the node, signed by the issuer');
  t.truthy(effectsOf('ip'), 'applied to the pool ledger');
  t.truthy(effectsOf('dns'), 'applied through a zone provider');
});

test('a kind is registered once; each probe request tag belongs to one kind', (t) => {
  t.throws(() => createRegistry([fileKind, fileKind]), { message: /registered twice/ });
  const tags = registry.nodeKinds.flatMap((k) => Object.keys(k.probe.arms));
  t.is(new Set(tags).size, tags.length);
  t.throws(() => probeScript([fileKind, { ...fileKind, kind: 'copy' }]), { message: /tag file of kind copy is taken/ });
});

test('only node, pool and zone have kinds today; each kind is in its target type', (t) => {
  t.deepEqual([...new Set(registry.kinds.map((k) => k.target))].sort(), ['node', 'pool', 'zone']);
  t.deepEqual(registry.kindsFor('pool').map((k) => k.kind), ['ip']);
  t.deepEqual(registry.kindsFor('zone').map((k) => k.kind), ['dns']);
  t.is(registry.nodeKind('ip'), undefined);
  t.is(registry.serviceKind('file'), undefined);
});
