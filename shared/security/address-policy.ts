/**
 * Which network destinations Parley may call on an operator's behalf. Pure and deterministic: parsing and
 * classification only; the egress module (activities/egress.ts) applies these decisions to every resolved address.
 */

/** A URL host after parsing: an IP address in canonical form, or a name a resolver has to look up. */
export type Destination = { kind: 'ipv4' | 'ipv6'; address: string } | { kind: 'name'; host: string };

/** Why an address may not be called. */
export type BlockReason =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'cgnat'
  | 'multicast'
  | 'reserved'
  | 'unspecified'
  | 'ipv4_mapped'
  | 'nat64'
  | 'documentation'
  | 'benchmarking'
  | 'invalid';

/**
 * What a chatbot may reach besides the public internet. `allowLoopback` is for development and tests only;
 * `allowlist` holds hostnames (`api.corp.example`), subdomain wildcards (`*.corp.example`), IPs and CIDRs.
 */
export type EgressPolicy = { allowLoopback: boolean; allowlist: string[] };

/** The decision for one resolved address. */
export type AddressDecision = { ok: true } | { ok: false; reason: BlockReason };

/**
 * Per secret name, where it may be sent: `[scheme://]host[:port]` entries (host a name, `*.suffix` or an IP);
 * a secret without an entry is unrestricted. See `assertSecretHostAllowed` for how entries match.
 */
export type SecretHostBindings = Record<string, string[] | undefined>;

/** A secret would be sent to a host its binding does not list. */
export class SecretHostError extends Error {
  constructor(
    readonly secretName: string,
    readonly host: string,
  ) {
    super(`secret "${secretName}" may not be sent to ${host}: it is bound to other hosts`);
    this.name = 'SecretHostError';
  }
}

type Bytes = readonly number[];
type Ip = { kind: 'ipv4' | 'ipv6'; bytes: Bytes };

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/** WHATWG "IPv4 number": decimal, 0x-hex or 0-octal; null when the text is not one. */
function parseIPv4Number(text: string): number | null {
  let digits = text;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    digits = digits.slice(2);
    radix = 16;
  } else if (digits.length > 1 && digits.startsWith('0')) {
    digits = digits.slice(1);
    radix = 8;
  }
  if (digits === '') return text === '' ? null : 0;
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  // Anything this long is out of range anyway; keep parseInt within exact integers.
  if (digits.length > 40) return Number.POSITIVE_INFINITY;
  return parseInt(digits, radix);
}

/** WHATWG "ends in a number": such a host must be an IPv4 address (or the URL is invalid). */
function endsInANumber(host: string): boolean {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  const last = parts[parts.length - 1] ?? '';
  if (last !== '' && /^[0-9]+$/.test(last)) return true;
  return /^0x[0-9a-f]*$/i.test(last);
}

