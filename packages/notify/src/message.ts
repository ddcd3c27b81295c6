import { counted, formatNumber, type Lang } from '@hasad/i18n';
import type { NotificationEvent } from './event.ts';

/** A rendered e-mail: French first, the English text below it. */
export interface EmailContent {
  subject: string;
  text: string;
}

const frDate = (iso: string | null) => (iso ? `${iso.slice(0, 10)} à ${iso.slice(11, 16)} UTC` : 'date inconnue');
const enDate = (iso: string | null) => (iso ? `${iso.slice(0, 10)} at ${iso.slice(11, 16)} UTC` : 'unknown date');

/** Renders the e-mail of an event. Plain text: it reads the same in every mail client and in a terminal. */
export function renderEmail(e: NotificationEvent): EmailContent {
  const name = e.source.title ?? e.source.url;
  const c = e.run.counts;
  const n = e.failures.inARow;
  let subject: string;
  let fr: string[];
  let en: string[];
  // Arabic for the events written first for institutions (the others are for operators too, in French and English).
  let ar: string[] | undefined;
  switch (e.kind) {
    case 'failure_streak':
      subject = `[Hasad] Échecs répétés : « ${name} » (${n} de suite) / Source failing ${n} times in a row`;
      fr = [
        `La source « ${name} » (${e.organization.name}) a échoué ${n} fois de suite.`,
        `Dernière exécution : ${e.run.id}, terminée le ${frDate(e.run.finishedAt)}.`,
        e.run.error ? `Erreur : ${e.run.error.code ?? 'inconnue'} — ${e.run.error.message}` : 'Erreur : non précisée.',
        `Les jeux de données déjà publiés restent en place : une exécution en échec ne retire rien.`,
        '',
        `Que faire : vérifier que le flux ${e.source.url} répond et se lit (POST /api/v1/preview montre ce que Hasad en tire), puis relancer la collecte.`,
        `Hasad n'écrira plus pour cette série d'échecs ; un message suivra quand la source fonctionnera de nouveau.`,
      ];
      en = [
        `The source "${name}" (${e.organization.name}) failed ${n} times in a row.`,
        `Latest run: ${e.run.id}, ended on ${enDate(e.run.finishedAt)}.`,
        e.run.error ? `Error: ${e.run.error.code ?? 'unknown'} — ${e.run.error.message}` : 'Error: not given.',
        `Datasets already published stay: a failed run withdraws nothing.`,
        '',
        `What to do: check that the feed ${e.source.url} answers and parses (POST /api/v1/preview shows what Hasad reads from it), then harvest again.`,
        `Hasad will not write again about this streak; another message follows when the source works again.`,
      ];
      break;
    case 'needs_review': {
      const pending = c.pendingWithdrawals ?? 0;
      const emptyFeed = e.run.review?.reason === 'empty_feed';
      subject = `[Hasad] Revue requise : « ${name} » retirerait ${pending} jeux de données / Run needs review`;
      fr = [
        `L'exécution ${e.run.id} de la source « ${name} » (${e.organization.name}), terminée le ${frDate(e.run.finishedAt)}, attend une revue.`,
        emptyFeed
          ? `La source n'a listé aucun jeu de données : ${pending} jeux de données actifs seraient retirés.`
          : `${pending} jeux de données actifs seraient retirés, au-delà du seuil autorisé sans revue.`,
        `Rien n'a été retiré. Un opérateur confirme le retrait (hasad run confirm ${e.run.id}) ou le refuse (hasad run cancel ${e.run.id}).`,
        `Vus ${c.seen}, créés ${c.created}, mis à jour ${c.updated}, inchangés ${c.unchanged}, invalides ${c.invalid}.`,
      ];
      en = [
        `Run ${e.run.id} of the source "${name}" (${e.organization.name}), ended on ${enDate(e.run.finishedAt)}, needs review.`,
        e.run.review?.message ? `Why: ${e.run.review.message}.` : `${pending} active datasets would be withdrawn.`,
        `Nothing was withdrawn. An operator confirms the withdrawal (hasad run confirm ${e.run.id}) or keeps the datasets (hasad run cancel ${e.run.id}).`,
        `Seen ${c.seen}, created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, invalid ${c.invalid}.`,
      ];
      break;
    }
    case 'recovered':
      subject = `[Hasad] Source rétablie : « ${name} » / Source working again`;
      fr = [
        `La source « ${name} » (${e.organization.name}) fonctionne de nouveau après ${n} échecs de suite.`,
        `Exécution ${e.run.id}, terminée le ${frDate(e.run.finishedAt)} : ${c.seen} vus, ${c.created} créés, ${c.updated} mis à jour, ${c.withdrawn} retirés.`,
      ];
      en = [
        `The source "${name}" (${e.organization.name}) works again after ${n} failures in a row.`,
        `Run ${e.run.id}, ended on ${enDate(e.run.finishedAt)}: seen ${c.seen}, created ${c.created}, updated ${c.updated}, withdrawn ${c.withdrawn}.`,
      ];
      break;
    case 'invalid_records': {
      const list = (lang: Lang) =>
        e.problems.map((p) => `- ${counted(lang, 'records', p.count)} · ${p.text[lang]}${p.example ? `\n  (${p.example.identifier ?? '—'}: ${p.example.message})` : ''}`);
      subject = `[Hasad] Enregistrements invalides : « ${name} » (${c.invalid}) / سجلات غير صالحة / Invalid records`;
      fr = [
        `Le moissonnage ${e.run.id} de la source « ${name} » (${e.organization.name}), terminé le ${frDate(e.run.finishedAt)}, a écarté ${counted('fr', 'records', c.invalid)} invalides ; les autres sont publiés.`,
        `Ce qui est à corriger dans le flux :`,
        ...list('fr'),
        `Le détail, les exemples et les moissonnages suivants : ${e.links.spaceRun}`,
      ];
      ar = [
        `استبعد الحصاد ${e.run.id} للمصدر « ${name} » (${e.organization.name}) ${counted('ar', 'records', c.invalid)} غير صالحة؛ ونشرت البقية.`,
        `ما يجب تصحيحه في الرابط:`,
        ...list('ar'),
        `التفاصيل والأمثلة: ${e.links.spaceRun}`,
      ];
      en = [
        `Harvest ${e.run.id} of the source "${name}" (${e.organization.name}), ended on ${enDate(e.run.finishedAt)}, left out ${counted('en', 'records', c.invalid)} as invalid; the others are published.`,
        `What to fix in the feed:`,
        ...list('en'),
        `Details, examples and the next harvests: ${e.links.spaceRun}`,
      ];
      break;
    }
    case 'quality_drop': {
      const q = e.run.quality;
      const fmt = (lang: Lang, n: number | null | undefined) => formatNumber(lang, n ?? null);
      const todo = (lang: Lang) => e.improvements.map((i) => `- ${i.text[lang]} (${counted(lang, 'datasets', i.datasets)})`);
      subject = `[Hasad] Qualité en baisse : « ${name} » (${fmt('fr', q?.previous)} → ${fmt('fr', q?.score)} / ${q?.max ?? '—'}) / تراجع الجودة / Metadata quality dropped`;
      fr = [
        `Après le moissonnage ${e.run.id} de la source « ${name} » (${e.organization.name}), le score de qualité des métadonnées est passé de ${fmt('fr', q?.previous)} à ${fmt('fr', q?.score)} sur ${q?.max ?? '—'}.`,
        `Ce qui le relèverait le plus :`,
        ...todo('fr'),
        `Le détail : ${e.links.spaceSource}`,
      ];
      ar = [
        `بعد الحصاد ${e.run.id} للمصدر « ${name} » (${e.organization.name})، انتقلت درجة جودة البيانات الوصفية من ${fmt('ar', q?.previous)} إلى ${fmt('ar', q?.score)} من ${q?.max ?? '—'}.`,
        `ما يرفعها أكثر:`,
        ...todo('ar'),
        `التفاصيل: ${e.links.spaceSource}`,
      ];
      en = [
        `After harvest ${e.run.id} of the source "${name}" (${e.organization.name}), the metadata quality score went from ${fmt('en', q?.previous)} to ${fmt('en', q?.score)} out of ${q?.max ?? '—'}.`,
        `What would raise it most:`,
        ...todo('en'),
        `Details: ${e.links.spaceSource}`,
      ];
      break;
    }
  }
  const links = (label: { run: string; source: string; dashboard: string }) => [
    `${label.run} : ${e.links.run}`,
    `${label.source} : ${e.links.source}`,
    `${label.dashboard} : ${e.links.dashboardRun}`,
  ];
  const text = [
    'Bonjour,',
    '',
    ...fr,
    '',
    ...links({ run: "Rapport de l'exécution (API)", source: 'Source (API)', dashboard: 'Tableau de bord des opérateurs' }),
    '',
    ...(ar ? ['— العربية —', '', 'السلام عليكم،', '', ...ar, ''] : []),
    '— English —',
    '',
    'Hello,',
    '',
    ...en,
    '',
    ...links({ run: 'Run report (API)', source: 'Source (API)', dashboard: "Operators' dashboard" }).map((l) => l.replace(' : ', ': ')),
    '',
    '-- ',
    `Hasad, moissonneur du catalogue national de données ouvertes / open-data harvester. Message automatique (${e.id}).`,
  ].join('\n');
  return { subject, text };
}
