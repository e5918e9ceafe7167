import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema, type ActionDefinitionInput } from '../../shared/actions/action';
import { actionWarnings } from '../../shared/actions/save-warnings';
import {
  allowlistEntryProblem,
  allowlistEntryWarning,
  neverCallableProblem,
  policyBlockWarning,
} from '../../shared/security/destination-checks';
import { ChatbotInputSchema, chatbotWarnings, conversationSettings, type Chatbot } from '../../shared/chatbot';
import { loadConfig } from '../../shared/config';

const production = { allowLoopback: false, allowlist: [] };
const action = (url: string, extra: Partial<ActionDefinitionInput> = {}) =>
  ActionDefinitionSchema.safeParse({
    name: 'probe',
    description: 'Probe',
    steps: [{ id: 'call', request: { method: 'GET', url } }],
    ...extra,
  });

describe('destinations checked on save', () => {
  it.each([
    ['169.254.169.254', /cloud metadata service/],
    ['[fd00:ec2::254]', /cloud metadata service/],
    ['metadata.google.internal', /cloud metadata service/],
    ['0.0.0.0', /unspecified address/],
    ['[::]', /unspecified address/],
  ])('refuses %s, which can never be called', (host, message) => {
    expect(neverCallableProblem(host)).toMatch(message);
    const parsed = action(`http://${host}/latest/meta-data/`);
    expect(parsed.error?.issues[0]?.path).toEqual(['steps', 0, 'request', 'url']);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });

  it('refuses an alert webhook that is not http(s) or can never be called', () => {
    const webhook = (url: string) =>
      action('https://api.example.com/', { alerts: { webhook: url } }).error?.issues[0]?.message;
    expect(webhook('file:///etc/passwd')).toBe('must start with http:// or https:// (not file://)');
    expect(webhook('gopher://127.0.0.1:6379/')).toMatch(/must start with http/);
    expect(webhook('http://169.254.169.254/')).toMatch(/cloud metadata service/);
    expect(webhook('not a url')).toBe('must be a URL');
    expect(webhook('https://hooks.example.com/parley')).toBeUndefined();
  });

  it('warns about loopback and private destinations the current policy refuses, not about what it allows', () => {
    expect(policyBlockWarning('127.0.0.1', production)).toMatch(/loopback.*PARLEY_ALLOW_LOOPBACK=true/);
    expect(policyBlockWarning('localhost', production)).toMatch(/loopback/);
    expect(policyBlockWarning('127.0.0.1', { allowLoopback: true, allowlist: [] })).toBeNull();
    expect(policyBlockWarning('10.0.0.5', production)).toMatch(/private address.*egressAllowlist/);
    expect(policyBlockWarning('10.0.0.5', { allowLoopback: false, allowlist: ['10.0.0.0/8'] })).toBeNull();
    expect(policyBlockWarning('api.example.com', production)).toBeNull();

    const definition = action('http://10.1.2.3/orders', {
      alerts: { webhook: 'http://127.0.0.1:9/hook' },
      steps: [
        {
          id: 'call',
          request: { method: 'POST', url: 'http://10.1.2.3/orders' },
          compensate: { request: { method: 'DELETE', url: 'http://192.168.0.9/orders' } },
        },
      ],
    }).data;
    if (!definition) throw new Error('the definition is valid');
    expect(actionWarnings(definition, production)).toEqual([
      expect.stringMatching(/^steps\[0\]\.request\.url: 10\.1\.2\.3 is a private address/),
      expect.stringMatching(/^steps\[0\]\.compensate\.request\.url: 192\.168\.0\.9 is a private address/),
      expect.stringMatching(/^alerts\.webhook: 127\.0\.0\.1 is a loopback address/),
    ]);
    expect(actionWarnings(definition, { allowLoopback: true, allowlist: ['10.0.0.0/8', '192.168.0.0/16'] })).toEqual(
      [],
    );
  });

  it('refuses allowlist entries that can never open anything, and warns about ones that change nothing', () => {
    for (const entry of ['127.0.0.1', '127.0.0.0/8', '::1', 'localhost', 'api.localhost'])
      expect(allowlistEntryProblem(entry)).toMatch(/loopback, which an allowlist never opens/);
    for (const entry of ['169.254.169.254', 'metadata.google.internal'])
      expect(allowlistEntryProblem(entry)).toMatch(/cloud metadata service/);
    expect(allowlistEntryProblem('0.0.0.0')).toMatch(/unspecified address/);
    expect(allowlistEntryProblem('10.0.0.0/40')).toMatch(/is not a host name/);
    for (const entry of ['10.0.0.0/8', '169.254.0.0/16', 'crm.internal', '*.corp.example', 'fd00::/8'])
      expect(allowlistEntryProblem(entry)).toBeNull();
    expect(allowlistEntryWarning('8.8.8.8')).toMatch(/public address.*changes nothing/);
    expect(allowlistEntryWarning('10.0.0.1')).toBeNull();

    const chatbot = ChatbotInputSchema.safeParse({ name: 'x', egressAllowlist: ['10.0.0.0/8', '127.0.0.1'] });
    expect(chatbot.error?.issues[0]?.path).toEqual(['egressAllowlist', 1]);
    expect(chatbotWarnings({ egressAllowlist: ['10.0.0.0/8', '8.8.8.8'] })).toEqual([
      expect.stringMatching(/^egressAllowlist\[1\]: "8\.8\.8\.8" is a public address/),
    ]);
    expect(() => loadConfig({ PARLEY_EGRESS_ALLOWLIST: '10.0.0.0/8, 169.254.169.254' })).toThrow(
      /PARLEY_EGRESS_ALLOWLIST: "169\.254\.169\.254" is a cloud metadata service/,
    );
  });
});

