import {
  isProblemCode,
  NAMED_SCHEDULES,
  type NamedSchedule,
  type ProblemCode,
  type PROBLEM_SEVERITIES,
  type ReviewReason,
  type RunStatus,
  type RunTrigger,
} from '@hasad/core';
import { IMPROVEMENT_MESSAGES, type ImprovementCode } from '@hasad/quality';
import { formatNumber, formatPercent, plural, type PluralForms } from './format.ts';
import type { Lang, Texts } from './lang.ts';
import { PROBLEM_TEXTS } from './problems.ts';

export type Severity = (typeof PROBLEM_SEVERITIES)[number];

export const STATUS_TEXTS: Record<RunStatus, Texts> = {
  queued: { fr: 'en file', ar: 'في الطابور', en: 'queued' },
  running: { fr: 'en cours', ar: 'جار', en: 'running' },
  succeeded: { fr: 'réussie', ar: 'ناجحة', en: 'succeeded' },
  unchanged: { fr: 'inchangée', ar: 'دون تغيير', en: 'unchanged' },
  needs_review: { fr: 'à examiner', ar: 'تحتاج مراجعة', en: 'needs review' },
  failed: { fr: 'échouée', ar: 'فاشلة', en: 'failed' },
  cancelled: { fr: 'annulée', ar: 'ملغاة', en: 'cancelled' },
};

/** The statuses as `status.<code>` → [fr, ar, en], for label tables keyed that way (the dashboard's). */
export const RUN_STATUSES_TEXTS = Object.fromEntries(
  Object.entries(STATUS_TEXTS).map(([k, v]) => [`status.${k}`, [v.fr, v.ar, v.en] as const]),
) as Record<`status.${RunStatus}`, readonly [string, string, string]>;

export const TRIGGER_TEXTS: Record<RunTrigger, Texts> = {
  schedule: { fr: 'planifiée', ar: 'مجدولة', en: 'scheduled' },
  manual: { fr: 'à la demande', ar: 'بطلب', en: 'on demand' },
  repair: { fr: 'reprise automatique', ar: 'استئناف تلقائي', en: 'automatic repair' },
  demo: { fr: 'démonstration', ar: 'عرض توضيحي', en: 'demo' },
};

export const SEVERITY_TEXTS: Record<Severity, Texts> = {
  error: { fr: 'erreur', ar: 'خطأ', en: 'error' },
  warning: { fr: 'avertissement', ar: 'تنبيه', en: 'warning' },
  info: { fr: 'information', ar: 'معلومة', en: 'information' },
};

/**
 * Why a run waits for review. `{n}` datasets would be withdrawn out of `{active}`; `{share}`
 * and `{threshold}` are percentages. The count is spelt by {@link datasetsText}.
 */
export const REVIEW_TEXTS: Record<ReviewReason, Texts> = {
  empty_feed: {
    fr: 'Le flux ne liste plus aucun jeu de données : {datasets} seraient retirés.',
    ar: 'لم يعد الرابط يذكر أي مجموعة بيانات: سيتم سحب {datasets}.',
    en: 'The feed lists no dataset any more: {datasets} would be withdrawn.',
  },
  threshold: {
    fr: '{datasets} sur {active} ({share}) seraient retirés, au-delà du seuil de {threshold}.',
    ar: 'سيتم سحب {datasets} من أصل {active} ({share})، أي فوق العتبة {threshold}.',
    en: '{datasets} of {active} ({share}) would be withdrawn, above the {threshold} threshold.',
  },
};

const SCHEDULE_TEXTS_HOURLY: Texts = { fr: 'toutes les heures', ar: 'كل ساعة', en: 'every hour' };
const SCHEDULE_TEXTS_DAILY: Texts = { fr: 'tous les jours', ar: 'كل يوم', en: 'every day' };

const THRESHOLD_NO_FIGURES: Texts = {
  fr: '{datasets} seraient retirés, au-delà du seuil de retrait de la source.',
  ar: 'سيتم سحب {datasets}، أي فوق عتبة السحب الخاصة بالمصدر.',
  en: '{datasets} would be withdrawn, above the source’s withdrawal threshold.',
};

