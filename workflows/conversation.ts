import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StepDefinition } from '../shared/action';
import {
  closeConversation,
  completeRun,
  markHandled,
  openConversation,
  planTurn,
  repliesTo,
  runEnvironment,
  say,
  stateSummary,
  transcriptAfter,
  type ActionCatalog,
  type ActionRun,
  type ConversationState,
  type TurnEvent,
} from '../shared/conversation';
import { idempotencyKey } from '../shared/ids';
import { nextStep, templateContext, type RunProgress, type StepOutcome } from '../shared/interpreter';
import { text } from '../shared/messages';
import {
  buttonClickedSignal,
  closeSignal,
  leadCapturedSignal,
  sendMessageUpdate,
  stateQuery,
  transcriptQuery,
  visitorMessageSignal,
  type ConversationInput,
} from './messages';

/** Option preset for reading chatbot data: quick, retried a few times, then the turn apologises. */
const store = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '200 milliseconds', backoffCoefficient: 2 },
});

/** Option preset for one HTTP step: its timeout, its retry policy, failures that retrying cannot fix. */
function httpStep(step: StepDefinition) {
  return proxyActivities<Activities>({
    startToCloseTimeout: step.timeoutMs + 5_000,
    retry: {
      maximumAttempts: step.retry.maxAttempts,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
      maximumInterval: step.retry.maxIntervalMs,
    },
  });
}

const now = () => new Date().toISOString();

/** How a conversation ended. */
export type ConversationResult = { status: 'closed'; reason: string; turns: number };

/**
 * One chatbot conversation. Visitor events queue up and are processed one turn at a time by the pure
 * state machine in shared/conversation; API calls run as retried activities. Closes after the idle timeout.
 */
export async function conversation(input: ConversationInput): Promise<ConversationResult> {
  let state: ConversationState = input.carried?.state ?? openConversation(input, now());
  let catalog: ActionCatalog | null = null;
  const inbox: TurnEvent[] = [];
  const queued = new Set<string>();
  let closeReason: string | null = null;

  const handled = (messageId: string) => repliesTo(state, messageId) !== undefined;
  const enqueue = (event: TurnEvent) => {
    if (handled(event.messageId) || queued.has(event.messageId)) return;
    queued.add(event.messageId);
    inbox.push(event);
  };

  setHandler(
    sendMessageUpdate,
    async ({ messageId, text: message }) => {
      enqueue({ kind: 'message', messageId, text: message });
      await condition(() => handled(messageId));
      return { messages: repliesTo(state, messageId) ?? [] };
    },
    {
      validator: ({ messageId, text: message }) => {
        if (!messageId || typeof message !== 'string' || message.trim() === '') throw new Error('a message needs text');
        if (state.status === 'closed' && !handled(messageId)) throw new Error('the conversation is closed');
      },
    },
  );
  setHandler(visitorMessageSignal, ({ messageId, text: message }) =>
    enqueue({ kind: 'message', messageId, text: message }),
  );
  setHandler(buttonClickedSignal, ({ messageId, payload }) => enqueue({ kind: 'button', messageId, payload }));
  setHandler(leadCapturedSignal, ({ messageId, ...lead }) =>
    enqueue({ kind: 'lead', messageId: messageId ?? `lead-${state.turn}-${inbox.length}`, lead }),
  );
  setHandler(closeSignal, ({ reason }) => {
    closeReason ??= reason || 'closed';
  });
  setHandler(transcriptQuery, (options) => transcriptAfter(state, options?.after ?? 0));
  setHandler(stateQuery, () => stateSummary(state));

  async function refreshCatalog(): Promise<ActionCatalog | null> {
    const latest = await store.loadCatalog({ chatbotId: state.chatbotId, knownRevision: catalog?.revision ?? null });
    return latest.changed ? latest.catalog : catalog;
  }

  async function runStep(run: ActionRun, step: StepDefinition, progress: RunProgress): Promise<StepOutcome> {
    const context = templateContext(run.action, run.values, runEnvironment(state, run, now()), progress);
    try {
      return await httpStep(step).executeHttpStep({
        chatbotId: state.chatbotId,
        conversationId: state.conversationId,
        action: run.action.name,
        actionVersion: run.version,
        step,
        context,
        idempotencyKey: idempotencyKey(state.conversationId, run.turn, step.id),
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const cause = error.cause;
      const failure =
        cause instanceof ApplicationFailure
          ? (cause.type ?? 'Error')
          : cause instanceof TimeoutFailure
            ? 'Timeout'
            : 'Error';
      log.warn('API step failed', { action: run.action.name, step: step.id, failure });
      return { ok: false, failure, message: cause?.message ?? error.message };
    }
  }

  async function execute(run: ActionRun): Promise<void> {
    let progress: RunProgress = { results: {} };
    for (let next = nextStep(run.action, progress); next.kind === 'call'; next = nextStep(run.action, progress)) {
      const outcome = await runStep(run, next.step, progress);
      progress = { results: { ...progress.results, [next.step.id]: outcome } };
    }
    state = completeRun(state, run, progress, now());
  }

  async function processTurn(event: TurnEvent): Promise<void> {
    const fromSeq = state.nextSeq;
    try {
      if (!(event.kind === 'message' && state.pending)) catalog = await refreshCatalog();
      const decision = planTurn(state, event, catalog, now());
      state = decision.state;
      if (decision.run) await execute(decision.run);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.error('turn failed', { error: error.message });
      state = say(state, [text("Sorry, I'm having trouble right now. Please try again in a moment.")], now());
    }
    state = markHandled(state, event.messageId, fromSeq);
  }

  while (state.status === 'open') {
    const active = await condition(() => inbox.length > 0 || closeReason !== null, state.settings.idleTimeoutMs);
    if (!active) {
      state = closeConversation(state, 'idle');
      break;
    }
    const event = inbox.shift();
    if (event) {
      await processTurn(event);
      queued.delete(event.messageId);
    } else if (closeReason !== null) {
      state = closeConversation(state, closeReason);
    }
    if (state.status === 'open' && inbox.length === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof conversation>({ ...input, carried: { state } });
    }
  }

  // Anything still queued when the conversation closed is answered with nothing rather than left waiting.
  for (const event of inbox.splice(0)) state = markHandled(state, event.messageId, state.nextSeq);
  await condition(allHandlersFinished);
  return { status: 'closed', reason: state.closedReason ?? 'closed', turns: state.turn };
}
