import { cpus } from 'node:os';
import {
  createChatbot,
  firstReply,
  ORDER_REPLY,
  sendMessage,
  sleep,
  startConversation,
  type Conversation,
} from './chat';
import type { BenchStack } from './stack';
import { summarise, type Latencies } from './stats';

/**
 * `npm run bench -- --isolation`: how much a flood on one chatbot slows another. Chatbot B's visitors run order
 * lookups (one API call per turn) alone, then again while chatbot A is flooded by 200 concurrent visitors
 * looping the same turn; the target is B's flooded p95 ≤ 2 × its idle p95 + 250 ms.
 */
export type IsolationOptions = {
  /** Seconds each phase (idle, flooded) measures. */
  seconds: number;
  /** Concurrent visitors flooding chatbot A. */
  flood: number;
  /** Concurrent visitors of chatbot B. */
  visitors: number;
  /** B's visitors pause this long between turns (a person reading the answer). */
  thinkMs: number;
  /** Flooders ignore Retry-After and resend at once; by default they wait as a frontend does. */
  hostile: boolean;
};

export const DEFAULT_ISOLATION_OPTIONS: IsolationOptions = {
  seconds: 20,
  flood: 200,
  visitors: 4,
  thinkMs: 500,
  hostile: false,
};

/** Turns of one conversation before a visitor starts a new one (within the per-conversation budgets). */
const TURNS_PER_CONVERSATION = 10;

/** Chatbot B's visitors: each runs turns with think time until `until`, measuring turns that end after `from`. */
async function visitorsOfB(
  stack: BenchStack,
  key: string,
  options: IsolationOptions,
  window: { from: number; until: number },
): Promise<Latencies & { refused: number }> {
  const samples: number[] = [];
  let errors = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: options.visitors }, async () => {
      while (Date.now() < window.until) {
        const conversation = await startConversation(stack, 'bench-b', key);
        for (let turn = 0; turn < TURNS_PER_CONVERSATION && Date.now() < window.until; turn++) {
          const started = performance.now();
          const answer = await sendMessage(stack, conversation);
          const took = performance.now() - started;
          const text = firstReply(answer.body);
          const counted = Date.now() >= window.from;
          if (answer.status === 200 && text === ORDER_REPLY) {
            if (counted) samples.push(took);
          } else if (counted) {
            if (answer.status === 429) refused++;
            else errors++;
          }
          await sleep(options.thinkMs);
        }
      }
    }),
  );
  return { ...summarise(samples, errors), refused };
}

type FloodStats = {
  visitors: number;
  requests: number;
  answered: number;
  apologies: number;
  refused: Record<string, number>;
  otherErrors: number;
  admittedTurnsPerSecond: number;
  requestsPerSecond: number;
};

/**
 * Chatbot A's flood: starts `flood` conversations, then each visitor loops the order turn on its own until
 * `stop()` says so. `looping` resolves when every flooder has sent its first message.
 */
function floodA(stack: BenchStack, key: string, options: IsolationOptions, stop: () => boolean) {
  let markLooping = () => {};
  const looping = new Promise<void>((resolve) => (markLooping = resolve));
  const done = (async (): Promise<FloodStats> => {
    const conversations: Conversation[] = [];
    for (let batch = 0; batch < options.flood; batch += 20) {
      const size = Math.min(20, options.flood - batch);
      conversations.push(
        ...(await Promise.all(Array.from({ length: size }, () => startConversation(stack, 'bench-a', key)))),
      );
    }
    const stats: FloodStats = {
      visitors: options.flood,
      requests: 0,
      answered: 0,
      apologies: 0,
      refused: {},
      otherErrors: 0,
      admittedTurnsPerSecond: 0,
      requestsPerSecond: 0,
    };
    const started = Date.now();
    markLooping();
    await Promise.all(
      conversations.map(async (conversation) => {
        while (!stop()) {
          const answer = await sendMessage(stack, conversation).catch(() => null);
          stats.requests++;
          if (!answer) {
            stats.otherErrors++;
            continue;
          }
          if (answer.status === 200) {
            const text = firstReply(answer.body);
            if (text === ORDER_REPLY) stats.answered++;
            else stats.apologies++;
          } else if (answer.status === 429) {
            const reason = refusalReason((answer.body as { error?: { message?: string } }).error?.message ?? '');
            stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
            // A frontend waits what Retry-After says, with jitter so its retries do not arrive in step.
            if (!options.hostile) await waitUnless(stop, (answer.retryAfter ?? 1) * 1000 * (1 + Math.random()));
          } else stats.otherErrors++;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    stats.admittedTurnsPerSecond = Math.round(((stats.answered + stats.apologies) / seconds) * 10) / 10;
    stats.requestsPerSecond = Math.round((stats.requests / seconds) * 10) / 10;
    return stats;
  })();
  return { looping, done };
}

/** Which limit a 429 came from, by its message. */
function refusalReason(message: string): string {
  if (/at once/.test(message)) return 'chatbot busy (turn share)';
  if (/this chatbot has made/.test(message)) return 'chatbot call budget';
  if (/this conversation has made/.test(message)) return 'conversation call budget';
  if (/messages a minute/.test(message)) return 'visitor message limit';
  return 'other';
}

/** Waits `ms`, checking `stop()` every 100 ms. */
async function waitUnless(stop: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!stop() && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
}

/** Runs the isolation benchmark on a started stack and answers its measurements. */
export async function runIsolation(stack: BenchStack, options: IsolationOptions, log: (line: string) => void) {
  // B is a busy site whose operator raised its call budget; A keeps every default.
  const keyA = await createChatbot(stack, 'bench-a', {});
  const keyB = await createChatbot(stack, 'bench-b', { rateLimitPerMinute: 5000 });

  log('warming up');
  await visitorsOfB(stack, keyB, { ...options, thinkMs: 0 }, { from: Infinity, until: Date.now() + 3000 });

  log(`idle: ${options.visitors} visitors of chatbot B for ${options.seconds} s`);
  const idleStart = Date.now();
  const idle = await visitorsOfB(stack, keyB, options, { from: idleStart, until: idleStart + options.seconds * 1000 });

  log(`flooded: ${options.flood} visitors of chatbot A flood it while B's visitors run for ${options.seconds} s`);
  let stopped = false;
  const flood = floodA(stack, keyA, options, () => stopped);
  await flood.looping;
  const floodStart = Date.now();
  const flooded = await visitorsOfB(stack, keyB, options, {
    from: floodStart,
    until: floodStart + options.seconds * 1000,
  });
  stopped = true;
  const floodStats = await flood.done;

  const target = Math.round(2 * idle.p95 + 250);
  return {
    benchmark: 'isolation',
    machine: { cpus: cpus().length },
    options,
    chatbotB: { idle, flooded },
    chatbotA: floodStats,
    target: { p95Ms: target, rule: "B's flooded p95 ≤ 2 × B's idle p95 + 250 ms", met: flooded.p95 <= target },
  };
}
