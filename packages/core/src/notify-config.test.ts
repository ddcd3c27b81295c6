import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('notification settings', () => {
  it('default to nothing configured and a streak of 3', () => {
    const c = loadConfig({});
    expect(c.HASAD_SMTP_URL).toBeUndefined();
    expect(c.HASAD_NOTIFY_OPERATOR_EMAILS).toEqual([]);
    expect(c.HASAD_NOTIFY_WEBHOOK_URL).toBeUndefined();
    expect(c.HASAD_NOTIFY_FAILURE_STREAK).toBe(3);
  });

  it('read the operator addresses as a list and name a bad one', () => {
    expect(loadConfig({ HASAD_NOTIFY_OPERATOR_EMAILS: ' ops@data.gov.ma, astreinte@data.gov.ma ' }).HASAD_NOTIFY_OPERATOR_EMAILS).toEqual(['ops@data.gov.ma', 'astreinte@data.gov.ma']);
    expect(() => loadConfig({ HASAD_NOTIFY_OPERATOR_EMAILS: 'ops@data.gov.ma, nobody' })).toThrow(/HASAD_NOTIFY_OPERATOR_EMAILS.*not an e-mail address/s);
  });

  it('refuse an unsigned operators webhook, two ways to name the SMTP server, and a non-SMTP URL', () => {
    expect(() => loadConfig({ HASAD_NOTIFY_WEBHOOK_URL: 'https://ops.example.ma/hook' })).toThrow(/HASAD_NOTIFY_WEBHOOK_SECRET: required with HASAD_NOTIFY_WEBHOOK_URL/);
    expect(() => loadConfig({ HASAD_NOTIFY_WEBHOOK_URL: 'https://ops.example.ma/hook', HASAD_NOTIFY_WEBHOOK_SECRET: 'short' })).toThrow(/at least 16 characters/);
    expect(() => loadConfig({ HASAD_SMTP_URL: 'smtp://mail.example.ma', HASAD_SMTP_HOST: 'mail.example.ma' })).toThrow(/set one or the other/);
    expect(() => loadConfig({ HASAD_SMTP_URL: 'https://mail.example.ma' })).toThrow(/expected smtp:\/\/… or smtps:\/\/…/);
    expect(loadConfig({ HASAD_SMTP_URL: 'smtps://u:p@mail.example.ma:465', HASAD_NOTIFY_FAILURE_STREAK: '5' })).toMatchObject({ HASAD_SMTP_URL: 'smtps://u:p@mail.example.ma:465', HASAD_NOTIFY_FAILURE_STREAK: 5 });
  });
});
