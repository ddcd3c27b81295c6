import { describe, expect, it } from 'vitest';
import { FetchRefusedError } from '@hasad/core';
import { blockedAddressReason, vetUrl, vettingLookup } from './address-policy.ts';

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.10', /private/],
    ['169.254.169.254', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.254', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['febf::1', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped.*loopback/],
    ['::ffff:7f00:1', /IPv4-mapped.*loopback/],
    ['::ffff:10.0.0.1', /IPv4-mapped.*private/],
    ['::ffff:169.254.169.254', /IPv4-mapped.*link-local/],
    ['64:ff9b::10.0.0.1', /NAT64.*private/],
  ])('refuses %s', (ip, reason) => {
    expect(blockedAddressReason(ip)).toMatch(reason);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '193.51.24.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2a00:1450:4007:80e::200e'])(
    'allows public %s',
    (ip) => {
      expect(blockedAddressReason(ip)).toBeUndefined();
    },
  );
});

describe('vetUrl', () => {
  it('refuses schemes other than http and https', async () => {
    await expect(vetUrl('ftp://example.org/catalog.ttl', true)).rejects.toThrow(/scheme "ftp" is not allowed/);
    await expect(vetUrl('file:///etc/passwd', true)).rejects.toBeInstanceOf(FetchRefusedError);
  });

  it('refuses loopback literals and names that resolve to loopback', async () => {
    await expect(vetUrl('http://127.0.0.1:8080/x', false)).rejects.toThrow(/loopback/);
    await expect(vetUrl('http://[::1]/x', false)).rejects.toThrow(/loopback/);
    await expect(vetUrl('http://localhost/x', false)).rejects.toThrow(/localhost resolves to .*loopback/);
  });

  it('lets private hosts through when allowed (dev, demo, tests)', async () => {
    await expect(vetUrl('http://127.0.0.1/x', true)).resolves.toEqual([]);
  });

  it('refuses credentials in the URL', async () => {
    await expect(vetUrl('https://user:secret@example.org/', true)).rejects.toThrow(/credentials/);
  });
});

describe('vettingLookup (connect-time check against DNS rebinding)', () => {
  it('fails the connection when the name now resolves to a private address', async () => {
    const err = await new Promise<unknown>((resolve) => vettingLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect(String((err as Error).message)).toMatch(/loopback/);
  });
});
