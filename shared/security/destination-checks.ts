import {
  blockedReason,
  checkHost,
  classify,
  isAllowlistEntry,
  isMetadataHost,
  type BlockReason,
  type EgressPolicy,
} from './address-policy';
import { builtInRange, parseCidr, parseHost, rangeContains } from './ip-address';

/** Checks on save: destinations an operator writes down (in actions, alerts and allowlists), in words. */

/** Names that always resolve to this machine (RFC 6761), whatever DNS says. */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/** What a reason means, in words for an operator. */
const REASON_WORDS: Record<BlockReason, string> = {
  loopback: 'a loopback address (this machine)',
  private: 'a private address',
  link_local: 'a link-local address',
  metadata: 'a cloud metadata service',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  unspecified: 'the unspecified address (0.0.0.0 or ::)',
  ipv4_mapped: 'an IPv4-mapped or -compatible IPv6 address',
  nat64: 'a local-use NAT64 address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  invalid: 'not a valid host',
};

/**
 * Why a destination host written into an action, alert or allowlist can never be called, whatever the
 * configuration says — a metadata service, the unspecified address — or null when some policy could allow it.
 */
export function neverCallableReason(host: string): BlockReason | null {
  if (isMetadataHost(host)) return 'metadata';
  const destination = parseHost(host);
  if (destination.kind === 'name') return destination.host === '' ? 'invalid' : null;
  const reason = blockedReason(destination.address);
  return reason === 'metadata' || reason === 'unspecified' || reason === 'invalid' ? reason : null;
}

/** A sentence saying why a host can never be called, or null when it can be (under some configuration). */
export function neverCallableProblem(host: string): string | null {
  const reason = neverCallableReason(host);
  return reason && `${host} is ${REASON_WORDS[reason]}, which Parley never calls`;
}

/**
 * A sentence saying why the current policy refuses a destination host that configuration could open (loopback,
 * private and other special ranges written as IP literals, `localhost` names), or null when it is callable —
 * as far as can be told before resolving names.
 */
export function policyBlockWarning(host: string, policy: EgressPolicy): string | null {
  const destination = parseHost(host);
  if (destination.kind === 'name' && isLocalhostName(destination.host)) {
    if (policy.allowLoopback) return null;
    return `${host} is this machine (loopback), which this Parley does not call: only PARLEY_ALLOW_LOOPBACK=true opens it, and never in production`;
  }
  const decision = checkHost(host, policy);
  if (decision.ok) return null;
  if (decision.reason === 'loopback') {
    return `${host} is ${REASON_WORDS.loopback}, which this Parley does not call: only PARLEY_ALLOW_LOOPBACK=true opens it, and never in production`;
  }
  return `${host} is ${REASON_WORDS[decision.reason]}, which this Parley does not call unless the chatbot's egressAllowlist or PARLEY_EGRESS_ALLOWLIST names it`;
}

/**
 * Why an allowlist entry is malformed or can never open anything (loopback — opened only by
 * PARLEY_ALLOW_LOOPBACK —, metadata, the unspecified address), or null for a useful entry.
 */
export function allowlistEntryProblem(entry: string): string | null {
  if (!isAllowlistEntry(entry)) return `"${entry}" is not a host name, *.suffix, an IP address or a CIDR`;
  const range = parseCidr(entry);
  if (range) {
    const reason = classify({ kind: range.kind, bytes: range.bytes });
    const inside = (cidr: string) => {
      const outer = builtInRange(cidr);
      return range.bits >= outer.bits && rangeContains(outer, { kind: range.kind, bytes: range.bytes });
    };
    if (inside('127.0.0.0/8') || inside('::1/128'))
      return `"${entry}" is loopback, which an allowlist never opens (PARLEY_ALLOW_LOOPBACK does, outside production)`;
    if (reason === 'metadata' && range.bits === (range.kind === 'ipv4' ? 32 : 128))
      return `"${entry}" is a cloud metadata service, which Parley never calls`;
    if (reason === 'unspecified' && range.bits === (range.kind === 'ipv4' ? 32 : 128))
      return `"${entry}" is the unspecified address, which Parley never calls`;
    return null;
  }
  const name = parseHost(entry.replace(/^\*\./, ''));
  if (name.kind === 'name' && isLocalhostName(name.host))
    return `"${entry}" is loopback, which an allowlist never opens (PARLEY_ALLOW_LOOPBACK does, outside production)`;
  if (isMetadataHost(entry)) return `"${entry}" is a cloud metadata service, which Parley never calls`;
  return null;
}

/** A sentence when an allowlist entry changes nothing (a public address is callable anyway), or null. */
export function allowlistEntryWarning(entry: string): string | null {
  const range = parseCidr(entry);
  if (!range || range.bits !== (range.kind === 'ipv4' ? 32 : 128)) return null;
  return classify({ kind: range.kind, bytes: range.bytes }) === null
    ? `"${entry}" is a public address, which Parley calls anyway: the entry changes nothing`
    : null;
}
