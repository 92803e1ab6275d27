import type { KindEffects } from '../kind-effects.js';
import { applySymlink } from './apply.js';

export const symlinkEffects: KindEffects = { apply: applySymlink };
