import type { KindEffects } from '../kind-effects.js';
import { applyDirectory } from './apply.js';

export const directoryEffects: KindEffects = { apply: applyDirectory };
