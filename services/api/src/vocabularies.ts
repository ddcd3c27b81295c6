/**
 * Display labels for the values the catalogue counts most: the EU data themes (the DCAT-AP
 * `dcat:theme` vocabulary) and common open licences. A value without a label here is shown
 * as given; labels are a courtesy, never used to match.
 */
export type Labels = { fr: string; en: string; ar: string };

const EU_THEME = 'http://publications.europa.eu/resource/authority/data-theme/';

const THEMES: Record<string, Labels> = {
  AGRI: { fr: 'Agriculture, pêche, sylviculture et alimentation', en: 'Agriculture, fisheries, forestry and food', ar: 'الفلاحة والصيد البحري والغابات والتغذية' },
  ECON: { fr: 'Économie et finances', en: 'Economy and finance', ar: 'الاقتصاد والمالية' },
  EDUC: { fr: 'Éducation, culture et sport', en: 'Education, culture and sport', ar: 'التعليم والثقافة والرياضة' },
  ENER: { fr: 'Énergie', en: 'Energy', ar: 'الطاقة' },
  ENVI: { fr: 'Environnement', en: 'Environment', ar: 'البيئة' },
  GOVE: { fr: 'Gouvernement et secteur public', en: 'Government and public sector', ar: 'الحكومة والقطاع العام' },
  HEAL: { fr: 'Santé', en: 'Health', ar: 'الصحة' },
  INTR: { fr: 'Questions internationales', en: 'International issues', ar: 'القضايا الدولية' },
  JUST: { fr: 'Justice, système juridique et sécurité publique', en: 'Justice, legal system and public safety', ar: 'العدل والنظام القانوني والأمن العام' },
  REGI: { fr: 'Régions et villes', en: 'Regions and cities', ar: 'الجهات والمدن' },
  SOCI: { fr: 'Population et société', en: 'Population and society', ar: 'السكان والمجتمع' },
  TECH: { fr: 'Science et technologie', en: 'Science and technology', ar: 'العلوم والتكنولوجيا' },
  TRAN: { fr: 'Transports', en: 'Transport', ar: 'النقل' },
};

/** Keyed by the licence URI without scheme and trailing slash. */
const LICENSES: Record<string, Labels> = {
  'creativecommons.org/licenses/by/4.0': { fr: 'Creative Commons Attribution 4.0', en: 'Creative Commons Attribution 4.0', ar: 'المشاع الإبداعي - نسب المصنف 4.0' },
  'creativecommons.org/licenses/by-sa/4.0': { fr: 'Creative Commons Attribution - Partage dans les mêmes conditions 4.0', en: 'Creative Commons Attribution-ShareAlike 4.0', ar: 'المشاع الإبداعي - نسب المصنف والترخيص بالمثل 4.0' },
  'creativecommons.org/publicdomain/zero/1.0': { fr: 'CC0 1.0 (domaine public)', en: 'CC0 1.0 (public domain)', ar: 'CC0 1.0 (الملك العام)' },
  'opendatacommons.org/licenses/odbl/1-0': { fr: 'Open Database License (ODbL) 1.0', en: 'Open Database License (ODbL) 1.0', ar: 'رخصة قاعدة البيانات المفتوحة 1.0' },
  'www.etalab.gouv.fr/licence-ouverte-open-licence': { fr: 'Licence Ouverte / Open Licence', en: 'Open Licence (Etalab)', ar: 'الرخصة المفتوحة (إيتالاب)' },
};

export function themeLabel(value: string): Labels | undefined {
  return value.startsWith(EU_THEME) ? THEMES[value.slice(EU_THEME.length)] : THEMES[value.toUpperCase()];
}

export function licenseLabel(value: string): Labels | undefined {
  return LICENSES[value.replace(/^https?:\/\//i, '').replace(/\/+$/, '')];
}
