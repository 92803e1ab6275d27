/**
 * CPU time of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s on Linux): read it
 * before and after a piece of work the process does, and the difference is what that work cost it, whatever
 * else the (shared, busy) machine was doing meanwhile.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** Fields after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds the process itself has used so far (user + system). */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/** CPU seconds of this process's children that have been waited for (cutime + cstime). */
export function childrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}
