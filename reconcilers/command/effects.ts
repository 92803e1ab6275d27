import type { KindEffects } from '../kind-effects.js';
import { applyCommand } from './apply.js';

export const commandEffects: KindEffects = { apply: applyCommand };
