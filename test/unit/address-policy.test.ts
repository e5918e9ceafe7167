import { describe, expect, it } from 'vitest';
import {
  blockedReason,
  checkAddress,
  checkHost,
  isAllowlistEntry,
  isMetadataHost,
  type BlockReason,
  type EgressPolicy,
} from '../../shared/security/address-policy';
import { cidrContains, parseHost } from '../../shared/security/ip-address';
import { assertSecretHostAllowed, SecretHostError } from '../../shared/security/secret-hosts';

const strict: EgressPolicy = { allowLoopback: false, allowlist: [] };

describe('parseHost', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.0.0.0x1', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['127.0.0.%31', '127.0.0.1'],
    ['１２７．０．０．１', '127.0.0.1'],
    ['127。0。0。1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
  ])('reads the IPv4 spelling %s as %s, like WHATWG URL and inet_aton', (host, address) => {
    expect(parseHost(host)).toEqual({ kind: 'ipv4', address });
    expect(new URL(`http://${host}/`).hostname).toBe(address);
  });

  it.each([
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::FFFF:7F00:1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[64:ff9b::127.0.0.1]', '64:ff9b::7f00:1'],
    ['[2001:0db8:0000:0000:0001:0000:0000:0001]', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[1:2:3:4:5:6:7:8]', '1:2:3:4:5:6:7:8'],
  ])('reads the IPv6 spelling %s as %s', (host, address) => {
    expect(parseHost(host)).toEqual({ kind: 'ipv6', address });
  });

  it.each([
    ['Example.COM.', 'example.com'],
    ['localhost', 'localhost'],
    ['1.2.3.09', '1.2.3.09'],
    ['1.2.3.4.5', '1.2.3.4.5'],
    ['0x100000000', '0x100000000'],
    ['256.0.0.1', '256.0.0.1'],
    ['[1:2:3]', '1:2:3'],
  ])('leaves %s to the resolver as the name %s', (host, name) => {
    expect(parseHost(host)).toEqual({ kind: 'name', host: name });
  });
});

