import { DEFAULT_ISOLATION_OPTIONS, runIsolation, type IsolationOptions } from './isolation';
import { startBenchStack, type BenchStack } from './stack';
import { table } from './stats';
import { DEFAULT_STREAMS_OPTIONS, runStreams, type StreamsOptions } from './streams';
import { DEFAULT_TURNS_OPTIONS, runTurns, TURNS_STACK_ENV, type TurnsOptions } from './turns';

/**
 * `npm run bench [-- --turns] [--rounds N] [--seconds N] [--conversations N] [--check]`: what a turn costs as
 * multiples of a no-op Temporal Update (scripts/bench/turns.ts; `--check` exits 1 unless every target is met).
 * `npm run bench -- --isolation [--seconds 20] [--flood 200] [--visitors 4] [--think-ms 500] [--hostile]`: how
 * a flood on one chatbot slows another (scripts/bench/isolation.ts).
 * `npm run bench -- --streams [--streams-open 1000] [--seconds 30] [--presses 200]`: what open event streams cost
 * and how fast a reply reaches one (scripts/bench/streams.ts).
 * Either starts a whole Parley on loopback (scripts/bench/stack.ts), prints its result as tables and as JSON
 * (last line), and stops everything. Bounded: every phase has a duration and a count, and the whole run a
 * deadline after which everything is stopped.
 */
const USAGE = [
  'usage: npm run bench [-- --turns] [--rounds N] [--seconds N] [--conversations N] [--check]',
  '       npm run bench -- --isolation [--seconds N] [--flood N] [--visitors N] [--think-ms N] [--hostile]',
  '       npm run bench -- --streams [--streams-open N] [--seconds N] [--presses N]',
].join('\n');

type Mode =
  | { kind: 'turns'; options: TurnsOptions; check: boolean }
  | { kind: 'isolation'; options: IsolationOptions }
  | { kind: 'streams'; options: StreamsOptions };

function parseArgs(argv: string[]): Mode {
  const number = (flag: string, min: number, max: number): number | undefined => {
    const index = argv.indexOf(flag);
    if (index < 0) return undefined;
    const value = Number(argv[index + 1]);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${flag} must be an integer ${min}-${max}\n${USAGE}`);
    return value;
  };
  if (argv.includes('--streams')) {
    const options = { ...DEFAULT_STREAMS_OPTIONS };
    options.streams = number('--streams-open', 10, 5000) ?? options.streams;
    options.idleSeconds = number('--seconds', 5, 300) ?? options.idleSeconds;
    options.presses = number('--presses', 10, 5000) ?? options.presses;
    return { kind: 'streams', options };
  }
  if (argv.includes('--isolation')) {
    const options = { ...DEFAULT_ISOLATION_OPTIONS };
    options.seconds = number('--seconds', 5, 120) ?? options.seconds;
    options.flood = number('--flood', 1, 1000) ?? options.flood;
    options.visitors = number('--visitors', 1, 50) ?? options.visitors;
    options.thinkMs = number('--think-ms', 0, 10_000) ?? options.thinkMs;
    options.hostile = argv.includes('--hostile');
    return { kind: 'isolation', options };
  }
  const options = { ...DEFAULT_TURNS_OPTIONS };
  options.rounds = number('--rounds', 10, 1000) ?? options.rounds;
  options.seconds = number('--seconds', 2, 60) ?? options.seconds;
  options.conversations = number('--conversations', 10, 1000) ?? options.conversations;
  return { kind: 'turns', options, check: argv.includes('--check') };
}

async function isolation(stack: BenchStack, options: IsolationOptions, log: (line: string) => void) {
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
  return result.target.met;
}

async function streams(stack: BenchStack, options: StreamsOptions, log: (line: string) => void) {
  const result = await runStreams(stack, options, log);
  const { delivery } = result;
  console.log(
    table([
      [`${result.streams} open event streams on one API process`, 'value'],
      ['API memory per open stream (RSS)', `${result.memoryPerStreamKb} KB`],
      ['API RSS before → after opening them', `${result.apiRssMb.before} → ${result.apiRssMb.after} MB`],
      ...Object.entries(result.idleCpuMsPerStreamPerMinute).map(([name, ms]) => [
        `CPU per idle stream per minute: ${name}`,
        `${ms} ms`,
      ]),
      [
        `button press → reply on the stream, p50 / p99 (${delivery.turns} presses)`,
        `${delivery.p50} / ${delivery.p99} ms`,
      ],
      ['presses whose reply did not arrive', delivery.errors],
      [
        `a message's reply in its POST answer, p50 / p99 (${result.message.post.turns} messages)`,
        `${result.message.post.p50} / ${result.message.post.p99} ms`,
      ],
      [
        "the same reply on the visitor's stream, p50 / p99",
        `${result.message.stream.p50} / ${result.message.stream.p99} ms`,
      ],
    ]),
  );
  console.log(JSON.stringify(result));
  return delivery.errors === 0 && result.message.post.errors === 0;
}

