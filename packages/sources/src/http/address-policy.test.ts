import { describe, expect, it } from 'vitest';
import { FetchRefusedError } from '@hasad/core';
import { blockedAddressReason, compilePolicy, vetUrl, vettingLookup, vettingLookupFor } from './address-policy.ts';

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
    ['64:ff9b::a9fe:a9fe', /NAT64 address \(64:ff9b::\/96\) of 169\.254\.169\.254, which is link-local/],
    ['64:ff9b:1::7f00:1', /local-use NAT64.*127\.0\.0\.1, which is loopback/],
    ['2002:7f00:1::', /6to4 address \(2002::\/16\) of 127\.0\.0\.1, which is loopback/],
    ['2002:a9fe:a9fe::1', /6to4.*169\.254\.169\.254.*link-local/],
    ['2002:c0a8:101::1', /6to4.*192\.168\.1\.1.*private \(192\.168\.0\.0\/16\)/],
    ['::127.0.0.1', /IPv4-compatible.*loopback/],
    ['fc00::1', /private \(fc00::\/7\)/],
    // Special-purpose ranges the hand-written table missed (issue 11), now ipaddr.js's classification.
    ['::ffff:0:7f00:1', /IPv4-translated IPv6 address \(::ffff:0:0:0\/96\) of 127\.0\.0\.1, which is loopback/],
    ['::ffff:0:a9fe:a9fe', /IPv4-translated.*169\.254\.169\.254.*link-local/],
    ['192.0.2.10', /reserved.*\(192\.0\.2\.0\/24\)/],
    ['198.51.100.7', /reserved.*\(198\.51\.100\.0\/24\)/],
    ['203.0.113.9', /reserved.*\(203\.0\.113\.0\/24\)/],
    ['192.88.99.1', /reserved/],
    ['240.1.2.3', /reserved.*\(240\.0\.0\.0\/4\)/],
    ['2001:db8::1', /reserved.*2001:db8::\/32/],
    ['100::1', /discard-only \(100::\/64\)/],
    ['2001::1', /Teredo/],
    ['2001:2::1', /benchmarking/],
    ['2001:20::1', /ORCHIDv2/],
    ['5f00::1', /segment routing/],
    ['fec0::1', /site-local/],
    ['fe80::1%eth0', /link-local/],
  ])('refuses %s', (ip, reason) => {
    expect(blockedAddressReason(ip)).toMatch(reason);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '193.51.24.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2a00:1450:4007:80e::200e', '2002:808:808::1', '64:ff9b::808:808', '::ffff:0:808:808', '41.214.176.1', '2c0f:fc89::1'])(
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

  it('names the rule: 169.254.169.254 is link-local, which covers cloud metadata endpoints', async () => {
    await expect(vetUrl('http://169.254.169.254/latest/meta-data/iam/', false)).rejects.toThrow(
      'refused to fetch http://169.254.169.254/latest/meta-data/iam/: address 169.254.169.254 is link-local (169.254.0.0/16), which covers cloud metadata endpoints; private and loopback hosts are not allowed',
    );
    await expect(vetUrl('http://[::ffff:169.254.169.254]/', false)).rejects.toThrow(/IPv4-mapped.*169\.254\.169\.254, which is link-local/);
    await expect(vetUrl('http://[fd00:ec2::254]/', false)).rejects.toThrow(/fd00:ec2::254 is unique-local/);
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

describe('allow-list (HASAD_ALLOW_HOSTS)', () => {
  const policy = (...allowHosts: string[]) => compilePolicy({ allowPrivateHosts: false, allowHosts });

  it('allows an address, or a block, on any port unless the entry names one', async () => {
    await expect(vetUrl('http://127.0.0.1:8080/x', policy('127.0.0.1'))).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(vetUrl('http://10.1.2.3/x', policy('10.0.0.0/8'))).resolves.toHaveLength(1);
    await expect(vetUrl('http://127.0.0.1:8080/x', policy('127.0.0.1:8080'))).resolves.toHaveLength(1);
    await expect(vetUrl('http://127.0.0.1:9090/x', policy('127.0.0.1:8080'))).rejects.toThrow(/loopback.*the allow-list covers it only on port 8080/);
    await expect(vetUrl('http://127.0.0.1/x', policy('127.0.0.1:80'))).resolves.toHaveLength(1);
    await expect(vetUrl('https://127.0.0.1/x', policy('127.0.0.1:80'))).rejects.toThrow(/only on port 80/);
  });

  it('reads IPv6 entries with and without brackets and ports', async () => {
    await expect(vetUrl('http://[::1]:8080/', policy('::1'))).resolves.toHaveLength(1);
    await expect(vetUrl('http://[::1]:8080/', policy('[::1]:8080'))).resolves.toHaveLength(1);
    await expect(vetUrl('http://[::1]:8081/', policy('[::1]:8080'))).rejects.toThrow(/::1 is loopback/);
    await expect(vetUrl('http://[fd12::5]/', policy('fd00::/8'))).resolves.toHaveLength(1);
    await expect(vetUrl('http://[fe80::5]/', policy('fd00::/8'))).rejects.toThrow(/link-local/);
  });

  it('covers only what it lists: 127.0.0.1 does not open 127.0.0.2, ::1, the IPv4-mapped form or 169.254.169.254', async () => {
    const p = policy('127.0.0.1');
    await expect(vetUrl('http://127.0.0.2/', p)).rejects.toThrow(/127\.0\.0\.2 is loopback/);
    await expect(vetUrl('http://[::1]/', p)).rejects.toThrow(/::1 is loopback/);
    await expect(vetUrl('http://[::ffff:127.0.0.1]/', p)).rejects.toThrow(/IPv4-mapped/);
    await expect(vetUrl('http://169.254.169.254/', p)).rejects.toThrow(/link-local/);
  });

  it('an address entry covers names resolving to it; a name entry covers the name whatever it resolves to', async () => {
    await expect(vetUrl('http://localhost:8080/', policy('127.0.0.1:8080'))).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(vetUrl('http://localhost:8080/', policy('localhost'))).resolves.toEqual([]);
    await expect(vetUrl('http://LOCALHOST.:8080/', policy('localhost:8080'))).resolves.toEqual([]);
    await expect(vetUrl('http://localhost:8081/', policy('localhost:8080'))).rejects.toThrow(/localhost resolves to 127\.0\.0\.1/);
  });

  it('the connect-time check knows the port being connected to', async () => {
    const lookup = (port: number) =>
      new Promise<unknown>((resolve) => vettingLookupFor(policy('127.0.0.1:8080'), port)('localhost', { all: true }, (err, addrs) => resolve(err ?? addrs)));
    expect(await lookup(8080)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await lookup(9090)).toBeInstanceOf(FetchRefusedError);
  });

  it('refuses an entry it cannot read', () => {
    expect(() => policy('127.0.0.1:99999')).toThrow(/bad port/);
    expect(() => policy('10.0.0.0/40')).toThrow(/not an IP address or CIDR block/);
    expect(() => policy('http://x/')).toThrow(/allow-list entry "http:\/\/x\/"/);
    expect(() => policy('exa mple')).toThrow(/expected a host name/);
  });
});
