import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** Fields of /proc/<pid>/stat after the command name, or null where it is not readable. */
function statFields(pid: number | string): { comm: string; fields: string[] } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(open + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far, every thread (Linux); 0 where /proc is not readable. */
export function processCpuSeconds(pid: number | undefined): number {
  const stat = pid ? statFields(pid) : null;
  if (!stat) return 0;
  return (Number(stat.fields[11]) + Number(stat.fields[12])) / CLOCK_TICKS;
}

/** CPU seconds of this process so far, every thread (ONNX Runtime's and PGlite's workers too). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * CPU seconds used so far by every PostgreSQL server process on this machine: the live ones'
 * own time plus what the postmaster has reaped of ended backends (cutime, cstime). A native server
 * of a benchmark is the only one running, so this is its cost (0 without /proc or a server).
 */
export function postgresServerCpuSeconds(): number {
  let ticks = 0;
  let names: string[] = [];
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of names) {
    const stat = statFields(pid);
    if (stat?.comm !== 'postgres') continue;
    const [utime, stime, cutime, cstime] = stat.fields.slice(11, 15).map(Number);
    ticks += (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0);
  }
  return ticks / CLOCK_TICKS;
}
