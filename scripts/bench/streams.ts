import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { createChatbot, sleep, startConversation, type Conversation } from './chat';
import { cpuTimes } from './cpu';
import type { BenchStack } from './stack';
import { summarise, type Latencies } from './stats';

/**
 * What live delivery costs (README "Live delivery"): `streams` visitors each hold an event stream open on one API
 * process. Measured: the API process's memory per open stream (RSS, read from /proc, after opening them all, less
 * before), CPU per idle stream (every process, over `idleSeconds` with nothing said), and the delay from a button
 * press — a reply produced outside any POST /messages, so the stream is the only way it reaches the visitor — to
 * the reply arriving on the visitor's stream (p50/p99 over `presses`); and, for scale, a visitor message's reply
 * in its POST's answer and on its stream.
 */
export type StreamsOptions = { streams: number; idleSeconds: number; presses: number; concurrency: number };
export const DEFAULT_STREAMS_OPTIONS: StreamsOptions = { streams: 1000, idleSeconds: 30, presses: 200, concurrency: 8 };

/** A visitor's open stream: resolves waiters as events arrive. */
type OpenStream = { conversation: Conversation; next: (predicate: (data: string) => boolean) => Promise<number> };

function rssBytes(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

async function openStream(stack: BenchStack, dispatcher: Agent, conversation: Conversation): Promise<OpenStream> {
  const response = await request(`${stack.api}/v1/conversations/${conversation.conversationId}/events`, {
    dispatcher,
    headers: { authorization: `Bearer ${conversation.token}` },
  });
  if (response.statusCode !== 200) throw new Error(`stream: ${response.statusCode} ${await response.body.text()}`);
  const waiters: { predicate: (data: string) => boolean; resolve: (at: number) => void }[] = [];
  let buffer = '';
  response.body.on('data', (chunk: Buffer) => {
    const at = performance.now();
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      if (data === undefined) continue;
      for (const waiter of [...waiters]) {
        if (!waiter.predicate(data)) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(at);
      }
    }
  });
  response.body.on('error', () => undefined);
  return {
    conversation,
    next: (predicate) => new Promise((resolve) => waiters.push({ predicate, resolve })),
  };
}

/** Runs `count` tasks, `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) await task(index);
    }),
  );
}

export type StreamsResult = {
  streams: number;
  /** A visitor message's reply: in the POST's answer, and on the visitor's stream (both from the send). */
  message: { post: Latencies; stream: Latencies };
  memoryPerStreamKb: number;
  idleCpuMsPerStreamPerMinute: Record<string, number>;
  delivery: Latencies;
  apiRssMb: { before: number; after: number };
};

export async function runStreams(
  stack: BenchStack,
  options: StreamsOptions,
  log: (line: string) => void,
): Promise<StreamsResult> {
  const key = await createChatbot(stack, 'streams', { rateLimitPerMinute: 100_000 });
  const api = stack.processes().find((process) => process.name === 'api');
  const dispatcher = new Agent({ connections: options.streams + 16, pipelining: 0, keepAliveTimeout: 60_000 });
  try {
    log(`starting ${options.streams} conversations`);
    const conversations: Conversation[] = [];
    await pool(options.streams, options.concurrency, async () => {
      conversations.push(await startConversation(stack, 'streams', key));
    });
    await sleep(2000);
    const before = rssBytes(api?.pid);

    log(`opening ${options.streams} event streams`);
    const streams: OpenStream[] = [];
    await pool(conversations.length, options.concurrency, async (index) => {
      streams.push(await openStream(stack, dispatcher, conversations[index] as Conversation));
    });
    await sleep(2000);
    const after = rssBytes(api?.pid);

    log(`idle for ${options.idleSeconds} s`);
    const idleStart = cpuTimes(stack.processes());
    await sleep(options.idleSeconds * 1000);
    const idleEnd = cpuTimes(stack.processes());
    const perStreamPerMinute = (name: string) =>
      Math.round(
        (((idleEnd[name] ?? 0) - (idleStart[name] ?? 0)) / options.streams / options.idleSeconds) * 60 * 1000,
      ) / 1000;
    const idleCpu = Object.fromEntries(
      Object.keys(idleEnd)
        .filter((name) => name !== 'benchmark (clients)')
        .map((name) => [name, perStreamPerMinute(name)]),
    );

    log(`pressing ${options.presses} buttons and timing the replies on the streams`);
    const delays: number[] = [];
    let errors = 0;
    await pool(options.presses, options.concurrency, async (index) => {
      const stream = streams[index % streams.length] as OpenStream;
      const { conversationId, token } = stream.conversation;
      const arrived = stream.next((data) => data.includes('What is your order number?'));
      const sent = performance.now();
      const pressed = await request(`${stack.api}/v1/conversations/${conversationId}/buttons`, {
        method: 'POST',
        dispatcher: stack.dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ payload: 'action:check_order_status', messageId: `press-${index}` }),
      });
      await pressed.body.dump();
      if (pressed.statusCode !== 202) {
        errors += 1;
        return;
      }
      const timeout = sleep(15_000).then(() => null);
      const at = await Promise.race([arrived, timeout]);
      if (at === null) errors += 1;
      else delays.push(at - sent);
    });

    log(`sending ${options.presses} messages: the POST's answer and the same reply on the stream`);
    const posted: number[] = [];
    const streamed: number[] = [];
    let messageErrors = 0;
    await pool(options.presses, options.concurrency, async (index) => {
      // Conversations no button was pressed in, so each turn is the same first question.
      const stream = streams[(streams.length - 1 - index) % streams.length] as OpenStream;
      const { conversationId, token } = stream.conversation;
      const arrived = stream.next((data) => data.includes('What is your order number?'));
      const sent = performance.now();
      const answer = await request(`${stack.api}/v1/conversations/${conversationId}/messages`, {
        method: 'POST',
        dispatcher: stack.dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ text: 'where is my order', messageId: `message-${index}` }),
      });
      await answer.body.dump();
      const answeredAt = performance.now();
      const at = await Promise.race([arrived, sleep(15_000).then(() => null)]);
      if (answer.statusCode !== 200 || at === null) {
        messageErrors += 1;
        return;
      }
      posted.push(answeredAt - sent);
      streamed.push(at - sent);
    });

    return {
      streams: streams.length,
      message: { post: summarise(posted, messageErrors), stream: summarise(streamed, messageErrors) },
      memoryPerStreamKb: Math.round((after - before) / streams.length / 102.4) / 10,
      idleCpuMsPerStreamPerMinute: idleCpu,
      delivery: summarise(delays, errors),
      apiRssMb: { before: Math.round(before / 2 ** 20), after: Math.round(after / 2 ** 20) },
    };
  } finally {
    await dispatcher.destroy();
  }
}
