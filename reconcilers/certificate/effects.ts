import type { KindEffects } from '../kind-effects.js';
import { applyCertificate } from './apply.js';

export const certificateEffects: KindEffects = { apply: applyCertificate };
