import { DEFAULT_ISOLATION_OPTIONS, runIsolation, type IsolationOptions } from './isolation';
import { startBenchStack } from './stack';

/**
 * `npm run bench -- --isolation [--seconds 20] [--flood 200] [--visitors 4] [--think-ms 500] [--hostile]`:
 * starts a whole Parley on loopback (scripts/bench/stack.ts), runs the chosen benchmark, prints its result as a
 * table and as JSON (last line), and stops everything. Bounded: every phase has a duration and a count, and the
 * whole run a deadline.
 */
const USAGE = 'usage: npm run bench -- --isolation [--seconds N] [--flood N] [--visitors N] [--think-ms N] [--hostile]';

function parseArgs(argv: string[]): IsolationOptions | null {
  if (!argv.includes('--isolation')) return null;
  const options = { ...DEFAULT_ISOLATION_OPTIONS };
  const number = (flag: string, min: number, max: number): number | undefined => {
    const index = argv.indexOf(flag);
    if (index < 0) return undefined;
    const value = Number(argv[index + 1]);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${flag} must be an integer ${min}-${max}`);
    return value;
  };
  options.seconds = number('--seconds', 5, 120) ?? options.seconds;
  options.flood = number('--flood', 1, 1000) ?? options.flood;
  options.visitors = number('--visitors', 1, 50) ?? options.visitors;
  options.thinkMs = number('--think-ms', 0, 10_000) ?? options.thinkMs;
  options.hostile = argv.includes('--hostile');
  return options;
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row: (string | number)[]) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options) {
    console.error(USAGE);
    process.exit(2);
  }
  const log = (line: string) => console.error(`[bench] ${line}`);
  const deadline = setTimeout(
    () => {
      console.error('[bench] the run passed its deadline; stopping');
      process.exit(1);
    },
    (2 * options.seconds + 240) * 1000,
  );
  const stack = await startBenchStack({
    log,
    // Every benchmark visitor comes from 127.0.0.1: lift the per-address start limit so only the per-chatbot
    // budgets and the turn share are measured. Everything else keeps its default.
    env: { PARLEY_STARTS_PER_ADDRESS_PER_MINUTE: '100000' },
  });
  try {
    const result = await runIsolation(stack, options, log);
    const { idle, flooded } = result.chatbotB;
    const a = result.chatbotA;
    console.log(
      table([
        ['Chatbot B (one-step action turns)', 'turns', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', '429'],
        ['idle', idle.turns, idle.p50, idle.p95, idle.p99, idle.max, idle.errors, idle.refused],
        [
          `A flooded by ${a.visitors}`,
          flooded.turns,
          flooded.p50,
          flooded.p95,
          flooded.p99,
          flooded.max,
          flooded.errors,
          flooded.refused,
        ],
      ]),
    );
    console.log(
      `\ntarget: flooded p95 ${flooded.p95} ms ≤ 2 × ${idle.p95} + 250 = ${result.target.p95Ms} ms: ${result.target.met ? 'met' : 'NOT met'}\n`,
    );
    console.log(
      table([
        ['Chatbot A (flood)', 'value'],
        ['requests', a.requests],
        ['requests/s', a.requestsPerSecond],
        ['answered turns', a.answered],
        ['apologies (turn ran, call refused)', a.apologies],
        ['admitted turns/s', a.admittedTurnsPerSecond],
        ...Object.entries(a.refused).map(([reason, count]) => [`429: ${reason}`, count]),
        ['other errors', a.otherErrors],
      ]),
    );
    console.log(JSON.stringify(result));
    process.exitCode = result.target.met ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
