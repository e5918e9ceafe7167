import { cidrContains, parseHost } from './ip-address';

/**
 * How much of Parley one chatbot, conversation or client address may use, so that none of them can starve the
 * others. Parsed from configuration (shared/config.ts) and passed to the API and the worker.
 */
export type TrafficLimits = {
  /** API calls per minute a chatbot makes unless it sets its own `rateLimitPerMinute`. */
  chatbotCallsPerMinute: number;
  /** API calls per minute one conversation may make, whatever its chatbot allows. */
  conversationCallsPerMinute: number;
  /** Messages, button clicks and leads per minute one conversation may send. */
  visitorMessagesPerMinute: number;
  /** Visitor turns one API process runs at once before each chatbot is held to its fair share of them. */
  concurrentTurns: number;
  /** Turns of one chatbot one API process runs at once; more are refused with 429, never queued. */
  chatbotConcurrentTurns: number;
  /** Conversation starts per minute from one client address (an IPv6 address counts by its /64). */
  startsPerAddressPerMinute: number;
  /** Conversation starts per minute of one chatbot, from all addresses together. */
  startsPerChatbotPerMinute: number;
  /** Conversation starts per second of one chatbot: a burst of new workflows would queue ahead of other chatbots. */
  startsPerChatbotPerSecond: number;
};

/** The defaults, chosen for a self-hosted engine in front of operators' own APIs (see the README). */
export const DEFAULT_TRAFFIC_LIMITS: TrafficLimits = {
  chatbotCallsPerMinute: 600,
  conversationCallsPerMinute: 30,
  visitorMessagesPerMinute: 30,
  concurrentTurns: 6,
  chatbotConcurrentTurns: 3,
  startsPerAddressPerMinute: 20,
  startsPerChatbotPerMinute: 300,
  startsPerChatbotPerSecond: 10,
};

/** The keys the shared rate limiter counts under, one namespace per budget. */
export const limiterKeys = {
  /** A chatbot's API calls (the bare id, as before budgets had kinds). */
  chatbotCalls: (chatbotId: string) => chatbotId,
  conversationCalls: (conversationId: string) => `calls:${conversationId}`,
  visitorMessages: (conversationId: string) => `visitor:${conversationId}`,
  startsByAddress: (addressKey: string) => `starts-from:${addressKey}`,
  startsByChatbot: (chatbotId: string) => `starts-of:${chatbotId}`,
  startBurstsByChatbot: (chatbotId: string) => `start-bursts-of:${chatbotId}`,
} as const;

/** Seconds a `Retry-After` header should say for a wait in milliseconds: whole seconds, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * The address a client is counted under: an IPv4 address as it is (also when written IPv4-mapped), an IPv6
 * address by its /64 network, since one host or home usually holds a whole /64 and could rotate through it.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (parseHost(address).kind !== 'ipv6') return address;
  const [head = '', tail = ''] = (address.toLowerCase().split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** What Express's `trust proxy` setting is given: off, a number of proxy hops, or the proxies' addresses. */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Parses PARLEY_TRUST_PROXY: unset or `false` (use the socket's address), a hop count (`1` behind one load
 * balancer), or a comma-separated list of proxy addresses, CIDRs and Express's names `loopback`, `linklocal`,
 * `uniquelocal`. `true` is refused: trusting every hop lets any client choose the address it is counted under.
 */
export function parseTrustProxy(value: string): TrustProxy | { problem: string } {
  const text = value.trim();
  if (text === '' || text === 'false') return false;
  if (text === 'true') {
    return {
      problem:
        'true would trust any X-Forwarded-For a client sends; give the number of proxies in front of Parley (e.g. 1) or their addresses',
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops >= 1 && hops <= 10 ? hops : { problem: 'a hop count must be 1 to 10' };
  }
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    // A well-formed address or CIDR contains its own base address; anything else contains nothing.
    const strict = /^[0-9a-f:.]+(\/\d{1,3})?$/i.test(entry);
    if (!PROXY_NAMES.has(entry) && !(strict && cidrContains(entry, entry.split('/')[0] ?? ''))) {
      return { problem: `"${entry}" is not an IP address, a CIDR, loopback, linklocal or uniquelocal` };
    }
  }
  return entries;
}