/** Named schedules; intervals and cron expressions are described by {@link scheduleText}. */
export const SCHEDULE_TEXTS: Record<NamedSchedule | 'manual', Texts> = {
  hourly: SCHEDULE_TEXTS_HOURLY,
  daily: SCHEDULE_TEXTS_DAILY,
  weekly: { fr: 'toutes les semaines', ar: 'كل أسبوع', en: 'every week' },
  monthly: { fr: 'le 1er de chaque mois à 03:00', ar: 'في اليوم الأول من كل شهر على الساعة 03:00', en: 'on the 1st of each month at 03:00' },
  manual: { fr: 'à la demande seulement', ar: 'بالطلب فقط', en: 'on demand only' },
};

/** Counted nouns, by CLDR plural category (Arabic has six). */
export const COUNTED: Record<'datasets' | 'records' | 'pages' | 'problems' | 'minutes' | 'hours' | 'days' | 'seconds', Record<Lang, PluralForms>> = {
  datasets: {
    fr: { one: '{n} jeu de données', many: '{n} de jeux de données', other: '{n} jeux de données' },
    ar: { zero: 'لا مجموعة بيانات', one: 'مجموعة بيانات واحدة', two: 'مجموعتا بيانات', few: '{n} مجموعات بيانات', many: '{n} مجموعة بيانات', other: '{n} مجموعة بيانات' },
    en: { one: '{n} dataset', other: '{n} datasets' },
  },
  records: {
    fr: { one: '{n} enregistrement', many: '{n} d’enregistrements', other: '{n} enregistrements' },
    ar: { zero: 'لا سجل', one: 'سجل واحد', two: 'سجلان', few: '{n} سجلات', many: '{n} سجلا', other: '{n} سجل' },
    en: { one: '{n} record', other: '{n} records' },
  },
  pages: {
    fr: { one: '{n} page', many: '{n} de pages', other: '{n} pages' },
    ar: { zero: 'لا صفحة', one: 'صفحة واحدة', two: 'صفحتان', few: '{n} صفحات', many: '{n} صفحة', other: '{n} صفحة' },
    en: { one: '{n} page', other: '{n} pages' },
  },
  problems: {
    fr: { one: '{n} problème', many: '{n} de problèmes', other: '{n} problèmes' },
    ar: { zero: 'لا مشكلة', one: 'مشكلة واحدة', two: 'مشكلتان', few: '{n} مشاكل', many: '{n} مشكلة', other: '{n} مشكلة' },
    en: { one: '{n} problem', other: '{n} problems' },
  },
  seconds: {
    fr: { one: '{n} seconde', other: '{n} secondes' },
    ar: { zero: 'لا ثانية', one: 'ثانية واحدة', two: 'ثانيتان', few: '{n} ثوان', many: '{n} ثانية', other: '{n} ثانية' },
    en: { one: '{n} second', other: '{n} seconds' },
  },
  minutes: {
    fr: { one: '{n} minute', other: '{n} minutes' },
    ar: { zero: 'لا دقيقة', one: 'دقيقة واحدة', two: 'دقيقتان', few: '{n} دقائق', many: '{n} دقيقة', other: '{n} دقيقة' },
    en: { one: '{n} minute', other: '{n} minutes' },
  },
  hours: {
    fr: { one: '{n} heure', other: '{n} heures' },
    ar: { zero: 'لا ساعة', one: 'ساعة واحدة', two: 'ساعتان', few: '{n} ساعات', many: '{n} ساعة', other: '{n} ساعة' },
    en: { one: '{n} hour', other: '{n} hours' },
  },
  days: {
    fr: { one: '{n} jour', other: '{n} jours' },
    ar: { zero: 'لا يوم', one: 'يوم واحد', two: 'يومان', few: '{n} أيام', many: '{n} يوما', other: '{n} يوم' },
    en: { one: '{n} day', other: '{n} days' },
  },
};

/** `n` of a counted noun in `lang`: "1 jeu de données", "2 datasets", "مجموعتا بيانات". */
export function counted(lang: Lang, noun: keyof typeof COUNTED, n: number): string {
  return plural(lang, n, COUNTED[noun][lang]);
}

