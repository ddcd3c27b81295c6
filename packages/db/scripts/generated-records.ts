import { datasetTitle } from '@hasad/testkit';
import type { LoadRecord } from '../src/repositories/load.repository.ts';

/**
 * Canonical records shaped like the bench's generated DCAT catalogue (French and Arabic
 * title and description, keywords in both, a theme, a licence, two or three distributions),
 * with the spread of values a real catalogue has, so that searches and facets meet realistic
 * selectivities: a topic word matches about 1/8 of the catalogue, a region about 1/12.
 */
const EU = 'http://publications.europa.eu/resource/authority';
const THEMES = ['ENVI', 'GOVE', 'TRAN', 'EDUC', 'ECON', 'SOCI', 'HEAL', 'AGRI'];
const KEYWORDS_FR = ['eau potable', 'budget', 'sécurité routière', 'éducation', 'marchés publics', 'démographie', 'climat', 'santé'];
const KEYWORDS_AR = ['الماء الصالح للشرب', 'الميزانية', 'السلامة الطرقية', 'التعليم', 'الصفقات العمومية', 'الديموغرافيا', 'المناخ', 'الصحة'];
const LICENSES = ['https://creativecommons.org/licenses/by/4.0/', 'https://creativecommons.org/licenses/by-sa/4.0/', 'https://www.etalab.gouv.fr/licence-ouverte-open-licence', 'http://opendatacommons.org/licenses/odbl/1-0/'];
const FORMATS = ['CSV', 'JSON', 'XLSX', 'PDF', 'SHP', 'XML'];

/** Number of organisations (and sources) the records are spread over. */
export const ORGANIZATIONS = 24;

/**
 * Record `i`. With `uniqueKeywords`, each dataset also gets a keyword of its own and one of 997
 * batch labels, so that no two keyword lists are alike (as in many real catalogues): the
 * costliest case for the keyword facet.
 */
export function generatedRecord(i: number, version = 1, opts: { uniqueKeywords?: boolean } = {}): LoadRecord {
  const t = datasetTitle(i, version > 1);
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((i % 12) + 1).padStart(2, '0');
  const year = 2015 + (i % 11);
  const modified = `${year}-${month}-${day}T10:00:00Z`;
  const base = `https://data.example.ma/org-${i % ORGANIZATIONS}`;
  const uri = `${base}/dataset/${i}`;
  const k = i % KEYWORDS_FR.length;
  const formats = [FORMATS[i % FORMATS.length]!, FORMATS[(i * 7 + 3) % FORMATS.length]!, ...(i % 5 === 0 ? ['PDF'] : [])];
  const record = {
    identifier: `ds-${String(i).padStart(7, '0')}`,
    uri,
    title: t,
    description: {
      fr: `Jeu de données publié par l’institution : « ${t.fr} ». Mise à jour régulière, données ouvertes réutilisables.`,
      ar: `مجموعة بيانات منشورة: «${t.ar}». تحديث منتظم، بيانات مفتوحة قابلة لإعادة الاستعمال.`,
    },
    keywords: {
      ar: [KEYWORDS_AR[k]!, 'بيانات مفتوحة'],
      fr: [KEYWORDS_FR[k]!, 'données ouvertes', ...(opts.uniqueKeywords ? [`réf ${String(i).padStart(7, '0')}`, `lot ${i % 997}`] : [])],
    },
    themes: [`${EU}/data-theme/${THEMES[i % THEMES.length]}`],
    publisher: { uri: `${base}/organisation`, name: { fr: `Institution ${i % ORGANIZATIONS}` } },
    issued: `${year}-01-${day}`,
    modified,
    license: LICENSES[i % LICENSES.length],
    spatial: [],
    temporal: [],
    language: [`${EU}/language/FRA`, `${EU}/language/ARA`],
    distributions: [...new Set(formats)].map((f) => ({
      uri: `${uri}/${f.toLowerCase()}`,
      accessUrl: `${base}/files/${i}.${f.toLowerCase()}`,
      format: `${EU}/file-type/${f}`,
      byteSize: 1000 + (i % 50000),
    })),
  };
  return { identifier: record.identifier, uri, hash: `${i}-${version}`, modifiedAt: modified, record };
}
