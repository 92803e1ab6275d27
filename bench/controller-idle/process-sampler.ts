/**
 * What one process costs while it runs, read from /proc as `ps` and `top` read it: resident memory (VmRSS of
 * /proc/PID/status) and CPU time (utime + stime of /proc/PID/stat, in clock ticks). CPU is reported as CPU
 * seconds over wall seconds, so a busy machine (other work on the same 2 cores) slows the process's wall
 * clock but not what it spends.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessSample {
  /** Seconds since the sampler started. */
  at: number;
  rssMb: number;
  /** utime + stime of the process itself, seconds. */
  cpuSeconds: number;
  /** cutime + cstime: children it waited for (the controller runs none; a non-zero value would say otherwise). */
  childCpuSeconds: number;
}

export interface ProcessUsage {
  samples: ProcessSample[];
  wallSeconds: number;
  rssMb: { start: number; max: number; end: number };
  /** CPU seconds over wall seconds of the window, in % of one core. */
  cpuPercent: number;
  childCpuSeconds: number;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

export function readProcess(pid: number): { rssMb: number; cpuSeconds: number; childCpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number): number => Number(fields[i]) / CLOCK_TICKS;
  // fields[0] is field 3 (state) of proc(5): utime is 14, stime 15, cutime 16, cstime 17.
  return { rssMb: rssKb / 1024, cpuSeconds: ticks(11) + ticks(12), childCpuSeconds: ticks(13) + ticks(14) };
}

/** Samples `pid` every `everyMs` until stop(); stop() takes a last sample and summarises the window. */
export function sampleProcess(pid: number, everyMs: number): { stop(): ProcessUsage; samples: ProcessSample[] } {
  const started = process.hrtime.bigint();
  const samples: ProcessSample[] = [];
  const take = (): void => {
    samples.push({ at: Number(process.hrtime.bigint() - started) / 1e9, ...readProcess(pid) });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      const first = samples[0]!;
      const last = samples.at(-1)!;
      const wallSeconds = last.at - first.at;
      return {
        samples,
        wallSeconds,
        rssMb: { start: first.rssMb, max: Math.max(...samples.map((s) => s.rssMb)), end: last.rssMb },
        cpuPercent: ((last.cpuSeconds - first.cpuSeconds) / wallSeconds) * 100,
        childCpuSeconds: last.childCpuSeconds - first.childCpuSeconds,
      };
    },
  };
}
