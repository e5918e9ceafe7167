import { hostMatches } from './ip-address';

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
