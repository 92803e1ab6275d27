/**
 * FAKE site for the crash-safety test: the "nodes" are marker files in a directory, observing is listing
 * them, and planning is "every change whose marker is missing" (level-based, like the real re-plan).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '../../controller/model/change.js';
import { change } from './fake-apply.js';

export const NODES = ['n1', 'n2', 'n3'];

export function fakeSite(): Change[] {
  return NODES.flatMap((n) => [
    change(`${n}/directory:/srv`),
    change(`${n}/file:/srv/a`, { dependsOn: [`${n}/directory:/srv`, ...(n === 'n1' ? [] : ['n1/file:/srv/a'])] }),
    change(`${n}/service:app`, { dependsOn: [`${n}/file:/srv/a`] }),
  ]);
}

export const markerFile = (dir: string, id: string): string => path.join(dir, id.replaceAll('/', '__'));

/** The fake re-plan: level-based, from what is really there. */
export function replan(dir: string): Change[] {
  const todo = fakeSite().filter((c) => !existsSync(markerFile(dir, c.id)));
  const ids = new Set(todo.map((c) => c.id));
  return todo.map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => ids.has(d)) }));
}
