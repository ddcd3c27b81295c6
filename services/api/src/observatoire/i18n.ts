import { fill, LANGS, type Lang } from '@hasad/i18n';

/** The scoreboard page's labels in French, Arabic and English. */
const LABELS = {
  'lang.name': ['Français', 'العربية', 'English'],
  'page.title': ['Observatoire des publications', 'مرصد النشر', 'Publishers’ scoreboard'],
  'page.intro': [
    'Ce que chaque institution publie dans le catalogue national : combien, à quel rythme, avec quelle qualité de métadonnées et dans quels formats. Cliquez sur un en-tête de colonne pour trier.',
    'ما تنشره كل مؤسسة في الفهرس الوطني: الكمية والوتيرة وجودة البيانات الوصفية والصيغ. انقروا على عنوان عمود للترتيب.',
    'What each institution publishes in the national catalogue: how much, how often, with what metadata quality and in which formats. Click a column heading to sort.',
  ],
  'page.computed': [
    'Chiffres calculés après chaque moissonnage et au moins toutes les {minutes} minutes ; dernier calcul : {at}.',
    'أرقام تحسب بعد كل حصاد وعلى الأقل كل {minutes} دقيقة؛ آخر حساب: {at}.',
    'Figures computed after each harvest and at least every {minutes} minutes; last computed: {at}.',
  ],
  'page.csv': ['Télécharger le tableau (CSV)', 'تحميل الجدول (CSV)', 'Download the table (CSV)'],
  'page.none': ['Aucune institution pour l’instant.', 'لا مؤسسة حتى الآن.', 'No institution yet.'],
  'page.notComputed': ['pas encore calculé', 'لم يحسب بعد', 'not computed yet'],
  'col.institution': ['Institution', 'المؤسسة', 'Institution'],
  'col.datasets': ['Jeux publiés', 'مجموعات منشورة', 'Datasets'],
  'col.updated30': ['Mis à jour (30 j)', 'محدثة (30 يوما)', 'Updated (30 d)'],
  'col.updated90': ['Mis à jour (90 j)', 'محدثة (90 يوما)', 'Updated (90 d)'],
  'col.updated365': ['Mis à jour (365 j)', 'محدثة (365 يوما)', 'Updated (365 d)'],
  'col.medianAge': ['Âge médian (jours)', 'العمر الوسيط (أيام)', 'Median age (days)'],
  'col.quality': ['Qualité (/405)', 'الجودة (/405)', 'Quality (/405)'],
  'col.qualityTrend': ['Tendance (30 j)', 'التطور (30 يوما)', 'Trend (30 d)'],
  'col.brokenLinks': ['Liens cassés', 'روابط معطلة', 'Broken links'],
  'col.harvestHealth': ['Moissonnages réussis', 'عمليات حصاد ناجحة', 'Successful harvests'],
  'col.openFormats': ['Formats ouverts', 'صيغ مفتوحة', 'Open formats'],
  'sort.asc': ['tri croissant', 'ترتيب تصاعدي', 'sorted ascending'],
  'sort.desc': ['tri décroissant', 'ترتيب تنازلي', 'sorted descending'],
  'legend.title': ['Ce que mesure chaque colonne', 'ما يقيسه كل عمود', 'What each column measures'],
  'legend.datasets': ['jeux de données actifs (non retirés) de l’institution.', 'مجموعات البيانات النشطة (غير المسحوبة) للمؤسسة.', 'the institution’s active (not withdrawn) datasets.'],
  'legend.updated': [
    'jeux modifiés dans les 30, 90 et 365 derniers jours (dct:modified, sinon la dernière modification vue par Hasad).',
    'المجموعات المعدلة خلال آخر 30 و90 و365 يوما (dct:modified، وإلا آخر تعديل رآه حصاد).',
    'datasets modified in the last 30, 90 and 365 days (dct:modified, else the last change Hasad saw).',
  ],
  'legend.medianAge': ['la moitié des jeux a été modifiée il y a moins de jours que cela.', 'نصف المجموعات عدلت منذ أيام أقل من هذا العدد.', 'half of the datasets were modified fewer days ago than this.'],
  'legend.quality': [
    'score moyen de qualité des métadonnées (méthode MQA du portail européen, sur 405) ; la tendance le compare à celui d’il y a 30 jours.',
    'متوسط جودة البيانات الوصفية (منهجية MQA للبوابة الأوروبية، من 405)؛ يقارنه التطور بما كان عليه قبل 30 يوما.',
    'mean metadata quality score (the European portal’s MQA method, out of 405); the trend compares it with 30 days before.',
  ],
  'legend.brokenLinks': [
    'part des liens de téléchargement vérifiés (un échantillon après chaque moissonnage) qui ne répondent pas.',
    'نسبة روابط التحميل المفحوصة (عينة بعد كل حصاد) التي لا تستجيب.',
    'share of the checked download links (a sample after each harvest) that do not answer.',
  ],
  'legend.harvestHealth': [
    'part des moissonnages des 90 derniers jours qui ont réussi (les annulés ne comptent pas).',
    'نسبة عمليات الحصاد الناجحة خلال آخر 90 يوما (لا تحتسب الملغاة).',
    'share of the harvests of the last 90 days that succeeded (cancelled ones do not count).',
  ],
  'legend.openFormats': [
    'part des distributions dans un format ouvert et lisible par machine (CSV, JSON, XML, RDF, GeoJSON, ODS…).',
    'نسبة التوزيعات بصيغة مفتوحة وقابلة للقراءة آليا (CSV وJSON وXML وRDF وGeoJSON وODS…).',
    'share of distributions in an open, machine-readable format (CSV, JSON, XML, RDF, GeoJSON, ODS…).',
  ],
} as const satisfies Record<string, readonly [string, string, string]>;

export type LabelKey = keyof typeof LABELS;

/** The label `key` in `lang`, `{name}` placeholders filled from `params`. */
export function o(lang: Lang, key: LabelKey, params: Record<string, string | number> = {}): string {
  return fill(LABELS[key][LANGS.indexOf(lang)] ?? LABELS[key][0], params);
}
