import type { KindEffects } from '../kind-effects.js';
import { applySecretFile } from './apply.js';

export const secretFileEffects: KindEffects = { apply: applySecretFile };
