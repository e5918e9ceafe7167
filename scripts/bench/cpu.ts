import { readFileSync } from 'node:fs';

/** Linux's clock tick (`getconf CLK_TCK`): /proc reports CPU time in these. */
const TICK_MS = 10;

/** A process the benchmark watches: its name and pid (the benchmark itself has none, and is measured in-process). */
export type Watched = { name: string; pid: number | undefined };

/** CPU time (user + system, all threads) each watched process has used so far, in milliseconds. */
export function cpuTimes(processes: Watched[]): Record<string, number> {
  const times: Record<string, number> = {};
  for (const { name, pid } of processes) {
    if (pid === undefined) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state is the first, utime the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times[name] = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // Not Linux, or the process is gone: that row is left out.
    }
  }
  const own = process.cpuUsage();
  times['benchmark (clients)'] = (own.user + own.system) / 1000;
  return times;
}

/** CPU milliseconds each process spent per turn between two readings. */
export function cpuPerTurn(
  before: Record<string, number>,
  after: Record<string, number>,
  turns: number,
): Record<string, number> {
  const perTurn: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) {
    const start = before[name];
    if (start !== undefined && turns > 0) perTurn[name] = Math.round(((ms - start) / turns) * 100) / 100;
  }
  return perTurn;
}
