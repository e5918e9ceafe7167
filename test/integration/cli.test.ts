import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEMO_CHATBOT, DEMO_SECRET } from '../../scripts/demo/seed';
import { close, listen, runCli, runProcess, serveDemo } from '../support/cli';
import { ADMIN_KEY, orderStatusAction, startParley, type Parley } from '../support/parley';

/**
 * The operator CLI, run as a process against a whole Parley (API listening on a real port, worker, Temporal,
 * FerretDB), reading and writing configuration folders on disk.
 */
describe('the parley CLI', () => {
  let parley: Parley;
  let demo: Awaited<ReturnType<typeof serveDemo>>;
  let api: string;
  let acmeUrl: string;
  let work: string;

  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { PARLEY_API: api, PARLEY_ADMIN_KEY: ADMIN_KEY, ...env });

  /** A fresh configuration folder with the given files (paths relative to it; objects are written as YAML). */
  function folder(files: Record<string, unknown>): string {
    const dir = mkdtempSync(join(work, 'config-'));
    for (const [path, content] of Object.entries(files)) write(dir, path, content);
    return dir;
  }
  function write(dir: string, path: string, content: unknown) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : stringify(content));
  }
  /** Every file under a folder, with its text. */
  function filesUnder(dir: string): Record<string, string> {
    return Object.fromEntries(
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => {
          const path = join(entry.parentPath, entry.name);
          return [path.slice(dir.length + 1), readFileSync(path, 'utf8')];
        }),
    );
  }

  const shopAction = () => {
    const action = orderStatusAction('https://api.shop.test');
    const [step] = action.steps;
    return {
      ...action,
      name: undefined,
      steps: [{ ...step, request: { ...step?.request, auth: { type: 'bearer', secret: 'shop_token' } } }],
    };
  };
  const shopFiles = (id: string) => ({
    [`${id}/chatbot.yaml`]: {
      name: 'Shop assistant',
      greeting: 'Hello from the shop',
      secrets: { shop_token: { env: 'SHOP_TOKEN', hosts: ['api.shop.test'] } },
    },
    [`${id}/actions/check_order_status.yaml`]: shopAction(),
  });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    parley = await startParley();
    demo = await serveDemo(parley);
    ({ api, acmeUrl } = demo);
  });
  afterAll(async () => {
    await demo.close();
    await parley.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('applies a folder: creates the chatbot, its secret from the environment and its actions; again, no changes', async () => {
    const dir = folder(shopFiles('shop'));

    const first = await cli(['apply', dir], { SHOP_TOKEN: 'shop-token-0123456789' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('+ chatbot shop (shop/chatbot.yaml)');
    expect(first.stdout).toContain('+ secret shop/shop_token from $SHOP_TOKEN (new)');
    expect(first.stdout).toContain('+ action shop/check_order_status (shop/actions/check_order_status.yaml)');
    expect(first.stdout).toContain('3 to create, 0 to update, 0 to delete');
    expect(first.stdout).toContain('applied 3 changes');
    expect(first.stdout).not.toContain('shop-token-0123456789');

    const chatbot = await parley.admin('get', '/v1/chatbots/shop').expect(200);
    expect(chatbot.body).toMatchObject({ name: 'Shop assistant', greeting: 'Hello from the shop' });
    const secrets = await parley.admin('get', '/v1/chatbots/shop/secrets').expect(200);
    expect(secrets.body.secrets).toMatchObject([
      { name: 'shop_token', masked: expect.stringMatching(/6789$/), hosts: ['api.shop.test'] },
    ]);
    const action = await parley.admin('get', '/v1/chatbots/shop/actions/check_order_status').expect(200);
    expect(action.body).toMatchObject({
      version: 1,
      definition: { steps: [{ request: { auth: { secret: 'shop_token' } } }] },
    });

    // The secret exists now, so its value is not needed again.
    const again = await cli(['apply', dir]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout.trim()).toBe('no changes');
  });

  it('shows a changed field in the diff; --dry-run changes nothing; apply saves it', async () => {
    const dir = folder(shopFiles('shop-edit'));
    expect((await cli(['apply', dir], { SHOP_TOKEN: 'shop-token-0123456789' })).code).toBe(0);
    const action = shopAction();
    write(dir, 'shop-edit/actions/check_order_status.yaml', {
      ...action,
      steps: [{ ...action.steps[0], timeoutMs: 8000 }],
      examples: [...(action.examples ?? []), 'where is my parcel'],
    });
    write(dir, 'shop-edit/chatbot.yaml', {
      name: 'Shop assistant',
      greeting: 'Welcome back',
      secrets: { shop_token: { env: 'SHOP_TOKEN', hosts: ['api.shop.test'] } },
    });

    const dry = await cli(['apply', '--dry-run', dir]);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain(
      '~ chatbot shop-edit (shop-edit/chatbot.yaml)\n    greeting: "Hello from the shop" → "Welcome back"',
    );
    expect(dry.stdout).toContain('~ action shop-edit/check_order_status (shop-edit/actions/check_order_status.yaml)');
    expect(dry.stdout).toContain('    steps[0].timeoutMs: 5000 → 8000');
    expect(dry.stdout).toContain('    examples[3]: (absent) → "where is my parcel"');
    expect(dry.stdout).toContain('0 to create, 2 to update, 0 to delete');
    expect(dry.stdout).toContain('dry run: nothing was changed');
    const untouched = await parley.admin('get', '/v1/chatbots/shop-edit/actions/check_order_status').expect(200);
    expect(untouched.body).toMatchObject({ version: 1, definition: { steps: [{ timeoutMs: 5000 }] } });
    expect((await parley.admin('get', '/v1/chatbots/shop-edit').expect(200)).body.greeting).toBe('Hello from the shop');

    const applied = await cli(['apply', dir]);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('applied 2 changes');
    const saved = await parley.admin('get', '/v1/chatbots/shop-edit/actions/check_order_status').expect(200);
    expect(saved.body).toMatchObject({ version: 2, definition: { steps: [{ timeoutMs: 8000 }] } });
    expect((await parley.admin('get', '/v1/chatbots/shop-edit').expect(200)).body.greeting).toBe('Welcome back');
    expect((await cli(['apply', dir])).stdout.trim()).toBe('no changes');
  });

  it('keeps actions no file defines unless --prune, which deletes them', async () => {
    const dir = folder(shopFiles('shop-prune'));
    expect((await cli(['apply', dir], { SHOP_TOKEN: 'shop-token-0123456789' })).code).toBe(0);
    await parley
      .admin('put', '/v1/chatbots/shop-prune/actions/old_lookup')
      .send({ ...orderStatusAction('https://api.shop.test'), name: 'old_lookup' })
      .expect(201);

    const kept = await cli(['apply', dir]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('no changes');
    expect(kept.stdout).toContain('kept: action shop-prune/old_lookup is not in the files (--prune deletes it)');

    const dry = await cli(['apply', '--prune', '--dry-run', dir]);
    expect(dry.stdout).toContain('- action shop-prune/old_lookup (no file defines it)');
    await parley.admin('get', '/v1/chatbots/shop-prune/actions/old_lookup').expect(200);

    const pruned = await cli(['apply', '--prune', dir]);
    expect(pruned).toMatchObject({ code: 0, stderr: '' });
    expect(pruned.stdout).toContain('0 to create, 0 to update, 1 to delete');
    await parley.admin('get', '/v1/chatbots/shop-prune/actions/old_lookup').expect(404);
    await parley.admin('get', '/v1/chatbots/shop-prune/actions/check_order_status').expect(200);
  });

  it('exports the demo chatbot as files that apply reads back with no changes, secrets as environment names', async () => {
    const dir = mkdtempSync(join(work, 'export-'));
    const exported = await cli(['export', DEMO_CHATBOT.id, dir]);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toContain('wrote acme/chatbot.yaml');
    expect(exported.stdout).toContain('wrote acme/actions/open_support_ticket.yaml');

    const files = filesUnder(dir);
    expect(Object.keys(files).sort()).toEqual([
      'acme/actions/browse_products.yaml',
      'acme/actions/check_order_status.yaml',
      'acme/actions/check_stock.yaml',
      'acme/actions/hand_to_person.yaml',
      'acme/actions/open_support_ticket.yaml',
      'acme/actions/request_callback.yaml',
      'acme/chatbot.yaml',
    ]);
    expect(Object.values(files).join('\n')).not.toContain(DEMO_SECRET.value);
    const chatbot = parse(files['acme/chatbot.yaml'] ?? '');
    expect(chatbot).toMatchObject({
      name: DEMO_CHATBOT.name,
      publishableKey: DEMO_CHATBOT.publishableKey,
      handoff: { action: 'hand_to_person' },
      secrets: { acme_token: { env: 'ACME_TOKEN' } },
    });
    // Defaults are left out: the file says what the operator chose.
    const stock = parse(files['acme/actions/check_stock.yaml'] ?? '');
    expect(stock.name).toBeUndefined();
    expect(Object.keys(stock)).not.toContain('confirm');
    expect(Object.keys(stock.steps[0].request)).toEqual(['method', 'url', 'auth']);

    const reapplied = await cli(['apply', dir]);
    expect(reapplied).toMatchObject({ code: 0, stderr: '' });
    expect(reapplied.stdout.trim()).toBe('no changes');
    expect((await cli(['apply', '--prune', join(dir, 'acme')])).stdout.trim()).toBe('no changes');

    // The same in JSON, into the same folder: the YAML files are replaced.
    const asJson = await cli(['export', '--format', 'json', DEMO_CHATBOT.id, dir]);
    expect(asJson.stdout).toContain('removed acme/chatbot.yaml');
    expect(Object.keys(filesUnder(dir)).every((path) => path.endsWith('.json'))).toBe(true);
    expect((await cli(['apply', dir])).stdout.trim()).toBe('no changes');

    // A chatbot created from files round-trips too.
    expect((await cli(['apply', folder(shopFiles('shop-export'))], { SHOP_TOKEN: 'shop-token-0123456789' })).code).toBe(
      0,
    );
    const again = mkdtempSync(join(work, 'export-'));
    expect((await cli(['export', 'shop-export', again])).code).toBe(0);
    expect(parse(readFileSync(join(again, 'shop-export/chatbot.yaml'), 'utf8')).secrets).toEqual({
      shop_token: { env: 'SHOP_TOKEN', hosts: ['api.shop.test'] },
    });
    expect((await cli(['apply', again])).stdout.trim()).toBe('no changes');
  });

  it('refuses invalid files naming each file and field path, and changes nothing', async () => {
    const action = shopAction();
    const dir = folder({
      'broken/chatbot.yaml': { name: 'Broken', idleTimeoutMinutes: 0, secrets: { token: { env: 'NOT SET' } } },
      'broken/actions/check_order.yaml': {
        ...action,
        colour: 'blue',
        steps: [{ ...action.steps[0], request: { method: 'GET', url: 'ftp://orders.test/{{order_number}}' } }],
      },
      'broken/actions/typo.yaml': 'description: [unclosed\n',
      'broken/action/stray.yaml': { description: 'in the wrong folder' },
    });

    const run = await cli(['apply', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toContain(
      'broken/actions/check_order.yaml: steps[0].request.url: must start with http:// or https://',
    );
    expect(lines).toContain('broken/actions/check_order.yaml: colour: unknown field');
    expect(lines).toContain('broken/chatbot.yaml: idleTimeoutMinutes: must be at least 1 minute');
    expect(lines).toContain('broken/chatbot.yaml: secrets.token.env: must be an environment variable name');
    expect(lines.find((line) => line.startsWith('broken/actions/typo.yaml: not valid YAML:'))).toBeDefined();
    expect(lines.find((line) => line.startsWith('broken/action/stray.yaml: not part of the layout'))).toBeDefined();
    expect(lines.at(-1)).toMatch(/problems; nothing was changed$/);
    await parley.admin('get', '/v1/chatbots/broken').expect(404);

    // A new secret needs its value.
    const unset = await cli(['apply', folder(shopFiles('shop-unset'))]);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(
      "shop-unset/chatbot.yaml: secrets.shop_token.env: SHOP_TOKEN is not set in the environment (the secret's value is needed: new)",
    );
    await parley.admin('get', '/v1/chatbots/shop-unset').expect(404);
  });

  it('runs the test button and prints the request, response, fields and reply; logs then shows the calls', async () => {
    const run = await cli(['test', DEMO_CHATBOT.id, 'check_order_status', '--param', 'order_number=12345']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const out = run.stdout;
    expect(out).toMatch(/^check_order_status \(version 1\): ok/);
    expect(out).toContain('step lookup: ok');
    expect(out).toContain(`  request:  GET ${acmeUrl}/orders/12345`);
    expect(out).toMatch(/\n {12}authorization: \S+/);
    expect(out).not.toContain(DEMO_SECRET.value);
    expect(out).toContain('  response: 200');
    expect(out).toContain('"status": "shipped"');
    expect(out).toContain('  fields:\n            status = "shipped"\n            eta = "2026-11-24"');
    expect(out).toContain('reply:\n  Order 12345 is shipped (ETA 2026-11-24).');

    const failed = await cli(['test', DEMO_CHATBOT.id, 'check_order_status', '-p', 'order_number=99999']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^check_order_status \(version 1\): failed/);
    expect(failed.stdout).toContain('  response: 404');
    expect(failed.stdout).toContain("reply:\n  Sorry, I couldn't find that order. Please check the number.");

    const unknown = await cli(['test', DEMO_CHATBOT.id, 'check_order_status', '-p', 'order=1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--param order: the action has no such parameter (it has order_number)');

    let logs = await cli(['logs', DEMO_CHATBOT.id, 'check_order_status']);
    for (let tries = 0; tries < 20 && !/→ 404/.test(logs.stdout); tries += 1) {
      await new Promise((done) => setTimeout(done, 500));
      logs = await cli(['logs', DEMO_CHATBOT.id, 'check_order_status']);
    }
    expect(logs).toMatchObject({ code: 0, stderr: '' });
    const lines = logs.stdout.trim().split('\n');
    const ok = lines.find((line) => line.includes(`GET ${acmeUrl}/orders/12345 → 200`));
    expect(ok).toMatch(/^\S+Z {2}ok {11}lookup #1 {2}GET .* ms {2}test run$/);
    expect(lines.find((line) => line.includes('/orders/99999 → 404'))).toMatch(/ failed /);
    const json = await cli(['logs', '--json', '--limit', '1', DEMO_CHATBOT.id, 'check_order_status']);
    expect(JSON.parse(json.stdout)).toMatchObject([{ step: 'lookup', outcome: expect.stringMatching(/ok|failed/) }]);
  });

  it("lists a chatbot's recent conversations from Temporal's visibility", async () => {
    const botId = await parley.createChatbot([orderStatusAction(acmeUrl)]);
    const open = await parley.startConversation(botId);
    const closed = await parley.startConversation(botId);
    await closed.close().expect(202);

    let run = await cli(['conversations', botId]);
    for (let tries = 0; tries < 30 && !/completed/.test(run.stdout); tries += 1) {
      await new Promise((done) => setTimeout(done, 500));
      run = await cli(['conversations', botId]);
    }
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = run.stdout.trim().split('\n');
    expect(header).toMatch(/^CONVERSATION +STATUS +MODE +STARTED +CLOSED$/);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.startsWith(open.conversationId))).toMatch(/ running +bot +\S+Z$/);
    expect(rows.find((row) => row.startsWith(closed.conversationId))).toMatch(/ completed +bot +\S+Z +\S+Z$/);

    const limited = await cli(['conversations', '--json', '-n', '1', botId]);
    expect(JSON.parse(limited.stdout)).toHaveLength(1);
    const none = await parley.createChatbot([]);
    expect((await cli(['conversations', none])).stdout.trim()).toBe('no conversations');
    await parley.admin('get', `/v1/chatbots/${botId}/conversations?limit=0`).expect(400);
    await parley.admin('get', `/v1/chatbots/nobody-${randomUUID().slice(0, 8)}/conversations`).expect(404);
  });

  it('says plainly when the API cannot be reached or refuses the key', async () => {
    const gone = createServer();
    const goneUrl = await listen(gone);
    await close(gone);
    const unreachable = await cli(['logs', 'acme', 'check_order_status'], { PARLEY_API: goneUrl });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toBe(
      `parley: cannot reach the Parley API at ${goneUrl} (ECONNREFUSED): is it running? PARLEY_API names where it listens`,
    );

    const wrongKey = await cli(['export', 'acme', work], { PARLEY_ADMIN_KEY: 'not-the-admin-key-at-all' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain(`parley: the Parley API at ${api} refused the admin key: set PARLEY_ADMIN_KEY`);
    const noKey = await cli(['conversations', 'acme'], { PARLEY_ADMIN_KEY: '' });
    expect(noKey.stderr).toContain('needs the admin key: set PARLEY_ADMIN_KEY');

    const badUrl = await cli(['logs', 'acme', 'x'], { PARLEY_API: 'localhost:3000' });
    expect(badUrl.stderr).toContain('parley: PARLEY_API: must be an http:// or https:// URL');
    const missing = await cli(['logs', 'acme', 'no_such_action']);
    expect(missing.stderr.trim()).toBe('parley: action no_such_action not found (404 not_found)');
  });

  it('runs as `npm run parley --` in a clone', async () => {
    const npm = await runProcess('npm', ['run', '--silent', 'parley', '--', 'logs', '-n', '1', 'acme', 'check_stock'], {
      PARLEY_API: api,
      PARLEY_ADMIN_KEY: ADMIN_KEY,
    });
    expect(npm).toMatchObject({ code: 0, stderr: '' });
    expect(npm.stdout.trim()).toBe('no calls logged');
  });
});
