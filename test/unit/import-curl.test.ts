import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { importCurl } from '../../shared/actions/import/curl';
import type { ImportOutcome } from '../../shared/actions/import/draft';

function imported(command: string, options: { name?: string } = {}) {
  const outcome = importCurl(command, options);
  if (!outcome.ok) throw new Error(`refused: ${outcome.path}: ${outcome.message}`);
  for (const action of outcome.actions) expect(ActionDefinitionSchema.safeParse(action).success).toBe(true);
  const [action] = outcome.actions;
  if (!action) throw new Error('no draft');
  const step = action.steps[0] as { request: Record<string, unknown>; timeoutMs?: number };
  return { outcome, action, request: step.request, step };
}

function refused(command: string): Extract<ImportOutcome, { ok: false }> {
  const outcome = importCurl(command);
  if (outcome.ok) throw new Error('imported');
  return outcome;
}

describe('importing a cURL command', () => {
  it("turns Stripe's documented charge command into a form POST whose -u key is a secret, never in the draft", () => {
    const key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
    const { outcome, action, request } = imported(`curl https://api.stripe.com/v1/charges \\
  -u ${key}: \\
  -d amount=2000 \\
  -d currency=usd \\
  -d source=tok_visa \\
  --data-urlencode "description=My First Test Charge (created for API docs)"`);
    expect(action.name).toBe('post_charges');
    expect(request).toEqual({
      method: 'POST',
      url: 'https://api.stripe.com/v1/charges',
      headers: { Authorization: 'Basic {{secrets.stripe_basic}}' },
      bodyType: 'form',
      body: {
        amount: '2000',
        currency: 'usd',
        source: 'tok_visa',
        description: 'My First Test Charge (created for API docs)',
      },
    });
    expect(outcome.secrets).toEqual([
      { name: 'stripe_basic', hosts: ['api.stripe.com'], from: expect.stringContaining('-u/--user') },
    ]);
    expect(outcome.secrets[0]?.from).toContain('base64');
    expect(JSON.stringify(outcome)).not.toContain(key);
  });

  it('keeps a JSON body structured, moves a Bearer token and a query api_key into secrets and reads -X, -m, -L', () => {
    const { outcome, action, request, step } = imported(
      `curl -sSL -X POST 'https://api.acme.test/v2/tickets?api_key=k-123456&lang=en' -m 5 \\
        -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig' \\
        -H 'Content-Type: application/json' -H 'Accept: application/json' \\
        --data-raw '{"subject": "Broken mug", "priority": 2, "tags": ["damaged"], "customer": {"id": "c-100"}}'`,
    );
    expect(action.name).toBe('post_tickets');
    expect(request).toEqual({
      method: 'POST',
      url: 'https://api.acme.test/v2/tickets',
      auth: { type: 'bearer', secret: 'acme_token' },
      query: { api_key: '{{secrets.acme_api_key}}', lang: 'en' },
      body: { subject: 'Broken mug', priority: 2, tags: ['damaged'], customer: { id: 'c-100' } },
      followRedirects: 3,
    });
    expect(step.timeoutMs).toBe(5000);
    expect(outcome.secrets).toEqual([
      { name: 'acme_token', hosts: ['api.acme.test'], from: 'the Authorization header (Bearer token)' },
      { name: 'acme_api_key', hosts: ['api.acme.test'], from: 'the query parameter api_key' },
    ]);
    expect(JSON.stringify(outcome)).not.toMatch(/eyJhbGci|k-123456/);
  });

  it("reads a browser's Copy as cURL: drops the browser's headers, keeps the API's, takes an X-Api-Key as the auth", () => {
    const { outcome, request } = imported(`curl 'http://127.0.0.1:4010/inventory/MUG-01' \\
  -H 'accept: */*' \\
  -H 'accept-language: en-GB,en;q=0.9' \\
  -H 'sec-ch-ua: "Chromium";v="131"' \\
  -H 'sec-fetch-mode: cors' \\
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64)' \\
  -H 'x-api-key: 0123456789abcdef' \\
  -H 'x-request-source: widget'`);
    expect(request).toEqual({
      method: 'GET',
      url: 'http://127.0.0.1:4010/inventory/MUG-01',
      auth: { type: 'api_key', in: 'header', name: 'x-api-key', secret: 'host_127_0_0_1_4010_token' },
      headers: { accept: '*/*', 'x-request-source': 'widget' },
    });
    expect(outcome.secrets[0]).toEqual({
      name: 'host_127_0_0_1_4010_token',
      hosts: ['127.0.0.1:4010'],
      from: 'the x-api-key header',
    });
    expect(outcome.warnings.join('\n')).toMatch(/left out: accept-language, sec-ch-ua, sec-fetch-mode, user-agent/);
  });

  it('sends a urlencoded -u password as basic auth with the user name and the password as a secret', () => {
    const { outcome, request } = imported(
      `curl --user 'api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0' https://api.mailgun.net/v3/example.com/messages -F from=a@b.c`.replace(
        ' -F from=a@b.c',
        ' -d from=a@b.c -d to=ada@example.com',
      ),
    );
    expect(request).toMatchObject({
      method: 'POST',
      auth: { type: 'basic', username: 'api', secret: 'mailgun_password' },
      bodyType: 'form',
      body: { from: 'a@b.c', to: 'ada@example.com' },
    });
    expect(JSON.stringify(outcome)).not.toContain('key-3ax6');
  });

  it('puts -G data in the query, names the action as given, and keeps shell variables visible', () => {
    const { outcome, action, request } = imported(
      `curl -G https://api.example.com/search --data-urlencode "q=red mug" -d limit=5 -H "Authorization: Token $API_TOKEN"`,
      { name: 'search_products' },
    );
    expect(action.name).toBe('search_products');
    expect(request).toEqual({
      method: 'GET',
      url: 'https://api.example.com/search',
      query: { q: 'red mug', limit: '5' },
      headers: { Authorization: 'Token {{secrets.example_token}}' },
    });
    expect(outcome.secrets[0]?.from).toBe(
      'the Authorization header (Token credentials) (in the command as the shell variable $API_TOKEN)',
    );
    expect(outcome.warnings.join('\n')).toContain('$API_TOKEN');
  });

  it('moves credential fields of a JSON body into secrets and sends JSON without a Content-Type as JSON', () => {
    const { outcome, request } = imported(
      `curl https://auth.example.com/oauth/token -d '{"client_id": "parley", "client_secret": "s3cr3t-value", "grant_type": "client_credentials"}'`,
    );
    expect(request['body']).toEqual({
      client_id: 'parley',
      client_secret: '{{secrets.auth_example_client_secret}}',
      grant_type: 'client_credentials',
    });
    expect(outcome.warnings.join('\n')).toMatch(/sends it as JSON/);
    expect(JSON.stringify(outcome)).not.toContain('s3cr3t-value');
  });

  it('refuses what cannot be a draft, naming the problem', () => {
    expect(refused('curl --foo https://x.test')).toEqual({ ok: false, path: 'curl', message: 'unknown option --foo' });
    expect(refused('wget https://x.test').message).toMatch(/must be a curl command line/);
    expect(refused('curl -s').message).toBe('the command names no URL');
    expect(refused('curl -d @body.json https://x.test').message).toMatch(/reads a file/);
    expect(refused('curl -F file=@a.png https://x.test').message).toMatch(/multipart/);
    expect(refused('curl -X OPTIONS https://x.test').message).toMatch(/OPTIONS is not one Parley calls/);
    expect(refused('curl https://x.test/a?b=1&c=2').message).toMatch(/quote the URL/);
    expect(refused('curl ftp://x.test/file').message).toMatch(/http/);
  });

  it('ignores what only changes curl itself, and what follows a pipe', () => {
    const { outcome, request } = imported(
      `curl -s -o /dev/null -w '%{http_code}' --compressed https://x.test/health | jq .`,
    );
    expect(request).toEqual({ method: 'GET', url: 'https://x.test/health' });
    expect(outcome.warnings.join('\n')).toMatch(/"\|"/);
  });
});
