import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType, NON_RETRYABLE_LLM_FAILURES } from '../shared/failures';
import type * as Upgrade from '../shared/actions/upgrade';
import { channelOf, routableActions, routableText } from '../shared/conversation/catalog';
import { emailArrived, emailDue, nextEmail } from '../shared/conversation/email';
import { missingParameters } from '../shared/conversation/collection';
import { completeRun, runEnvironment, composerInput } from '../shared/conversation/run';
import {
  closeConversation,
  openConversation,
  stateSummary,
  type ActionCatalog,
  type LlmHints,
  type ActionRun,
  type RoutedText,
  type ConversationState,
  type TurnDecision,
  type TurnEvent,
  type TurnFeatures,
} from '../shared/conversation/state';
import { nextQueued, planTurn } from '../shared/conversation/turn';
import { answerAtDeadline } from '../shared/conversation/deadline';
import { budgetRefusal, withinWindow } from '../shared/conversation/budgets';
import { text } from '../shared/messages';
import {
  markHandled,
  openedWith,
  recentLines,
  repliesTo,
  say,
  transcriptAfter,
} from '../shared/conversation/transcript';
import {
  agentMessageUpdate,
  answerAtDeadlineUpdate,
  buttonClickedSignal,
  openingUpdate,
  handBackUpdate,
  closeSignal,
  leadCapturedSignal,
  sendMessageUpdate,
  stateQuery,
  transcriptQuery,
  visitorMessageSignal,
  watchSignal,
  type ConversationInput,
  type EventContext,
  type ParleySinks,
} from './messages';
import { anyWatcher, forget, liveDeliveries, markSent, watch } from '../shared/conversation/live';
import { activityFailureCause, executeAction } from './run-action';
import { failureAlert, type RunProgress } from '../shared/actions/interpreter';
import type { PackedVector } from '../shared/understanding/semantic';

/** Option preset for reading chatbot data: quick, retried a few times, then the turn apologises. */
const store = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '200 milliseconds', backoffCoefficient: 2 },
});

/** Option preset for the optional LLM: quick, one retry for availability; on failure the deterministic path answers. */
const llm = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumAttempts: 2,
    initialInterval: '500 milliseconds',
    nonRetryableErrorTypes: NON_RETRYABLE_LLM_FAILURES,
  },
});

/**
 * Option preset for embedding a visitor message: a local activity (a few milliseconds, recorded as one marker),
 * retried briefly; when it cannot answer, the turn routes by words alone.
 */
const understanding = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 2, initialInterval: '100 milliseconds' },
});

/**
 * Option preset for reading a turn (catalogue changes, routing): a local activity, so a turn costs one marker and
 * no extra workflow task; retried briefly, then the turn apologises.
 */
const reading = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    maximumAttempts: 3,
    initialInterval: '200 milliseconds',
    nonRetryableErrorTypes: [FailureType.chatbotNotFound],
  },
});

/** Option preset for failure alerts: a few tries; an alert that cannot be sent must not hold up the turn. */
const alerts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/**
 * Option preset for email replies: retried for about ten minutes (an SMTP server that is briefly away), beside the
 * conversation's turns, never holding them up.
 */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    maximumAttempts: 8,
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    nonRetryableErrorTypes: [FailureType.emailNotConfigured],
  },
});

/** Option preset for the handoff event: a few tries; a helpdesk that cannot be told must not hold up the turn. */
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/**
 * Option preset for live delivery: one quick local activity per push (a marker in history, only while a visitor
 * watches); never retried, since a visitor who missed a push catches up from the transcript on reconnect.
 */
const live = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

const now = () => new Date().toISOString();

/** The worker's metrics, told of each action run as it ends (a sink: nothing in history, not called on replay). */
const { metrics } = proxySinks<ParleySinks>();

/** What a message over one of the conversation's budgets is refused with: the API answers 429 with Retry-After. */
const overBudget = ({ message, retryAfterMs }: { message: string; retryAfterMs: number }) =>
  ApplicationFailure.create({
    type: FailureType.rateLimited,
    message,
    details: [{ retryAfterMs }],
    nonRetryable: true,
  });

