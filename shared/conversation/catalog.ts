import type { ActionDefinition } from '../actions/action';
import { actionTitle } from '../actions/title';
import { text, type BotMessage, type Button } from '../messages';
import { routeMessage } from '../understanding/legacy-word-overlap';
import type { RouterModel } from '../understanding/model';
import { routeWithModel } from '../understanding/routing';
import type { ActionCatalog, Channel, PendingAction, RouteHints, TurnEvent } from './state';

/**
 * The action catalogue as a conversation sees it: which actions its channel (chat or email) offers, their buttons and
 * the payload protocol (`action:`, `choose:`, `confirm:`), routing a visitor's words among them, and the fallback
 * that names them. Pure.
 */

/** Payload of a button that fires an action. */
export function actionButtonPayload(actionName: string): string {
  return `action:${actionName}`;
}

export const CONFIRM_YES = 'confirm:yes';

export const CONFIRM_NO = 'confirm:no';

/** Whether an action is offered in conversations of a channel (its `channels` include it). */
export function offeredIn(action: ActionDefinition, channel: Channel): boolean {
  return action.channels.includes(channel);
}

/** The buttons a conversation of the channel offers up front: one per button-triggered action offered there. */
export function actionButtons(actions: ActionDefinition[], channel: Channel = 'chat'): Button[] {
  return actions
    .filter((action) => offeredIn(action, channel))
    .flatMap((action) =>
      action.triggers.flatMap((trigger) =>
        trigger.type === 'button' ? [{ label: trigger.label, payload: actionButtonPayload(action.name) }] : [],
      ),
    );
}

/** The titles of what the bot can do when asked: its intent-triggered actions. */
export function abilities(catalog: ActionCatalog | null): string[] {
  return (catalog?.actions ?? [])
    .filter((entry) => entry.definition.triggers.some((trigger) => trigger.type === 'intent'))
    .map((entry) => actionTitle(entry.definition));
}

/** The fallback; with `offerButtons`, it carries the buttons of the channel's button-triggered actions again. */
export function fallbackMessage(
  catalog: ActionCatalog | null,
  offerButtons = false,
  channel: Channel = 'chat',
): BotMessage[] {
  const can = abilities(catalog);
  const said = can.length
    ? `Sorry, I didn't understand that. I can help with:\n${can.map((a) => `- ${a}`).join('\n')}`
    : "Sorry, I didn't understand that.";
  const buttons = offerButtons
    ? actionButtons(
        (catalog?.actions ?? []).map((entry) => entry.definition),
        channel,
      )
    : [];
  return [buttons.length ? { type: 'buttons', text: said, buttons } : text(said)];
}

type CatalogEntry = ActionCatalog['actions'][number];

type CatalogRoute =
  | { kind: 'action'; entry: CatalogEntry; score: number }
  | { kind: 'ambiguous'; entries: CatalogEntry[] }
  | { kind: 'none' };

/**
 * Routes a message among the catalogue's intent-triggered actions: as the worker routed it when it did, else with
 * the catalogue's trained router when it has one, else by word overlap (catalogues of older Parleys).
 */
export function routeInCatalog(message: string, catalog: ActionCatalog | null, hints: RouteHints = {}): CatalogRoute {
  const actions = catalog?.actions ?? [];
  const byName = (name: string) => actions.find((entry) => entry.definition.name === name);
  const routed = hints.routed?.text === message ? hints.routed.result : null;
  if (routed || catalog?.router) {
    const result =
      routed ?? routeWithModel(catalog?.router as RouterModel, message, { embedding: hints.embedding ?? null });
    if (result.kind === 'action') {
      const entry = byName(result.action);
      return entry ? { kind: 'action', entry, score: result.score } : { kind: 'none' };
    }
    if (result.kind === 'ambiguous') {
      const entries = result.candidates.flatMap((candidate) => byName(candidate.action) ?? []);
      return entries.length > 1 ? { kind: 'ambiguous', entries } : { kind: 'none' };
    }
    return { kind: 'none' };
  }
  const decision = routeMessage(
    message,
    actions.map((entry) => entry.definition),
  );
  const entry = decision.kind === 'action' ? byName(decision.action) : undefined;
  return entry && decision.kind === 'action' ? { kind: 'action', entry, score: decision.score } : { kind: 'none' };
}

/** How sure routing must be before a message abandons the action being collected for another one. */
export const TOPIC_SWITCH_SCORE = 0.7;

/** Another action the message routes to with at least `bar` as its score, or null. */
export function otherAction(
  message: string,
  catalog: ActionCatalog | null,
  pending: PendingAction,
  hints: RouteHints,
  bar: number,
): CatalogEntry | null {
  const route = routeInCatalog(message, catalog, hints);
  if (route.kind !== 'action' || route.entry.definition.name === pending.action.name) return null;
  return route.score >= bar ? route.entry : null;
}

export const CHOOSE_PREFIX = 'choose:';

/**
 * The text a turn event may have to route: a message's text, or the payload of a quick reply or custom button
 * (what the visitor said); null for the payloads of Parley's own buttons (`action:`, `choose:`, `confirm:`).
 */
export function routableText(event: TurnEvent): string | null {
  if (event.kind === 'message') return event.text;
  if (event.kind !== 'button') return null;
  const { payload } = event;
  const own = payload === CONFIRM_YES || payload === CONFIRM_NO || payload.startsWith('action:');
  return own || payload.startsWith(CHOOSE_PREFIX) ? null : payload;
}

/** The actions a router may offer in a channel's conversations: intent-triggered ones offered there. */
export function routableActions(catalog: ActionCatalog | null, channel: Channel = 'chat'): ActionDefinition[] {
  return (catalog?.actions ?? [])
    .map((entry) => entry.definition)
    .filter((action) => offeredIn(action, channel) && action.triggers.some((trigger) => trigger.type === 'intent'));
}

/** The channel a conversation takes place in (conversations started before channels existed are chats). */
export function channelOf(settings: { channel?: Channel }): Channel {
  return settings.channel ?? 'chat';
}
