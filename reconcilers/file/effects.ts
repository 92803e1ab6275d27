import type { KindEffects } from '../kind-effects.js';
import { applyFile } from './apply.js';

export const fileEffects: KindEffects = { apply: applyFile };
