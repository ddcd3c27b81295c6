import { prepareRecord } from '@hasad/pipeline';
import { datasetTitle } from '@hasad/testkit';
import type { DbHandle } from '../../packages/db/src/client.ts';
import { createOrganization } from '../../packages/db/src/repositories/organizations.repository.ts';
import { createSource } from '../../packages/db/src/repositories/sources.repository.ts';
import { createRun } from '../../packages/db/src/repositories/runs.repository.ts';
import { loadBatch, type LoadRecord } from '../../packages/db/src/repositories/load.repository.ts';

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

/**
 * Loads `datasets` generated records (record i goes to organisation i % ORGANIZATIONS, one source
 * and one run each) with the loader's own `loadBatch`, two batches at once, then marks the runs
 * succeeded and runs VACUUM ANALYZE (what autovacuum would do after a big load). Shared by the
 * search bench and the API bench (bench/api.bench.ts). Returns the load time in seconds.
 */
export async function loadGeneratedCatalogue(
  h: DbHandle,
  opts: { datasets: number; batch?: number; uniqueKeywords?: boolean; progress?: (text: string) => void },
): Promise<{ loadSeconds: number; vacuumSeconds: number }> {
  const DATASETS = opts.datasets;
  const BATCH = opts.batch ?? 1000;
  const progress = opts.progress ?? ((t: string) => process.stdout.write(t));
  const sources: string[] = [];
  for (let o = 0; o < ORGANIZATIONS; o++) {
    const org = await createOrganization(h, { slug: `org-${o}`, name: `Institution ${o}` });
    sources.push((await createSource(h, { organizationId: org.id, kind: 'dcat', url: `https://data.example.ma/org-${o}/catalog` })).id);
  }
  const runs = await Promise.all(sources.map((s) => createRun(h, s, 'manual')));
  const started = performance.now();
  // Each source gets the records i with i % ORGANIZATIONS = its number; two loaders at once.
  const jobs: Array<() => Promise<unknown>> = [];
  for (let o = 0; o < ORGANIZATIONS; o++) {
    const ids: number[] = [];
    for (let i = o; i < DATASETS; i += ORGANIZATIONS) ids.push(i);
    for (let b = 0; b * BATCH < ids.length; b++) {
      jobs.push(() =>
        loadBatch(h, {
          runId: runs[o]!.id,
          sourceId: sources[o]!,
          pageNo: 1,
          batchNo: b,
          records: ids.slice(b * BATCH, (b + 1) * BATCH).map((i) => generatedRecord(i, 1, { uniqueKeywords: opts.uniqueKeywords })),
          problems: [],
          invalidIdentifiers: [],
        }, prepareRecord),
      );
    }
  }
  let next = 0;
  let done = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < jobs.length) {
        await jobs[next++]!();
        done++;
        if (done % 20 === 0) progress(`\r  loaded ${Math.min(done * BATCH, DATASETS)} / ${DATASETS}`);
      }
    }),
  );
  const loadSeconds = (performance.now() - started) / 1000;
  progress(`\r  loaded ${DATASETS} datasets in ${loadSeconds.toFixed(1)} s (${Math.round(DATASETS / loadSeconds)} rows/s with 2 loaders, record generation included)\n`);
  await h.pool.query(`UPDATE runs SET status = 'succeeded', finished_at = now()`);
  const v = performance.now();
  // What autovacuum would do after a big load: stats for the planner, GIN pending lists merged.
  await h.pool.query('VACUUM ANALYZE datasets');
  const vacuumSeconds = (performance.now() - v) / 1000;
  progress(`  VACUUM ANALYZE datasets: ${vacuumSeconds.toFixed(1)} s\n`);
  return { loadSeconds, vacuumSeconds };
}

// Query words: topics, the same without accents, regions, Arabic words (some typed with
// variants the normalisation folds) and topic + region pairs.
const TOPICS = ['eau', 'potable', 'budget', 'communal', 'accidents', 'route', 'écoles', 'primaires', 'marchés publics', 'population', 'légale', 'précipitations', 'mensuelles', 'hôpitaux', 'santé', 'climat', 'démographie', 'sécurité routière', 'éducation'];
const UNACCENTED = ['ecoles', 'hopitaux', 'precipitations', 'sante', 'marches', 'legale', 'demographie', 'securite', 'education'];
const REGIONS = ['Casablanca', 'Oriental', 'Fès', 'Meknès', 'Rabat', 'Kénitra', 'Marrakech', 'Safi', 'Souss', 'Tanger', 'Tétouan', 'Dakhla', 'Béni Mellal', 'Guelmim', 'Laâyoune', 'Drâa'];
const ARABIC = ['مياه', 'الشرب', 'الميزانية', 'الجماعية', 'حوادث', 'السير', 'المدارس', 'الابتدائية', 'الصفقات', 'العمومية', 'السكان', 'التساقطات', 'الشهرية', 'المستشفيات', 'الصحية', 'طنجة', 'الرباط', 'مراكش', 'فاس', 'الحسيمة', 'سوس', 'الصحه', 'المستشفيات الصحية'];

/** A deterministic generator, so every run asks the same queries. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The benchmarks' query mix (search-bench and bench/api.bench): the same seed, the same list every run. */
export function benchQueries(n: number): string[] {
  const r = rng(42);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.35) out.push(pick(TOPICS));
    else if (x < 0.45) out.push(pick(UNACCENTED));
    else if (x < 0.6) out.push(pick(REGIONS));
    else if (x < 0.85) out.push(pick(ARABIC));
    else out.push(`${pick(TOPICS)} ${pick(REGIONS)}`);
  }
  return out;
}
