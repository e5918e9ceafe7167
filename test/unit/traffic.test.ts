import { describe, expect, it } from 'vitest';
import { clientAddressKey, parseTrustProxy, retryAfterSeconds } from '../../shared/security/traffic';

describe('client addresses for start limits', () => {
  it('counts an IPv4 address as it is, also written IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every IPv6 address of one /64 as one client, however it is written', () => {
    expect(clientAddressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(clientAddressKey('2001:db8:1:2::1'));
  });

  it('puts a request without an address under one shared key', () => {
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});

describe('PARLEY_TRUST_PROXY', () => {
  it('is off unless set, takes a hop count, addresses, CIDRs and Express names', () => {
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8, fd00::/8, 192.0.2.1')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.1',
    ]);
  });

  it('refuses true (any client could pick its address), hop counts out of range and names', () => {
    expect(parseTrustProxy('true')).toMatchObject({ problem: expect.stringMatching(/number of proxies/) });
    expect(parseTrustProxy('0')).toMatchObject({ problem: expect.any(String) });
    expect(parseTrustProxy('10.0.0.0/40')).toMatchObject({ problem: expect.any(String) });
    expect(parseTrustProxy('lb.internal')).toMatchObject({ problem: expect.any(String) });
  });
});

describe('Retry-After', () => {
  it('says whole seconds, at least one', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(59_000)).toBe(59);
  });
});
