import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Runtime } from '../../infrastructure/runtime';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { toolPath } from '../../scripts/infra';
import { conversation } from '../../workflows/conversation';
import { sendMessageUpdate, stateQuery, visitorMessageSignal, type ConversationInput } from '../../workflows/messages';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startTestRuntime } from '../support/parley';

const HOUR = 60 * 60 * 1000;

/** The conversation workflow on Temporal's time-skipping test server, with real activities. */
describe('the conversation workflow', () => {
  let env: TestWorkflowEnvironment;
  let runtime: Runtime;
  let api: FakeApi;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = 'workflow-tests';
  const chatbotId = 'timebot';

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
    });
    const started = await startTestRuntime(`parley_workflow_${Date.now()}`);
    runtime = started.runtime;
    const { store } = runtime.services;
    await store.createChatbot({
      id: chatbotId,
      name: 'Time bot',
      greeting: 'Hello',
      idleTimeoutMinutes: null,
      rateLimitPerMinute: null,
      allowedOrigins: [],
      egressAllowlist: [],
    });
    api = await startFakeApi(() => ({ status: 200, body: { data: { order: { status: 'delivered', eta: 'today' } } } }));
    await store.putAction(chatbotId, ActionDefinitionSchema.parse(orderStatusAction(api.url)));
    await runtime.services.catalog.publish(chatbotId);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code: inject('workflowBundleCode') },
      activities: started.activities,
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await Promise.allSettled([env?.teardown(), runtime?.close(), api?.close()]);
  });

  const input = (conversationId: string, idleTimeoutMs: number): ConversationInput => ({
    chatbotId,
    conversationId,
    visitor: {},
    attributes: {},
    settings: { idleTimeoutMs, greeting: 'Hello' },
    buttons: [],
  });

  it('closes an idle conversation after its timeout, hours of workflow time passing in an instant', async () => {
    const handle = await env.client.workflow.start(conversation, {
      workflowId: `conversation:${chatbotId}:idle`,
      taskQueue,
      args: [input('idle', 6 * HOUR)],
    });
    const result = await handle.result();
    expect(result).toEqual({ status: 'closed', reason: 'idle', turns: 0 });
    const { startTime, closeTime } = await handle.describe();
    expect((closeTime?.getTime() ?? 0) - startTime.getTime()).toBeGreaterThanOrEqual(6 * HOUR);
  });

  it('counts the idle timeout from the last visitor turn', async () => {
    const handle = await env.client.workflow.start(conversation, {
      workflowId: `conversation:${chatbotId}:active`,
      taskQueue,
      args: [input('active', 2 * HOUR)],
    });
    await env.sleep(90 * 60 * 1000);
    const reply = await handle.executeUpdate(sendMessageUpdate, {
      args: [{ messageId: 'm1', text: 'where is my order 12345' }],
    });
    expect(reply.messages).toEqual([{ type: 'text', text: 'Your order is delivered (ETA today).' }]);
    await handle.signal(visitorMessageSignal, { messageId: 'm2', text: 'thanks!' });
    expect((await handle.query(stateQuery)).status).toBe('open');
    const result = await handle.result();
    expect(result).toMatchObject({ reason: 'idle', turns: 2 });
    const { startTime, closeTime } = await handle.describe();
    expect((closeTime?.getTime() ?? 0) - startTime.getTime()).toBeGreaterThanOrEqual(90 * 60 * 1000 + 2 * HOUR);
  });

  it('replays every recorded history in test/workflows/histories with the current workflow code', async () => {
    const dir = join(__dirname, 'histories');
    const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history, file);
    }
  });
});