/** The WHATWG IPv4 parser (which inet_aton also follows): 1 to 4 parts, the last filling the remaining bytes. */
function parseLooseIPv4(host: string): Bytes | null {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Number(part);
    if (value === null) return null;
    numbers.push(value);
  }
  const last = numbers.pop();
  if (last === undefined || numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let value = last;
  numbers.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

/** Strict dotted-quad decimal, as in CIDRs, allowlists and resolver answers. */
function parseStrictIPv4(text: string): Bytes | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const bytes = match.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** An IPv6 address (no brackets; a zone id is ignored) as 16 bytes, or null. */
function parseIPv6(text: string): Bytes | null {
  const zone = text.indexOf('%');
  let rest = zone === -1 ? text : text.slice(0, zone);
  if (!/^[0-9a-f:.]+$/i.test(rest)) return null;
  let tail: number[] = [];
  const lastColon = rest.lastIndexOf(':');
  if (rest.includes('.')) {
    const v4 = parseStrictIPv4(rest.slice(lastColon + 1));
    if (!v4 || lastColon === -1) return null;
    tail = [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
    rest = rest.slice(0, lastColon + 1);
    if (rest.endsWith(':') && !rest.endsWith('::')) rest = rest.slice(0, -1);
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = groupsOf(halves[0] ?? '');
  const after = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (!head || !after) return null;
  const given = head.length + after.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    groups = [...head, ...new Array<number>(8 - given).fill(0), ...after, ...tail];
  } else {
    if (given !== 8) return null;
    groups = [...head, ...tail];
  }
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(bytes: Bytes): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatIp(ip: Ip): string {
  return ip.kind === 'ipv4' ? ip.bytes.join('.') : formatIPv6(ip.bytes);
}

/** Lowercase, trailing dot and brackets removed, full-width forms and ideographic full stops folded (UTS 46-like). */
function normaliseHost(host: string): string {
  let out = host
    .trim()
    .normalize('NFKC')
    .replace(/[\u3002\uff0e\uff61]/g, '.')
    .toLowerCase();
  if (out.startsWith('[') && out.endsWith(']')) out = out.slice(1, -1);
  if (!out.includes(':') && out.includes('%')) {
    try {
      out = decodeURIComponent(out);
    } catch {
      // Not percent-encoded after all: keep the text as it is.
    }
  }
  return out;
}

/** An IP address in any spelling parseHost accepts, or null for names. */
function parseIp(text: string): Ip | null {
  const host = normaliseHost(text);
  if (host.includes(':')) {
    const bytes = parseIPv6(host);
    return bytes ? { kind: 'ipv6', bytes } : null;
  }
  if (!endsInANumber(host)) return null;
  const bytes = parseLooseIPv4(host);
  return bytes ? { kind: 'ipv4', bytes } : null;
}

/**
 * Parses a URL host the way WHATWG URL and OS resolvers (inet_aton) treat it: `2130706433`, `0x7f.1`,
 * `0177.0.0.1` and `127.1` are all 127.0.0.1; IPv6 in or out of brackets, zone ids ignored. Anything else,
 * including text that ends in a number but is not a valid IPv4 address, is a name for the resolver.
 */
export function parseHost(host: string): Destination {
  const ip = parseIp(host);
  if (ip) return { kind: ip.kind, address: formatIp(ip) };
  const name = normaliseHost(host);
  return { kind: 'name', host: name.endsWith('.') ? name.slice(0, -1) : name };
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

type Range = { kind: 'ipv4' | 'ipv6'; bytes: Bytes; bits: number };

function parseCidr(cidr: string): Range | null {
  const [address = '', prefix, ...extra] = cidr.trim().split('/');
  if (extra.length) return null;
  const v4 = parseStrictIPv4(address);
  const bytes = v4 ?? (address.includes(':') && !address.includes('%') ? parseIPv6(address) : null);
  if (!bytes) return null;
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return null;
  const bits = prefix === undefined ? max : Number(prefix);
  return bits <= max ? { kind: v4 ? 'ipv4' : 'ipv6', bytes, bits } : null;
}

function prefixMatches(range: Bytes, ip: Bytes, bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((range[i / 8] ?? 0) & mask) !== ((ip[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

const MAPPED_PREFIX: Bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function rangeContains(range: Range, ip: Ip): boolean {
  if (range.kind === ip.kind) return prefixMatches(range.bytes, ip.bytes, range.bits);
  // An IPv4 address and its IPv4-mapped IPv6 form are the same destination.
  if (range.kind === 'ipv4') {
    const embedded = ip.bytes.slice(0, 12).every((b, i) => b === MAPPED_PREFIX[i]) ? ip.bytes.slice(12) : null;
    return embedded !== null && prefixMatches(range.bytes, embedded, range.bits);
  }
  return prefixMatches(range.bytes, [...MAPPED_PREFIX, ...ip.bytes], range.bits);
}

/** Whether `ip` (any spelling parseHost accepts) lies in `cidr` (`10.0.0.0/8`, `fd00::/8`, or a single address). */
export function cidrContains(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr);
  const address = parseIp(ip);
  return range !== null && address !== null && rangeContains(range, address);
}

function builtInRange(cidr: string): Range {
  const range = parseCidr(cidr);
  if (!range) throw new Error(`bad built-in range ${cidr}`);
  return range;
}

function table(entries: [string, BlockReason][]): [Range, BlockReason][] {
  return entries.map(([cidr, reason]) => [builtInRange(cidr), reason]);
}

/** Cloud instance metadata and host-agent endpoints: never callable, whatever the allowlist says. */
const METADATA = table([
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, Hetzner...
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['169.254.170.23/32', 'metadata'], // AWS EKS pod identity
  ['169.254.0.23/32', 'metadata'], // Tencent Cloud
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['192.0.0.192/32', 'metadata'], // Oracle Cloud
  ['168.63.129.16/32', 'metadata'], // Azure WireServer
  ['fd00:ec2::254/128', 'metadata'], // AWS IPv6
  ['fd00:ec2::23/128', 'metadata'], // AWS EKS pod identity IPv6
  ['fd20:ce::254/128', 'metadata'], // GCP IPv6
]);

/** Hostnames of metadata services, blocked by name before any resolution. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.azure.internal',
]);

const IPV4_RANGES = table([
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_RANGES = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'ipv4_mapped'], // IPv4-compatible (deprecated)
  ['::ffff:0:0:0/96', 'ipv4_mapped'], // IPv4-translated (SIIT)
  ['64:ff9b:1::/48', 'nat64'], // local-use NAT64: where the IPv4 sits depends on the network
  ['100::/64', 'reserved'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'reserved'], // Teredo, ORCHID, protocol assignments
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST = builtInRange('2000::/3');

/** The IPv4 address an IPv6 address stands for: IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16). */
function embeddedIPv4(bytes: Bytes): Ip | null {
  const starts = (prefix: Bytes) => prefix.every((b, i) => bytes[i] === b);
  if (starts(MAPPED_PREFIX)) return { kind: 'ipv4', bytes: bytes.slice(12) };
  if (starts([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return { kind: 'ipv4', bytes: bytes.slice(12) };
  if (starts([0x20, 0x02])) return { kind: 'ipv4', bytes: bytes.slice(2, 6) };
  return null;
}

function classify(ip: Ip): BlockReason | null {
  for (const [range, reason] of METADATA) if (rangeContains(range, ip)) return reason;
  if (ip.kind === 'ipv4') {
    for (const [range, reason] of IPV4_RANGES) if (rangeContains(range, ip)) return reason;
    return null;
  }
  const embedded = embeddedIPv4(ip.bytes);
  if (embedded) return classify(embedded);
  for (const [range, reason] of IPV6_RANGES) if (rangeContains(range, ip)) return reason;
  return rangeContains(GLOBAL_UNICAST, ip) ? null : 'reserved';
}

/**
 * Why an IP address (any spelling parseHost accepts) may not be called, or null for a public address.
 * IPv4-mapped (`::ffff:7f00:1`), NAT64 (`64:ff9b::/96`) and 6to4 addresses are classified by the IPv4 address
 * they carry; text that is not an IP address is `invalid`.
 */
export function blockedReason(ip: string): BlockReason | null {
  const parsed = parseIp(ip);
  return parsed ? classify(parsed) : 'invalid';
}

/** Whether a hostname is a cloud metadata service's name. */
export function isMetadataHost(host: string): boolean {
  const destination = parseHost(host);
  return destination.kind === 'name' && METADATA_NAMES.has(destination.host);
}

function hostMatches(pattern: string, host: string): boolean {
  const entry = parseHost(pattern);
  const target = parseHost(host);
  if (entry.kind !== 'name' || target.kind !== 'name') {
    return entry.kind !== 'name' && target.kind !== 'name' && entry.address === target.address;
  }
  if (entry.host.startsWith('*.')) return target.host.endsWith(entry.host.slice(1));
  return entry.host === target.host;
}

/** Whether an allowlist entry is well formed: a hostname, `*.suffix`, an IP address or a CIDR. */
export function isAllowlistEntry(entry: string): boolean {
  if (parseCidr(entry)) return true;
  return /^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i.test(entry.trim());
}

function allowlisted(ip: Ip, host: string, allowlist: string[]): boolean {
  return allowlist.some((entry) => {
    const range = parseCidr(entry);
    return range ? rangeContains(range, ip) : hostMatches(entry, host);
  });
}

/**
 * The decision for one resolved address `ip` of `host`. Public addresses pass. Loopback passes only with
 * `allowLoopback`; private, link-local, CGNAT and other special ranges pass when the allowlist names the host or
 * covers the address. Metadata addresses and names, the unspecified address and unparseable text never pass.
 */
export function checkAddress(ip: string, host: string, policy: EgressPolicy): AddressDecision {
  if (isMetadataHost(host)) return { ok: false, reason: 'metadata' };
  const parsed = parseIp(ip);
  if (!parsed) return { ok: false, reason: 'invalid' };
  const reason = classify(parsed);
  if (reason === null) return { ok: true };
  if (reason === 'loopback') return policy.allowLoopback ? { ok: true } : { ok: false, reason };
  if (reason === 'metadata' || reason === 'unspecified' || reason === 'invalid') return { ok: false, reason };
  return allowlisted(parsed, host, policy.allowlist) ? { ok: true } : { ok: false, reason };
}

/**
 * The decision that can be taken before any resolution: IP-literal hosts are checked as addresses, metadata
 * names are refused; other names pass here and are checked on every address they resolve to at connect time.
 */
export function checkHost(host: string, policy: EgressPolicy): AddressDecision {
  const destination = parseHost(host);
  if (destination.kind === 'name') return isMetadataHost(host) ? { ok: false, reason: 'metadata' } : { ok: true };
  return checkAddress(destination.address, host, policy);
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };
const BINDING = /^(?:(https?):\/\/)?(\[[^\]]*\]|[^:/]*)(?::(\d{1,5}))?$/i;

/** Whether a URL's scheme, host and port are those a binding entry names. */
function bindingMatches(entry: string, url: URL): boolean {
  const match = BINDING.exec(entry.trim());
  if (!match) return false;
  const [, scheme, host = '', port] = match;
  if (scheme !== undefined && `${scheme.toLowerCase()}:` !== url.protocol) return false;
  const wanted = port ?? DEFAULT_PORTS[url.protocol];
  return Number(wanted) === Number(url.port || DEFAULT_PORTS[url.protocol]) && hostMatches(host, url.hostname);
}

/**
 * Throws SecretHostError when the URL's scheme, host and port are not ones the secret is bound to. A secret
 * without bindings is unrestricted; an empty list binds it to no host at all. An entry is `[scheme://]host[:port]`,
 * host a name, `*.suffix` or an IP: without a scheme it matches http and https; without a port it matches only the
 * scheme's default port (80 for http, 443 for https), so `api.example` never covers `api.example:8443`, and
 * `api.example:8443` covers that port only.
 */
export function assertSecretHostAllowed(secretName: string, bindings: SecretHostBindings, url: string | URL): void {
  const entries = bindings[secretName];
  if (entries === undefined) return;
  const target = typeof url === 'string' ? new URL(url) : url;
  if (!entries.some((entry) => bindingMatches(entry, target))) {
    throw new SecretHostError(secretName, `${target.hostname}:${target.port || DEFAULT_PORTS[target.protocol]}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checks on save: destinations an operator writes down

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
