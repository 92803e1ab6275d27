import type { KindEffects } from '../kind-effects.js';
import { applyAddress } from './apply.js';

export const addressEffects: KindEffects = { apply: applyAddress };
