import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../shared/config';
import { conversationWorkflowId } from '../shared/ids';
import { DEMO_CHATBOT } from './demo/seed';
import { ROOT } from './infra';

/**
 * Records a demo conversation's workflow history as a replay fixture (test/workflows/histories/NAME.json).
 * Run it against a running `npm start` stack before changing workflow logic: the replay test then proves
 * the new code still replays what running conversations recorded (or that a patch is needed).
 *
 *   npm run record:history -- NAME
 */
async function main(): Promise<void> {
  const name = process.argv[2] ?? 'demo-order-status';
  const config = loadConfig();
  const api = `http://localhost:${config.port}`;
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-parley-key': DEMO_CHATBOT.publishableKey,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };

  const { conversationId, token } = (await post(`/v1/chatbots/${DEMO_CHATBOT.id}/conversations`, {})) as {
    conversationId: string;
    token: string;
  };
  const say = (text: string) => post(`/v1/conversations/${conversationId}/messages`, { text }, token);
  for (const text of ['where is my order?', 'it is 12345', 'is the mug in stock?', 'nope', 'cancel', 'hello'])
    await say(text);
  await post(`/v1/conversations/${conversationId}/buttons`, { payload: 'action:check_order_status' }, token);
  const turns = [
    '34567',
    ...['I want to open a support ticket', 'ada@example.com', 'My mug arrived broken'],
    // Visitors' own words, routed by meaning; an invalid answer to a structured question that asks for another action.
    ...['is the tee shirt available?', 'TEE-02', 'my mug came broken, I need help', 'where is my order?'],
    // Small talk, a value the visitor gave earlier, and a handoff to a person (the bot then stays silent).
    ...['cancel', 'hi', 'my order 23456 is late', 'thanks!', 'where is my order?', 'I want to talk to a human'],
  ];
  for (const text of turns) await say(text);
  await post(`/v1/conversations/${conversationId}/close`, { reason: 'recorded' }, token);

  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const handle = new Client({ connection, namespace: config.temporal.namespace }).workflow.getHandle(
      conversationWorkflowId(DEMO_CHATBOT.id, conversationId),
    );
    await handle.result();
    const dir = join(ROOT, 'test', 'workflows', 'histories');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
    console.log(`Recorded ${file}`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
