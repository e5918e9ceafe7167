/**
 * IP addresses and host names as WHATWG URL parsing and OS resolvers read them, and CIDR ranges. Pure and
 * deterministic: the address policy and the egress module build on it.
 */

/** A URL host after parsing: an IP address in canonical form, or a name a resolver has to look up. */
export type Destination = { kind: 'ipv4' | 'ipv6'; address: string } | { kind: 'name'; host: string };

/** An IP address's bytes (4 or 16). */
export type Bytes = readonly number[];
/** An IP address as bytes. */
export type Ip = { kind: 'ipv4' | 'ipv6'; bytes: Bytes };

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
export function parseIp(text: string): Ip | null {
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

/** An IPv4 or IPv6 range (a CIDR; a single address is a full-length prefix). */
export type Range = { kind: 'ipv4' | 'ipv6'; bytes: Bytes; bits: number };

/** A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address as a range; null when it is neither. */
export function parseCidr(cidr: string): Range | null {
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

/** The first 12 bytes of an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
export const MAPPED_PREFIX: Bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Whether a range holds an address, an IPv4 address and its IPv4-mapped IPv6 form being the same. */
export function rangeContains(range: Range, ip: Ip): boolean {
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

/** A range written in Parley's own code; a bad one is a programming error. */
export function builtInRange(cidr: string): Range {
  const range = parseCidr(cidr);
  if (!range) throw new Error(`bad built-in range ${cidr}`);
  return range;
}

/** Whether a host matches an allowlist or binding entry: the same IP address, the same name, or `*.suffix`. */
export function hostMatches(pattern: string, host: string): boolean {
  const entry = parseHost(pattern);
  const target = parseHost(host);
  if (entry.kind !== 'name' || target.kind !== 'name') {
    return entry.kind !== 'name' && target.kind !== 'name' && entry.address === target.address;
  }
  if (entry.host.startsWith('*.')) return target.host.endsWith(entry.host.slice(1));
  return entry.host === target.host;
}