describe('durations checked on save', () => {
  it('keeps idle timeouts between a minute and a week, in chatbots and configuration', () => {
    const idle = (minutes: number) => ChatbotInputSchema.safeParse({ name: 'x', idleTimeoutMinutes: minutes }).success;
    expect([1e-9, 0.5, 0, -1, 10081].map(idle)).toEqual([false, false, false, false, false]);
    expect([1, 30, 10080].map(idle)).toEqual([true, true, true]);
    expect(() => loadConfig({ PARLEY_IDLE_TIMEOUT_MINUTES: '0.000001' })).toThrow(/PARLEY_IDLE_TIMEOUT_MINUTES/);
    expect(() => loadConfig({ PARLEY_LOG_RETENTION_DAYS: '0.0001' })).toThrow(/PARLEY_LOG_RETENTION_DAYS/);
  });

  it("refuses a step's retry policy whose longest wait is shorter than its first, which Temporal could not schedule", () => {
    const retry = (policy: Record<string, number>) =>
      ActionDefinitionSchema.safeParse({
        name: 'probe',
        description: 'Probe',
        steps: [{ id: 'call', request: { method: 'GET', url: 'https://api.example.com/' }, retry: policy }],
      });
    expect(retry({ initialIntervalMs: 30_000, maxIntervalMs: 1_000 }).error?.issues[0]).toMatchObject({
      path: ['steps', 0, 'retry', 'maxIntervalMs'],
      message: 'must be at least initialIntervalMs (30000)',
    });
    expect(retry({ initialIntervalMs: 30_000 }).data?.steps[0]?.retry.maxIntervalMs).toBe(30_000);
    expect(retry({ initialIntervalMs: 500 }).data?.steps[0]?.retry.maxIntervalMs).toBe(10_000);
  });

  it('clamps an idle timeout saved before the bounds existed', () => {
    const saved = { idleTimeoutMinutes: 1e-9, greeting: null } as Chatbot;
    expect(conversationSettings(saved, 30).idleTimeoutMs).toBe(60_000);
  });
});
