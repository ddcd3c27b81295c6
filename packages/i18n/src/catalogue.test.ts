import { describe, expect, it } from 'vitest';
import { NAMED_SCHEDULES, PROBLEM_CODES, PROBLEM_SEVERITIES, REVIEW_REASONS, RUN_STATUSES, RUN_TRIGGERS } from '@hasad/core';
import { IMPROVEMENT_CODES, IMPROVEMENT_MESSAGES } from '@hasad/quality';
import {
  counted,
  formatBytes,
  formatDateTime,
  improvementText,
  LANGS,
  negotiateLang,
  PROBLEM_TEXTS,
  problemText,
  REVIEW_TEXTS,
  reviewText,
  SCHEDULE_TEXTS,
  scheduleText,
  SEVERITY_TEXTS,
  STATUS_TEXTS,
  TRIGGER_TEXTS,
  type Texts,
} from './index.ts';

/** Every code of every closed set a person reads, from the sets themselves (not a list kept here). */
const SETS: Array<[name: string, codes: readonly string[], texts: Record<string, Texts | undefined>]> = [
  ['problem', PROBLEM_CODES, PROBLEM_TEXTS],
  ['run status', RUN_STATUSES, STATUS_TEXTS],
  ['trigger', RUN_TRIGGERS, TRIGGER_TEXTS],
  ['severity', PROBLEM_SEVERITIES, SEVERITY_TEXTS],
  ['review reason', REVIEW_REASONS, REVIEW_TEXTS],
  ['schedule', NAMED_SCHEDULES, SCHEDULE_TEXTS],
  ['quality improvement', IMPROVEMENT_CODES, IMPROVEMENT_MESSAGES],
];

/** Intl puts narrow no-break spaces where people type spaces; compare with plain ones. */
const sp = (s: string | undefined) => s?.replace(/[\u00a0\u202f]/g, ' ');
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogue', () => {
  it.each(SETS)('gives every %s code a text in French, Arabic and English', (_name, codes, texts) => {
    const missing: string[] = [];
    for (const code of codes) {
      for (const lang of LANGS) {
        const text = Object.hasOwn(texts, code) ? texts[code]?.[lang] : undefined;
        if (typeof text !== 'string' || text.trim() === '') missing.push(`${code} (${lang})`);
      }
      // The same placeholders in every language.
      const t = texts[code];
      if (t) expect(placeholders(t.ar), code).toEqual(placeholders(t.fr));
      if (t) expect(placeholders(t.en), code).toEqual(placeholders(t.fr));
    }
    expect(missing).toEqual([]);
    // No text for a code that no longer exists.
    expect(Object.keys(texts).filter((k) => !codes.includes(k) && k !== 'manual')).toEqual([]);
  });

  it('writes Arabic in Arabic script and French not as English', () => {
    for (const code of PROBLEM_CODES) {
      expect(PROBLEM_TEXTS[code].ar, code).toMatch(/[\u0600-\u06FF]/);
      expect(PROBLEM_TEXTS[code].fr, code).not.toBe(PROBLEM_TEXTS[code].en);
    }
  });

  it('agrees counted nouns with Intl.PluralRules ("1 page", not "1 Pages"; Arabic dual and few)', () => {
    expect(counted('fr', 'pages', 1)).toBe('1 page');
    expect(counted('fr', 'datasets', 1)).toBe('1 jeu de données');
    expect(counted('fr', 'datasets', 2)).toBe('2 jeux de données');
    expect(sp(counted('fr', 'datasets', 1_000_000))).toBe('1 000 000 de jeux de données');
    expect(counted('en', 'records', 1)).toBe('1 record');
    expect(counted('ar', 'records', 1)).toBe('سجل واحد');
    expect(counted('ar', 'records', 2)).toBe('سجلان');
    expect(counted('ar', 'records', 3)).toBe('3 سجلات');
    expect(counted('ar', 'records', 11)).toBe('11 سجلا');
    expect(counted('ar', 'records', 100)).toBe('100 سجل');
  });

  it('formats sizes with Intl.NumberFormat units and times with their zone', () => {
    expect(formatBytes('en', 1_500_000)).toBe('1.5 MB');
    expect(sp(formatBytes('fr', 1_500_000))).toBe('1,5 Mo');
    expect(formatBytes('en', 12)).toBe('12 byte');
    const at = new Date('2026-03-01T10:00:00Z');
    expect(formatDateTime('en', at)).toMatch(/^01\/03\/2026, 1[01]:00:00 GMT\+[01]$/);
    expect(formatDateTime('fr', at, 'UTC')).toBe('01/03/2026 10:00:00 UTC');
  });

  it('describes schedules and review reasons in sentences', () => {
    expect(scheduleText('fr', '6h', 'Africa/Casablanca')).toBe('toutes les 6 heures');
    expect(scheduleText('fr', '1h', 'Africa/Casablanca')).toBe('toutes les heures');
    expect(scheduleText('en', null, 'UTC')).toBe('on demand only');
    expect(scheduleText('ar', 'daily', 'UTC')).toBe('كل يوم');
    expect(scheduleText('en', '0 3 * * 1', 'Africa/Casablanca')).toBe('by the cron expression 0 3 * * 1 (Africa/Casablanca)');
    expect(sp(reviewText('fr', { reason: 'threshold', missing: 1, active: 4, threshold: 0.2 }, 1))).toBe('1 jeu de données sur 4 (25 %) seraient retirés, au-delà du seuil de 20 %.');
    expect(reviewText('en', { reason: 'empty_feed' }, 3)).toBe('The feed lists no dataset any more: 3 datasets would be withdrawn.');
    expect(reviewText('en', { reason: 'threshold' }, 7)).toBe('7 datasets would be withdrawn, above the source’s withdrawal threshold.');
    expect(reviewText('ar', { reason: 'empty_feed', missing: 2 }, 2)).toBe('لم يعد الرابط يذكر أي مجموعة بيانات: سيتم سحب مجموعتا بيانات.');
    expect(reviewText('en', undefined, 3)).toBeUndefined();
  });

  it('gives each code’s sentence, and an unknown code back as it is', () => {
    expect(problemText('fr', 'missing_title')).toContain('titre');
    expect(problemText('en', 'made_up_code')).toBe('made_up_code');
    expect(improvementText('ar', 'add_keywords')).toContain('كلمات');
  });

  it('negotiates Accept-Language', () => {
    expect(negotiateLang('ar-MA,ar;q=0.9,fr;q=0.8')).toBe('ar');
    expect(negotiateLang('de-DE, en;q=0.5, fr;q=0.4')).toBe('en');
    expect(negotiateLang('de')).toBe('fr');
    expect(negotiateLang('en;q=0, ar;q=0.1')).toBe('ar');
    expect(negotiateLang(undefined, 'en')).toBe('en');
    expect(negotiateLang('*')).toBe('fr');
  });
});
