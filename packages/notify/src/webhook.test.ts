import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook.ts';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret-of-the-ministry';
  const body = JSON.stringify({ id: 'failure_streak-1', kind: 'failure_streak', source: { title: 'Catalogue « eau » — الماء' } });
  const now = Date.parse('2026-11-27T12:00:00Z');
  const ts = now / 1000;

  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, as a receiver recomputes it with any library', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex');
    expect(signWebhook(secret, ts, body)).toBe(`sha256=${expected}`);
  });

  it('verifies the genuine delivery and refuses a changed body, another secret, or an old timestamp', () => {
    const signature = signWebhook(secret, ts, body);
    expect(verifyWebhook(secret, { signature, timestamp: String(ts) }, body, { now })).toBe(true);
    expect(verifyWebhook(secret, { signature, timestamp: String(ts) }, body.replace('failure_streak-1', 'failure_streak-2'), { now })).toBe(false);
    expect(verifyWebhook('another-secret-entirely', { signature, timestamp: String(ts) }, body, { now })).toBe(false);
    expect(verifyWebhook(secret, { signature, timestamp: String(ts + 1) }, body, { now })).toBe(false);
    expect(verifyWebhook(secret, { signature, timestamp: String(ts) }, body, { now: now + 10 * 60_000 })).toBe(false);
    expect(verifyWebhook(secret, { timestamp: String(ts) }, body, { now })).toBe(false);
  });

  it('new secrets are distinct, prefixed and carry 256 bits', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
