/** The revision to reconcile, from the driver's source (a local repository, a remote fetched into the cache). */
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const fetchRevision: RuntimeStep = {
  name: 'fetch-revision',
  async run(state, deps) {
    return proceed({ ...state, revision: await deps.source.read() });
  },
};
