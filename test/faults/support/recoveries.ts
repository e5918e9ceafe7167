import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the last run's measured recovery times go (git-ignored); the README's failure-mode table quotes them. */
export const LAST_RUN_FILE = join(__dirname, '..', '.last-run.json');

/** One measured time of one scenario: what was measured, in ms, and the bound the suite holds it to (if any). */
export type Measure = { scenario: string; measure: string; ms: number; boundMs: number | null };

/** Collects the recovery times the fault scenarios measure, for the file and the table printed at the end. */
export function recoveryLog() {
  const measures: Measure[] = [];
  return {
    measures,
    /** Records a time; answers it, so a test can assert on what it recorded. */
    record(scenario: string, measure: string, ms: number, boundMs: number | null = null): number {
      measures.push({ scenario, measure, ms: Math.round(ms), boundMs });
      return ms;
    },
    /** Writes the file and answers the compact table. */
    write(durationMs: number): string {
      writeFileSync(
        LAST_RUN_FILE,
        `${JSON.stringify({ at: new Date().toISOString(), durationMs: Math.round(durationMs), measures }, null, 2)}\n`,
      );
      const rows = measures.map((m) => [
        m.scenario,
        m.measure,
        String(m.ms),
        m.boundMs === null ? '' : `≤ ${m.boundMs}`,
      ]);
      const header = ['scenario', 'measure', 'ms', 'bound'];
      const widths = header.map((title, column) =>
        Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
      );
      const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ');
      return [
        `Fault suite recovery times (${LAST_RUN_FILE}), suite ${(durationMs / 1000).toFixed(1)} s:`,
        line(header),
        widths.map((width) => '-'.repeat(width)).join('-|-'),
        ...rows.map(line),
      ].join('\n');
    },
  };
}