async function turns(stack: BenchStack, options: TurnsOptions, log: (line: string) => void) {
  const result = await runTurns(stack, options, log);
  console.log(
    table([
      ['Measure', 'Parley', 'No-op Update', 'Ratio', 'Target', 'Met'],
      ...result.rows.map((row) => [
        row.measure,
        row.parley,
        row.baseline,
        row.ratio,
        row.target,
        row.met === null ? '—' : row.met ? 'met' : 'NOT met',
      ]),
    ]),
  );
  const { events, throughput } = result;
  console.log('\nHistory events per turn:');
  console.log(`  no-op Update (${events.noop.count}): ${events.noop.types.join(', ')}`);
  console.log(`  no-API turn (${events.noApi.count}): ${events.noApi.types.join(', ')}`);
  console.log(`  one-step action turn (${events.action.count}): ${events.action.types.join(', ')}`);
  const names = [...new Set(Object.values(throughput.noop).flatMap((phase) => Object.keys(phase.cpuMsPerTurn)))];
  const phases = (['noop', 'noApi', 'action'] as const).flatMap((kind) =>
    Object.values(throughput[kind]).map((phase) => ({ label: `${kind} at ${phase.visitors}`, phase })),
  );
  console.log("\nCPU per answered turn under load, ms by process (where a turn's cost goes):");
  console.log(
    table([
      ['Phase', ...names, 'total'],
      ...phases.map(({ label, phase }) => [
        label,
        ...names.map((name) => phase.cpuMsPerTurn[name] ?? '—'),
        Math.round(Object.values(phase.cpuMsPerTurn).reduce((sum, ms) => sum + ms, 0) * 10) / 10,
      ]),
    ]),
  );
  const odd = (['noop', 'noApi', 'action'] as const).flatMap((kind) =>
    Object.values(throughput[kind])
      .filter((phase) => phase.errors + phase.other > 0)
      .map(
        (phase) =>
          `${kind} at ${phase.visitors}: ${phase.errors} errors, ${phase.other} answers other than the expected ` +
          'reply (a turn past its deadline says it is still working), left out of turns/s and p99',
      ),
  );
  const serialErrors = Object.entries(result.latency).filter(([, latencies]) => latencies.errors > 0);
  console.log(
    `\n${result.met} targets met, ${result.notMet} not met; ${result.machine.cpus} CPUs, load ${result.machine.loadavg.join(' ')}.` +
      `\nSerial samples: ${result.latency.noop.turns} no-op Updates, ${result.latency.noApi.turns} no-API turns, ` +
      `${result.latency.action.turns} action turns, ${result.latency.direct.turns} direct calls` +
      (serialErrors.length ? ` (errors: ${serialErrors.map(([kind, l]) => `${kind} ${l.errors}`).join(', ')})` : '') +
      `.${odd.length ? `\nUnder load: ${odd.join('; ')}.` : ''}` +
      `\nAdmission and budgets raised for the benchmark (one chatbot, every visitor from 127.0.0.1; the limiter ` +
      `still runs): ${Object.entries(result.stackEnv)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')}; the chatbot's rateLimitPerMinute=100000.`,
  );
  console.log(JSON.stringify(result));
  return result.notMet === 0;
}

async function main(): Promise<void> {
  let mode: Mode;
  try {
    mode = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const log = (line: string) => console.error(`[bench] ${line}`);
  const stack = await startBenchStack({
    log,
    // Every benchmark visitor comes from 127.0.0.1: lift the per-address start limit so only the per-chatbot
    // budgets and the turn share are measured (isolation); the turn benchmark raises those too (see turns.ts).
    env: { PARLEY_STARTS_PER_ADDRESS_PER_MINUTE: '100000', ...(mode.kind !== 'isolation' ? TURNS_STACK_ENV : {}) },
    probeWorkerMemory: mode.kind === 'turns',
  });
  const seconds =
    mode.kind === 'turns'
      ? 300
      : mode.kind === 'streams'
        ? mode.options.idleSeconds + 400
        : 2 * mode.options.seconds + 240;
  const deadline = setTimeout(() => {
    console.error('[bench] the run passed its deadline; stopping');
    void stack.stop().finally(() => process.exit(1));
  }, seconds * 1000);
  try {
    const met =
      mode.kind === 'turns'
        ? await turns(stack, mode.options, log)
        : mode.kind === 'streams'
          ? await streams(stack, mode.options, log)
          : await isolation(stack, mode.options, log);
    process.exitCode = met || (mode.kind === 'turns' && !mode.check) ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
