/**
 * Resource kind -> what carries its changes out: the effectful registry, imported only by observe, apply
 * and the commands that compose them. A kind that is planned but not applied has no line here (see its
 * `planOnly`); the completeness test (registry.test.ts) holds this list to the pure one.
 */
import { certificateEffects } from './certificate/effects.js';
import { commandEffects } from './command/effects.js';
import { directoryEffects } from './directory/effects.js';
import { dnsEffects } from './dns/effects.js';
import { fileEffects } from './file/effects.js';
import { ipEffects } from './ip/effects.js';
import type { KindEffects, TargetApplyContext } from './kind-effects.js';
import { secretFileEffects } from './secret-file/effects.js';
import { serviceEffects } from './service/effects.js';
import { symlinkEffects } from './symlink/effects.js';

/** Each kind's effects take its target type's context; apply builds that context from the change's target. */
const EFFECTS: Readonly<Record<string, KindEffects<TargetApplyContext>>> = {
  file: fileEffects,
  directory: directoryEffects,
  symlink: symlinkEffects,
  secretFile: secretFileEffects,
  service: serviceEffects,
  command: commandEffects,
  certificate: certificateEffects,
  ip: ipEffects,
  dns: dnsEffects,
};

export type EffectsLookup = (kind: string) => KindEffects<TargetApplyContext> | undefined;

export const effectsOf: EffectsLookup = (kind) => (Object.hasOwn(EFFECTS, kind) ? EFFECTS[kind] : undefined);