/** What an update to a closed conversation is refused with: the API answers it as `conversation_closed`. */
const conversationClosed = () =>
  ApplicationFailure.create({
    type: FailureType.conversationClosed,
    message: 'the conversation is closed',
    nonRetryable: true,
  });

/**
 * The upgrade of definitions recorded by older Parleys, loaded on first use: it validates with the action schema
 * (zod), and each workflow instantiates the modules it loads. Lean turns get their catalogue upgraded by the worker.
 */
function upgrade(): typeof Upgrade {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose (see above)
  return require('../shared/actions/upgrade') as typeof Upgrade;
}

/** How a conversation ended. */
export type ConversationResult = { status: 'closed'; reason: string; turns: number };

/**
 * One chatbot conversation. Visitor events queue up and are processed one turn at a time by the pure
 * state machine in shared/conversation; API calls run as retried activities. Closes after the idle timeout.
 */
export async function conversation(input: ConversationInput): Promise<ConversationResult> {
  /**
   * Lean turns: the API sends each event with what it read (the routing of the text, the catalogue revision, the
   * budgets the conversation keeps, the chatbot's call settings), and the worker is asked only for a catalogue the
   * conversation has not seen (one local activity); no timer per turn (one idle watchdog; the API keeps the turn
   * deadline); an HTTP step's first attempt is a local activity; every feature added since conversations first ran
   * is on. Runs recorded before keep the path they were recorded with.
   */
  const lean = patched('lean-turns');
  const carried = input.carried?.state;
  // A pending action carried from an older run may need upgrading (which loads the schema); nothing else does.
  let state: ConversationState = carried
    ? carried.pending
      ? upgrade().upgradeState(carried)
      : carried
    : openConversation(input, now());
  let catalog: ActionCatalog | null = null;
  const inbox: { event: TurnEvent; context: EventContext }[] = [];
  const queued = new Set<string>();
  let closeReason: string | null = null;
  /** The turn being processed, so a turn past its deadline can answer with what it has said so far. */
  let current: { messageId: string; fromSeq: number } | null = null;

  /** API processes whose visitors watch this conversation live; nobody, in runs recorded before live delivery. */
  let watchers = input.carried?.watchers ?? {};
  let pushing = false;

  const handled = (messageId: string) => repliesTo(state, messageId) !== undefined;
  const enqueue = (event: TurnEvent, context: EventContext = {}) => {
    if (handled(event.messageId) || queued.has(event.messageId)) return;
    queued.add(event.messageId);
    inbox.push({ event, context });
  };

  setHandler(
    sendMessageUpdate,
    async ({ messageId, text: message, ...context }) => {
      enqueue({ kind: 'message', messageId, text: message }, context);
      const deadline = state.settings.turnDeadlineMs;
      // Conversations recorded before turn deadlines waited for the whole turn (no timer in their histories).
      if (lean) {
        await condition(() => handled(messageId));
      } else if (deadline !== undefined && patched('turn-deadline')) {
        if (!(await condition(() => handled(messageId), deadline))) {
          // The action runs on; its result joins the transcript when it arrives.
          const late = answerAtDeadline(state, current?.messageId === messageId ? current.fromSeq : null, now());
          state = late.state;
          return { messages: late.messages };
        }
      } else {
        await condition(() => handled(messageId));
      }
      return { messages: repliesTo(state, messageId) ?? [] };
    },
    {
      validator: ({ messageId, text: message, limits }) => {
        if (!messageId || typeof message !== 'string' || message.trim() === '') throw new Error('a message needs text');
        if (state.status === 'closed' && !handled(messageId)) throw conversationClosed();
        // The conversation keeps its visitor's message budget itself; a refused update leaves no trace in history.
        if (limits && !handled(messageId) && !queued.has(messageId)) {
          const refusal = budgetRefusal(state, limits, Date.now(), inbox.length);
          if (refusal) throw overBudget(refusal);
        }
      },
    },
  );
  const openOnly = ({ messageId }: { messageId: string }) => {
    if (!messageId) throw new Error('a messageId is required');
    if (state.status === 'closed' && !handled(messageId)) throw conversationClosed();
  };
  setHandler(
    agentMessageUpdate,
    async ({ messageId, text: message }) => {
      enqueue({ kind: 'agent', messageId, text: message });
      await condition(() => handled(messageId));
      return { mode: state.mode ?? 'bot' };
    },
    {
      validator: (input) => {
        openOnly(input);
        if (typeof input.text !== 'string' || input.text.trim() === '') throw new Error('a message needs text');
      },
    },
  );
  setHandler(
    handBackUpdate,
    async ({ messageId, text: message }) => {
      enqueue({ kind: 'handback', messageId, ...(message ? { text: message } : {}) });
      await condition(() => handled(messageId));
      return { mode: state.mode ?? 'bot' };
    },
    {
      validator: (input) => {
        openOnly(input);
        if ((state.mode ?? 'bot') !== 'human' && !handled(input.messageId))
          throw new Error('the conversation is not handed off');
      },
    },
  );
  setHandler(
    answerAtDeadlineUpdate,
    ({ messageId }) => {
      const replies = repliesTo(state, messageId);
      if (replies !== undefined) return { messages: replies };
      // The action runs on; its result joins the transcript when it arrives.
      const late = answerAtDeadline(state, current?.messageId === messageId ? current.fromSeq : null, now());
      state = late.state;
      return { messages: late.messages };
    },
    {
      validator: ({ messageId }) => {
        if (!messageId) throw new Error('a messageId is required');
        // A turn that has answered is refused rather than answered here: accepting the update after the turn's
        // last activity completed in the same workflow task would be replayed in the other order (Temporal runs
        // updates before activity results when replaying), and answer differently. Refused, it leaves no trace
        // in history; the API reads the turn's own answer.
        if (handled(messageId)) {
          throw ApplicationFailure.create({
            type: FailureType.turnAnswered,
            message: 'the turn has answered',
            nonRetryable: true,
          });
        }
      },
    },
  );
  setHandler(openingUpdate, () => ({ messages: openedWith(state) }));
  setHandler(visitorMessageSignal, ({ messageId, text: message, ...context }) =>
    enqueue({ kind: 'message', messageId, text: message }, context),
  );
  setHandler(buttonClickedSignal, ({ messageId, payload, ...context }) =>
    enqueue({ kind: 'button', messageId, payload }, context),
  );
  setHandler(leadCapturedSignal, ({ messageId, catalogRevision, limits, ...lead }) =>
    enqueue(
      { kind: 'lead', messageId: messageId ?? `lead-${state.turn}-${inbox.length}`, lead },
      { ...(catalogRevision ? { catalogRevision } : {}), ...(limits ? { limits } : {}) },
    ),
  );
  setHandler(closeSignal, ({ reason }) => {
    closeReason ??= reason || 'closed';
  });
  setHandler(watchSignal, (request) => {
    watchers = watch(watchers, request, state);
  });
  setHandler(transcriptQuery, (options) => transcriptAfter(state, options?.after ?? 0));
  setHandler(stateQuery, () => stateSummary(state));

  async function refreshCatalog(): Promise<ActionCatalog | null> {
    const latest = await store.loadCatalog({ chatbotId: state.chatbotId, knownRevision: catalog?.revision ?? null });
    // Definitions may come from an older Parley (recorded history): bring them to the current schema.
    return latest.changed ? upgrade().upgradeCatalog(latest.catalog) : catalog;
  }

  /**
   * Lean turns: the catalogue when the API says it changed (or cannot say), and how the router routes what the
   * visitor said — as the API read it with the message when it could, else from the worker in one local activity.
   * Nothing at all for a message the API routed, or a button of Parley's own, on an unchanged catalogue.
   */
  async function readTurn(
    event: TurnEvent,
    { catalogRevision: revision, routed }: EventContext,
  ): Promise<RoutedText | null> {
    if (event.kind === 'agent' || event.kind === 'handback') return null;
    const said = routableText(event);
    if (catalog !== null && revision === catalog.revision) {
      if (said === null) return null;
      if (routed?.text === said) return routed;
    }
    const knownRevision = catalog?.revision ?? null;
    const channel = channelOf(state.settings);
    const read = await reading.understandTurn({
      chatbotId: state.chatbotId,
      knownRevision,
      text: said,
      ...(revision ? { revision } : {}),
      // Chats send what they always sent; an email conversation routes with the email router.
      ...(channel === 'chat' ? {} : { channel }),
    });
    // Upgraded to the current schema by the worker.
    if (read.catalog) catalog = read.catalog;
    return read.routed ?? null;
  }

  /**
   * The visitor message's sentence embedding, when the catalogue's router can use one (its semantic part).
   * Conversations recorded before semantic routing never embed, so their histories replay unchanged.
   */
  async function embedding(event: TurnEvent): Promise<PackedVector | null> {
    if (event.kind !== 'message' || !catalog?.router?.semantic || !patched('semantic-routing')) return null;
    try {
      return await understanding.embedText({ text: event.text });
    } catch (error) {
      if (!activityFailureCause(error)) throw error;
      log.warn('sentence encoder unavailable; routing by words alone', { error: (error as Error).message });
      return null;
    }
  }

  /** What the optional LLM adds to a visitor message: a route, or values for the pending question. */
  async function llmHints(event: TurnEvent): Promise<LlmHints> {
    if (!state.settings.llm || event.kind !== 'message') return { route: null, extracted: null };
    try {
      if (state.pending) {
        const params = missingParameters(state);
        if (params.length === 0) return { route: null, extracted: null };
        return { route: null, extracted: await llm.llmExtract({ message: event.text, params, now: now() }) };
      }
      const actions = routableActions(catalog, channelOf(state.settings));
      if (actions.length === 0) return { route: null, extracted: null };
      const history = recentLines(state, 6);
      return { route: await llm.llmRoute({ message: event.text, history, actions }), extracted: null };
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('LLM unavailable; the deterministic path answers', { error: error.message });
      return { route: null, extracted: null };
    }
  }

  /** The LLM composer's wording of a reply whose action has response instructions, or null. */
  async function composed(run: ActionRun, progress: RunProgress): Promise<string | null> {
    const input = state.settings.llm ? composerInput(state, run, progress, now()) : null;
    if (!input) return null;
    try {
      return (await llm.llmCompose(input)).text;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('LLM composer unavailable; the template answers', { error: error.message });
      return null;
    }
  }

  /** Runs the action and says the reply; returns the failure alert to send once the visitor has the reply. */
  async function execute(run: ActionRun, context: EventContext): Promise<(() => Promise<void>) | null> {
    const { limits } = context;
    const deadline = state.settings.turnDeadlineMs;
    // Lean turns run calls that cannot outlast the turn deadline as local activities, and count them against the
    // conversation's call budget themselves.
    const callBudget =
      lean && limits?.callsPerMinute !== undefined
        ? { limit: limits.callsPerMinute, times: withinWindow(state.callTimes ?? [], Date.now()) }
        : undefined;
    const settings = callBudget ? context.chatbot : undefined;
    const { progress, calls } = await executeAction({ ...run, test: false }, runEnvironment(state, run, now()), {
      ...(lean && deadline !== undefined ? { localWithinMs: deadline } : {}),
      ...(callBudget ? { callBudget } : {}),
      ...(settings && callBudget
        ? {
            chatbot: {
              rateLimitPerMinute: settings.callsPerMinute,
              conversationCallsPerMinute: callBudget.limit,
              egressAllowlist: settings.egressAllowlist,
            },
          }
        : {}),
    });
    // Read the state only once the reply is composed: a turn past its deadline may have added to it meanwhile.
    const words = await composed(run, progress);
    state = completeRun(state, run, progress, now(), words);
    metrics.actionRun(state.chatbotId, run.action.name, progress.failure ? 'failed' : 'ok');
    if (callBudget) state = { ...state, callTimes: callBudget.times };
    const changed = calls.filter((call) => call.kind === 'step' && call.structureChanged).map((call) => call.step);
    const alert = failureAlert(run.action, progress, runEnvironment(state, run, now()), changed);
    // Alerts were added after conversations started running: old histories have no alert activity.
    if (!alert || !(lean || patched('failure-alerts'))) return null;
    // So were alerts for a successful call whose response changed structure.
    if (alert.alert.kind === 'structure_changed' && !patched('structure-alerts')) return null;
    return () =>
      alerts
        .sendFailureAlert(alert)
        .then(() => undefined)
        .catch((error: unknown) => log.error('failure alert not sent', { error: (error as Error).message }));
  }

  /**
   * The behaviours added since conversations first ran, on for turns that were not recorded without them. One
   * patch for them all: each patch id adds a marker and a search-attribute upsert to every run's history.
   */
  function turnFeatures(): TurnFeatures {
    const natural = lean || patched('natural-conversations');
    return { context: natural, smallTalk: natural, readable: natural };
  }

  /** Shows who answers in the Temporal UI (memo `ParleyMode`, current details) when it changes. */
  function showMode(before: ConversationState['mode']): void {
    const mode = state.mode ?? 'bot';
    if (mode === (before ?? 'bot')) return;
    upsertMemo({ ParleyMode: mode });
    setCurrentDetails(mode === 'human' ? 'Handed off: a person is answering' : 'The bot is answering');
  }

  /** The catalogue and what the router makes of the event, by the path this run was recorded with. */
  async function understand(event: TurnEvent, context: EventContext): Promise<Partial<LlmHints>> {
    if (lean) return { routed: await readTurn(event, context) };
    // Answers to a pending question used to skip the catalogue; now a clear change of topic needs it.
    if (!(event.kind === 'message' && state.pending) || patched('catalog-every-turn')) {
      catalog = await refreshCatalog();
    }
    return {};
  }

  async function processTurn(event: TurnEvent, context: EventContext): Promise<void> {
    const fromSeq = state.nextSeq;
    current = { messageId: event.messageId, fromSeq };
    // An email conversation's reply threads under the email that brought this message.
    if (context.inboundEmail) state = emailArrived(state, context.inboundEmail);
    // Sent once the visitor has the reply, before the next turn starts: handoff events and failure alerts.
    const afterReply: (() => Promise<void>)[] = [];
    try {
      const understood = await understand(event, context);
      const hints = lean
        ? { ...(await llmHints(event)), ...understood }
        : { ...(await llmHints(event)), embedding: await embedding(event) };
      state = { ...state, features: turnFeatures() };
      const mode = state.mode;
      let decision: TurnDecision | null = planTurn(state, event, catalog, now(), hints);
      const webhook = state.settings.handoff?.webhook;
      const handoff = decision.handoff;
      if (handoff && webhook) {
        afterReply.push(() =>
          notify
            .notifyHandoff({ webhook, event: handoff })
            .then(() => undefined)
            .catch((error: unknown) => log.error('handoff event not sent', { error: (error as Error).message })),
        );
      }
      // The turn's action, then any queued behind it (further lead_captured actions), one after another.
      while (decision) {
        state = decision.state;
        if (decision.run) {
          const alert = await execute(decision.run, context);
          if (alert) afterReply.push(alert);
        }
        decision = state.features?.context ? nextQueued(state, catalog, now()) : null;
      }
      showMode(mode);
    } catch (error) {
      if (!activityFailureCause(error)) throw error;
      log.error('turn failed', { error: (error as Error).message });
      state = say(state, [text("Sorry, I'm having trouble right now. Please try again in a moment.")], now());
    }
    state = markHandled(state, event.messageId, fromSeq);
    // The visitor has the reply; the alert goes out before the next turn starts.
    for (const send of afterReply) await send();
  }

  /**
   * Lean turns close an idle conversation with one watchdog timer, not a timer started and cancelled every turn:
   * it sleeps until the idle deadline and, when a turn happened (or is running) meanwhile, sleeps again for what
   * is left; when the deadline has passed it says so and waits until a turn clears it.
   */
  let lastActive = Date.now();
  let busy = false;
  let idle = false;
  async function watchIdle(): Promise<void> {
    for (;;) {
      const left = lastActive + state.settings.idleTimeoutMs - Date.now();
      if (left > 0 || busy) {
        await sleep(left > 0 ? left : state.settings.idleTimeoutMs);
      } else {
        idle = true;
        await condition(() => !idle);
      }
    }
  }
  if (lean) watchIdle().catch((error: unknown) => log.debug('idle watchdog stopped', { error: String(error) }));

  /**
   * Live delivery: whenever the bot (or an agent) has said something a watching API process has not been sent —
   * during a turn, so an action's triggered response reaches the visitor while its API call runs; after the turn
   * deadline; on a button or a lead — it is pushed there. Without watchers (every run recorded before live
   * delivery) this waits and adds nothing to history.
   */
  const undelivered = () => (anyWatcher(watchers) ? liveDeliveries(watchers, state, Date.now()) : []);
  async function deliverLive(): Promise<void> {
    for (;;) {
      await condition(() => undelivered().length > 0);
      const deliveries = undelivered();
      watchers = markSent(watchers, deliveries, state.nextSeq - 1);
      pushing = true;
      try {
        const { gone } = await live.publishLive(
          deliveries.map(({ endpoint, entries, closed }) => ({
            endpoint,
            batch: { conversationId: state.conversationId, entries, closed },
          })),
        );
        watchers = forget(watchers, gone, Date.now());
      } catch (error) {
        log.warn('live delivery failed', { error: (error as Error).message });
      } finally {
        pushing = false;
      }
    }
  }
  deliverLive().catch((error: unknown) => log.debug('live delivery stopped', { error: String(error) }));
  const deliveredAll = () => !pushing && undelivered().length === 0;

  /**
   * Email replies: once a turn of an email conversation is over, what the bot said (with anything an agent or a late
   * action result added) goes to the visitor as one reply threaded under their latest email. Chats never have an
   * email due, so this waits and adds nothing to their history.
   */
  let emailing = false;
  async function deliverEmail(): Promise<void> {
    for (;;) {
      await condition(() => !busy && emailDue(state));
      const next = nextEmail(state);
      if (!next) continue;
      state = next.state;
      emailing = true;
      try {
        await mail.sendEmailReply(next.email);
      } catch (error) {
        log.error('email reply not sent', { error: (error as Error).message });
      } finally {
        emailing = false;
      }
    }
  }
  deliverEmail().catch((error: unknown) => log.debug('email delivery stopped', { error: String(error) }));
  const emailedAll = () => !emailing && !emailDue(state);

  while (state.status === 'open') {
    const active = lean
      ? await condition(() => inbox.length > 0 || closeReason !== null || idle).then(
          () => inbox.length > 0 || closeReason !== null,
        )
      : await condition(() => inbox.length > 0 || closeReason !== null, state.settings.idleTimeoutMs);
    if (!active) {
      state = closeConversation(state, 'idle');
      break;
    }
    const next = inbox.shift();
    if (next) {
      busy = true;
      await processTurn(next.event, next.context);
      queued.delete(next.event.messageId);
      busy = false;
      lastActive = Date.now();
      idle = false;
    } else if (closeReason !== null) {
      state = closeConversation(state, closeReason);
    }
    if (state.status === 'open' && inbox.length === 0 && workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && deliveredAll() && emailedAll());
      // The next run shows who answers from its start; conversations that never had a mode carry no memo.
      const next = state.mode
        ? makeContinueAsNewFunc<typeof conversation>({ memo: { ParleyMode: state.mode } })
        : continueAsNew<typeof conversation>;
      await next({ ...input, carried: anyWatcher(watchers) ? { state, watchers } : { state } });
    }
  }

  // Anything still queued when the conversation closed is answered with nothing rather than left waiting.
  for (const { event } of inbox.splice(0)) state = markHandled(state, event.messageId, state.nextSeq);
  await condition(() => allHandlersFinished() && deliveredAll() && emailedAll());
  return { status: 'closed', reason: state.closedReason ?? 'closed', turns: state.turn };
}
