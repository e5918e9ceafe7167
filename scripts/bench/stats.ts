/** Latency percentiles of a set of samples, in whole milliseconds. */
export type Latencies = { turns: number; errors: number; p50: number; p95: number; p99: number; max: number };

/** The nearest-rank percentile `q` (0-1) of samples sorted ascending; NaN when there are none. */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** p50/p95/p99/max of samples in milliseconds, rounded to whole milliseconds. */
export function summarise(samples: number[], errors: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(percentile(sorted, q));
  return { turns: sorted.length, errors, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

/** A Markdown table; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row: (string | number)[]) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
