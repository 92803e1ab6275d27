import { readFileSync, readdirSync } from 'node:fs';

/** Process start time in clock ticks since boot; together with the pid it survives pid reuse. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface PidRef {
  pid: number;
  startTime: number;
}

export function pidRef(pid: number): PidRef {
  const startTime = processStartTime(pid);
  if (startTime === undefined) throw new Error(`process ${pid} is not running`);
  return { pid, startTime };
}

export function isAlive(ref: PidRef | undefined): boolean {
  if (!ref) return false;
  const st = processStartTime(ref.pid);
  if (st !== ref.startTime) return false;
  // A zombie is dead for our purposes (an unreaped child of ours).
  try {
    const state = readFileSync(`/proc/${ref.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const txt = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (txt) out.push(...txt.split(/\s+/).map(Number));
    }
  } catch {
    // process gone
  }
  return out;
}

export function killRef(ref: PidRef | undefined, signal: NodeJS.Signals): void {
  if (!ref || !isAlive(ref)) return;
  try {
    process.kill(ref.pid, signal);
  } catch {
    // raced with its exit
  }
}
