/**
 * Resource kind -> what carries its changes out: the effectful registry, imported only by observe, apply
 * and the commands that compose them. A kind that is planned but not applied has no line here (see its
 * `planOnly`); the completeness test (registry.test.ts) holds this list to the pure one.
 */
import { commandEffects } from './command/effects.js';
import { directoryEffects } from './directory/effects.js';
import { fileEffects } from './file/effects.js';
import type { KindEffects } from './kind-effects.js';
import { serviceEffects } from './service/effects.js';
import { symlinkEffects } from './symlink/effects.js';

const EFFECTS: Readonly<Record<string, KindEffects>> = {
  file: fileEffects,
  directory: directoryEffects,
  symlink: symlinkEffects,
  service: serviceEffects,
  command: commandEffects,
};

export type EffectsLookup = (kind: string) => KindEffects | undefined;

export const effectsOf: EffectsLookup = (kind) => (Object.hasOwn(EFFECTS, kind) ? EFFECTS[kind] : undefined);
