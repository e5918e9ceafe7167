import {
  builtInRange,
  hostMatches,
  MAPPED_PREFIX,
  parseCidr,
  parseHost,
  parseIp,
  rangeContains,
  type Bytes,
  type Ip,
  type Range,
} from './ip-address';

/**
 * Which network destinations Parley may call on an operator's behalf. Pure and deterministic: classification and
 * decisions only; the egress module (infrastructure/egress.ts) applies these decisions to every resolved address.
 */

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

/** Why an address may not be called (null: public); IPv6 forms that carry an IPv4 address go by that address. */
export function classify(ip: Ip): BlockReason | null {
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