describe('blockedReason', () => {
  const cases: [string, BlockReason | null][] = [
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['2606:4700:4700::1111', null],
    ['64:ff9b::808:808', null],
    ['::ffff:808:808', null],
    ['2002:808:808::1', null],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['0.1.2.3', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['::7f00:1', 'ipv4_mapped'],
    ['::ffff:0:7f00:1', 'ipv4_mapped'],
    ['64:ff9b:1::a00:1', 'nat64'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['2001:2::1', 'benchmarking'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['example.com', 'invalid'],
  ];
  it.each(cases)('classifies %s as %s', (ip, reason) => {
    expect(blockedReason(ip)).toBe(reason);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['192.168.1.0/25', '192.168.1.127', true],
    ['192.168.1.0/25', '192.168.1.128', false],
    ['10.1.2.3/8', '10.9.9.9', true],
    ['10.0.0.5', '10.0.0.5', true],
    ['10.0.0.5', '10.0.0.6', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['fc00::/7', 'fd00::1', true],
    ['fc00::/7', 'fe00::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['fd00:ec2::254', 'fd00:ec2:0:0::254', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['::ffff:0:0/96', '1.2.3.4', true],
    ['10.0.0.0/8', '0xa.1', true],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });

  it.each(['10.0.0.0/33', '10.0.0/8', '10/8', 'fd00::/129', 'example.com/8', '10.0.0.0/8/8'])(
    'treats the malformed CIDR %s as matching nothing',
    (cidr) => {
      expect(cidrContains(cidr, '10.0.0.1')).toBe(false);
    },
  );
});

describe('checkAddress', () => {
  it('allows public addresses and blocks loopback unless the policy opens it', () => {
    expect(checkAddress('93.184.216.34', 'example.com', strict)).toEqual({ ok: true });
    expect(checkAddress('127.0.0.1', 'localhost', strict)).toEqual({ ok: false, reason: 'loopback' });
    expect(checkAddress('::1', 'localhost', { allowLoopback: true, allowlist: [] })).toEqual({ ok: true });
    expect(checkAddress('::ffff:127.0.0.1', 'localhost', { allowLoopback: true, allowlist: [] })).toEqual({ ok: true });
  });

  it('opens private destinations named by the allowlist as a CIDR, an IP, a host or a wildcard', () => {
    expect(checkAddress('10.1.2.3', 'api.corp', { allowLoopback: false, allowlist: ['10.0.0.0/8'] })).toEqual({
      ok: true,
    });
    expect(checkAddress('fd12::1', 'api.corp', { allowLoopback: false, allowlist: ['fd12::/16'] })).toEqual({
      ok: true,
    });
    expect(checkAddress('192.168.1.9', 'x', { allowLoopback: false, allowlist: ['192.168.1.9'] })).toEqual({
      ok: true,
    });
    expect(
      checkAddress('10.1.2.3', 'crm.corp.example', { allowLoopback: false, allowlist: ['crm.corp.example'] }),
    ).toEqual({ ok: true });
    expect(
      checkAddress('10.1.2.3', 'a.b.corp.example', { allowLoopback: false, allowlist: ['*.corp.example'] }),
    ).toEqual({ ok: true });
    expect(checkAddress('10.1.2.3', 'corp.example', { allowLoopback: false, allowlist: ['*.corp.example'] })).toEqual({
      ok: false,
      reason: 'private',
    });
    expect(
      checkAddress('10.1.2.3', 'evilcorp.example', { allowLoopback: false, allowlist: ['*.corp.example'] }),
    ).toEqual({ ok: false, reason: 'private' });
    expect(checkAddress('10.1.2.3', 'api.corp', { allowLoopback: false, allowlist: ['10.9.0.0/16'] })).toEqual({
      ok: false,
      reason: 'private',
    });
  });

  it('never opens metadata addresses or names, even when allowlisted', () => {
    const open: EgressPolicy = {
      allowLoopback: true,
      allowlist: ['169.254.0.0/16', '169.254.169.254', 'fd00::/8', '100.64.0.0/10', 'metadata.google.internal'],
    };
    expect(checkAddress('169.254.169.254', 'x', open)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkAddress('::ffff:169.254.169.254', 'x', open)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkAddress('fd00:ec2::254', 'x', open)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkAddress('100.100.100.200', 'x', open)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkAddress('10.0.0.1', 'metadata.google.internal', open)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkAddress('169.254.1.1', 'x', open)).toEqual({ ok: true });
  });

  it('does not let the allowlist open loopback or the unspecified address', () => {
    const policy: EgressPolicy = { allowLoopback: false, allowlist: ['127.0.0.0/8', '0.0.0.0/8', 'localhost'] };
    expect(checkAddress('127.0.0.1', 'localhost', policy)).toEqual({ ok: false, reason: 'loopback' });
    expect(checkAddress('0.0.0.0', 'x', { allowLoopback: true, allowlist: ['0.0.0.0/8'] })).toEqual({
      ok: false,
      reason: 'unspecified',
    });
  });

  it('refuses text that is not an address', () => {
    expect(checkAddress('not-an-ip', 'x', strict)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('checkHost', () => {
  it('decides IP literals in any spelling and metadata names before resolution, and defers other names', () => {
    expect(checkHost('0x7f.1', strict)).toEqual({ ok: false, reason: 'loopback' });
    expect(checkHost('[::ffff:a9fe:a9fe]', strict)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkHost('metadata.google.internal.', strict)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkHost('METADATA', strict)).toEqual({ ok: false, reason: 'metadata' });
    expect(checkHost('api.example.com', strict)).toEqual({ ok: true });
    expect(isMetadataHost('instance-data.ec2.internal')).toBe(true);
  });
});

describe('isAllowlistEntry', () => {
  it.each(['10.0.0.0/8', 'fd00::/8', '192.168.1.5', 'crm.corp.example', '*.corp.example', 'intranet'])(
    'accepts %s',
    (entry) => {
      expect(isAllowlistEntry(entry)).toBe(true);
    },
  );
  it.each(['', '*', 'http://x', 'a b', '10.0.0.0/40', '*.*.x'])('rejects %s', (entry) => {
    expect(isAllowlistEntry(entry)).toBe(false);
  });
});

describe('assertSecretHostAllowed', () => {
  const bindings = { crm_token: ['api.crm.example', '*.crm-eu.example'], open_key: undefined, nowhere: [] };

  it('lets a secret go to the hosts it is bound to', () => {
    expect(() => assertSecretHostAllowed('crm_token', bindings, 'https://API.crm.example./v1?q=1')).not.toThrow();
    expect(() => assertSecretHostAllowed('crm_token', bindings, 'https://fra.crm-eu.example/v1')).not.toThrow();
  });

  it('refuses any other host a template could render, naming the secret and the host', () => {
    expect(() => assertSecretHostAllowed('crm_token', bindings, 'https://api.crm.example.evil.test/')).toThrow(
      SecretHostError,
    );
    expect(() => assertSecretHostAllowed('crm_token', bindings, 'https://evil.test/?u=api.crm.example')).toThrow(
      'secret "crm_token" may not be sent to evil.test',
    );
    expect(() => assertSecretHostAllowed('crm_token', bindings, 'https://crm-eu.example/')).toThrow(SecretHostError);
  });

  it('leaves a secret without bindings unrestricted and sends a secret bound to no host nowhere', () => {
    expect(() => assertSecretHostAllowed('open_key', bindings, 'https://anything.example/')).not.toThrow();
    expect(() => assertSecretHostAllowed('unlisted', bindings, 'https://anything.example/')).not.toThrow();
    expect(() => assertSecretHostAllowed('nowhere', bindings, 'https://anything.example/')).toThrow(SecretHostError);
  });

  it("compares ports: an entry without one means the scheme's default, an entry with one only that port", () => {
    const portBindings = { key: ['127.0.0.1', 'api.crm.example:8443'] };
    expect(() => assertSecretHostAllowed('key', portBindings, 'http://127.0.0.1/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', portBindings, 'https://127.0.0.1:443/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', portBindings, 'http://127.0.0.1:18080/')).toThrow(
      'secret "key" may not be sent to 127.0.0.1:18080',
    );
    expect(() => assertSecretHostAllowed('key', portBindings, 'http://127.0.0.1:443/')).toThrow(SecretHostError);
    expect(() => assertSecretHostAllowed('key', portBindings, 'https://api.crm.example:8443/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', portBindings, 'https://api.crm.example/')).toThrow(SecretHostError);
    expect(() => assertSecretHostAllowed('key', portBindings, 'https://api.crm.example:8444/')).toThrow(
      SecretHostError,
    );
  });

  it('compares the scheme when an entry names one', () => {
    const pinned = { key: ['https://pay.example', 'http://[fd00::1]:8080'] };
    expect(() => assertSecretHostAllowed('key', pinned, 'https://pay.example/charge')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', pinned, 'http://pay.example/charge')).toThrow(
      'may not be sent to pay.example:80',
    );
    expect(() => assertSecretHostAllowed('key', pinned, 'http://[fd00:0::1]:8080/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', pinned, 'https://[fd00::1]:8080/')).toThrow(SecretHostError);
  });

  it('compares IP hosts by address, whatever their spelling', () => {
    const ipBindings = { key: ['10.0.0.5', '[fd00::1]'] };
    expect(() => assertSecretHostAllowed('key', ipBindings, 'http://0xa.0.0.5/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', ipBindings, 'http://[fd00:0::1]/')).not.toThrow();
    expect(() => assertSecretHostAllowed('key', ipBindings, 'http://10.0.0.6/')).toThrow(SecretHostError);
  });
});
