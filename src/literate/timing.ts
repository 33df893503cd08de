/**
 * Where a build's time goes, phase by phase: the clock, and the processor
 * time of the thread that did the work. On a shared machine the clock
 * mostly measures the neighbours; the processor time is what the work cost.
 *
 * Linux keeps each thread's processor time in /proc/thread-self/schedstat
 * (nanoseconds on the processor); elsewhere the process's total stands in,
 * which counts the workers too, and says so.
 */
import { readFileSync } from 'node:fs';

/** Whether `threadCpuMs` counts this thread alone (Linux) or the whole process. */
export const PER_THREAD = (() => {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return true;
  } catch {
    return false;
  }
})();

/** Processor time the calling thread has used, in milliseconds. */
export function threadCpuMs(): number {
  if (PER_THREAD) return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Processor time of the whole process (every thread), in milliseconds. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface Phase {
  name: string;
  /** Clock time, ms. */
  wall: number;
  /** Processor time of the thread that ran it, ms. */
  cpu: number;
}

/** A stopwatch for the calling thread: `lap(name)` closes a phase that began at the previous lap. */
export function stopwatch(): { lap(name: string): Phase; phases: Phase[] } {
  const phases: Phase[] = [];
  let wall = performance.now();
  let cpu = threadCpuMs();
  return {
    phases,
    lap(name) {
      const w = performance.now();
      const c = threadCpuMs();
      const p = { name, wall: w - wall, cpu: c - cpu };
      phases.push(p);
      wall = w;
      cpu = c;
      return p;
    },
  };
}

/** `1.2 s` */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
