/**
 * What observe and apply reach each target type through, passed in at construction like the transport
 * (docs/adr/0010-targets-and-providers.md). Nodes are reached over the transport (observe's probe, the node
 * kinds' effects); the service targets through these. A target type without a provider is not observed,
 * and apply fails its changes with NoTargetProvider rather than guessing.
 */
import { UnderlayError } from '../model/errors.js';
import { targetLabel, type Target } from '../model/target.js';
import type { PoolTargetProvider } from './pool-provider.js';
import type { ZoneTargetProvider } from './zone-provider.js';

export interface ServiceTargetProviders {
  pool?: PoolTargetProvider;
  zone?: ZoneTargetProvider;
}

/** A change whose target type has no provider here: apply fails the change, and says which. */
export class NoTargetProvider extends UnderlayError<{ target: Target }> {
  constructor(target: Target) {
    super({ code: 'NoTargetProvider', message: `no provider for ${target.type} targets is configured, so ${targetLabel(target)} cannot be changed`, data: { target } });
  }
}