/** Fills `{name}` placeholders from the params' own properties: `{toString}` stays as written. */
export function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : m));
}

/** The sentence for a problem code (what is wrong and what to change); an unknown code (older rows) is returned as is. */
export function problemText(lang: Lang, code: string): string {
  return isProblemCode(code) ? PROBLEM_TEXTS[code as ProblemCode][lang] : code;
}

export function statusText(lang: Lang, status: string): string {
  return Object.hasOwn(STATUS_TEXTS, status) ? STATUS_TEXTS[status as RunStatus][lang] : status;
}

export function triggerText(lang: Lang, trigger: string): string {
  return Object.hasOwn(TRIGGER_TEXTS, trigger) ? TRIGGER_TEXTS[trigger as RunTrigger][lang] : trigger;
}

export function severityText(lang: Lang, severity: string): string {
  return Object.hasOwn(SEVERITY_TEXTS, severity) ? SEVERITY_TEXTS[severity as Severity][lang] : severity;
}

export function improvementText(lang: Lang, code: string): string {
  return Object.hasOwn(IMPROVEMENT_MESSAGES, code) ? IMPROVEMENT_MESSAGES[code as ImprovementCode][lang] : code;
}

/** What a run's stored review (`details.review`) says, as a sentence: the counts come from the run. */
export function reviewText(lang: Lang, review: { reason?: string; missing?: number; active?: number; threshold?: number } | undefined, pending: number | null): string | undefined {
  if (!review?.reason || !Object.hasOwn(REVIEW_TEXTS, review.reason)) return undefined;
  const n = review.missing ?? pending ?? 0;
  const active = review.active;
  // Runs finalised before the figures were stored carry only the reason: say it without them.
  if (review.reason === 'threshold' && (active === undefined || review.threshold === undefined)) return fill(THRESHOLD_NO_FIGURES[lang], { datasets: counted(lang, 'datasets', n) });
  return fill(REVIEW_TEXTS[review.reason as ReviewReason][lang], {
    datasets: counted(lang, 'datasets', n),
    active: active === undefined ? '—' : formatNumber(lang, active),
    share: active ? formatPercent(lang, n / active) : '—',
    threshold: review.threshold === undefined ? '—' : formatPercent(lang, review.threshold),
  });
}

const INTERVAL_UNIT = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as const;
const EVERY_ONE: Record<keyof typeof INTERVAL_UNIT, Texts> = {
  s: { fr: 'chaque seconde', ar: 'كل ثانية', en: 'every second' },
  m: { fr: 'chaque minute', ar: 'كل دقيقة', en: 'every minute' },
  h: SCHEDULE_TEXTS_HOURLY,
  d: SCHEDULE_TEXTS_DAILY,
};
const EVERY: Texts = { fr: 'toutes les {span}', ar: 'كل {span}', en: 'every {span}' };
const CRON: Texts = { fr: 'selon l’expression cron {cron} ({zone})', ar: 'حسب عبارة cron {cron} ({zone})', en: 'by the cron expression {cron} ({zone})' };

/** A source's schedule as a phrase: "toutes les 6 heures", "كل يوم", "by the cron expression 0 3 * * 1 (Africa/Casablanca)". */
export function scheduleText(lang: Lang, schedule: string | null | undefined, timezone: string): string {
  const s = schedule?.trim();
  if (!s) return SCHEDULE_TEXTS.manual[lang];
  if ((NAMED_SCHEDULES as readonly string[]).includes(s)) return SCHEDULE_TEXTS[s as NamedSchedule][lang];
  const m = /^(\d+)\s*([smhd])$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    const span = counted(lang, INTERVAL_UNIT[m[2] as keyof typeof INTERVAL_UNIT], n);
    // "toutes les 1 heures" reads wrong: one unit has its own phrase.
    if (n === 1) return EVERY_ONE[m[2] as keyof typeof EVERY_ONE][lang];
    return fill(EVERY[lang], { span });
  }
  return fill(CRON[lang], { cron: s, zone: timezone });
}
