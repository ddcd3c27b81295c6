import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { allowHostEntryProblem, fetchSettings, loadConfig } from './config.ts';

describe('fetch settings', () => {
  it('defaults: 200 MiB per page, 5 redirects, 2 requests at once and 5 per second per host, no allow-list', () => {
    const s = fetchSettings(loadConfig({}));
    expect(s).toMatchObject({
      allowPrivateHosts: false,
      allowHosts: [],
      maxBytes: 200 * 1024 * 1024,
      maxRedirects: 5,
      connectTimeoutMs: 10_000,
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
      deadlineMs: 600_000,
      hostConcurrency: 2,
      hostRequestsPerSecond: 5,
    });
    // The bench's unpaged catalogue (142 MB) must still fit.
    expect(s.maxBytes).toBeGreaterThan(142_000_000);
  });

  it('reads the allow-list and separate header and body timeouts', () => {
    const s = fetchSettings(
      loadConfig({ HASAD_ALLOW_HOSTS: ' 127.0.0.1:8080, [::1]:8080 ,::1,10.0.0.0/8,fd00::/8,feeds.local,feeds.local:8443,', HASAD_FETCH_HEADERS_TIMEOUT_MS: '5000', HASAD_FETCH_BODY_TIMEOUT_MS: '7000' }),
    );
    expect(s.allowHosts).toEqual(['127.0.0.1:8080', '[::1]:8080', '::1', '10.0.0.0/8', 'fd00::/8', 'feeds.local', 'feeds.local:8443']);
    expect(s).toMatchObject({ headersTimeoutMs: 5000, bodyTimeoutMs: 7000 });
  });

  it('lists every bad allow-list entry', () => {
    let err: unknown;
    try {
      loadConfig({ HASAD_ALLOW_HOSTS: '127.0.0.1:99999,10.0.0.0/33,http://x/,ok.example', HASAD_HOST_CONCURRENCY: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('"127.0.0.1:99999"');
    expect(msg).toContain('"10.0.0.0/33"');
    expect(msg).toContain('"http://x/"');
    expect(msg).not.toContain('"ok.example"');
    expect(msg).toContain('HASAD_HOST_CONCURRENCY');
  });

  it.each(['localhost', 'localhost.', '127.0.0.1', '::1', '[::1]', '[::1]:80', '192.168.0.0/16', 'a-b.example.ma:443'])('accepts %s', (e) => {
    expect(allowHostEntryProblem(e)).toBeUndefined();
  });
  it.each(['[127.0.0.1]', 'exa mple', '-x.example', 'host:', '10.0.0.1/8:80', '*'])('refuses %s', (e) => {
    expect(allowHostEntryProblem(e)).toBeDefined();
  });
});
