/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement the suggest route and the typo retry run, for a
 * few of the API bench's 4-letter prefixes and misspelt queries, on a kept bench database:
 *
 *   npx tsx bench/_suggestexplain.ts <database url> [--plans]
 *
 * Prints each statement's execution time (and, with --plans, its plan); the suggest and typo
 * figures of docs/benchmarks.md were read with it. A scratch tool: it patches pg's Client.query.
 */
import pg from 'pg';
import { correctQuery, createDb, searchDatasets, suggestDatasets, suggestKeywords } from '@hasad/db';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx bench/_suggestexplain.ts <database url> [--plans]');
const plans = process.argv.includes('--plans');

let explaining = false;
const log: string[] = [];
const original = pg.Client.prototype.query as (...a: unknown[]) => Promise<unknown>;
async function explained(this: pg.Client, config: unknown, values?: unknown): Promise<unknown> {
  const text = typeof config === 'string' ? config : (config as { text: string }).text;
  const vals = typeof config === 'string' ? values : ((config as { values?: unknown[] }).values ?? values);
  if (!explaining && /^\s*(WITH|SELECT)/i.test(text) && !/set_config/.test(text)) {
    explaining = true;
    try {
      const res = (await original.call(this, { text: `EXPLAIN (ANALYZE, BUFFERS) ${text}`, values: vals })) as { rows: Array<{ 'QUERY PLAN': string }> };
      const lines = res.rows.map((r) => r['QUERY PLAN']);
      const exec = lines.find((l) => l.startsWith('Execution Time')) ?? '';
      log.push(plans ? lines.join('\n') : `    ${text.replace(/\s+/g, ' ').slice(0, 90)}… ${exec}`);
    } finally {
      explaining = false;
    }
  }
  return original.call(this, config, values);
}
(pg.Client.prototype as unknown as { query: unknown }).query = function (this: pg.Client, config: unknown, values?: unknown, cb?: unknown) {
  // pg.Pool passes a callback (as the second or third argument).
  const done = typeof values === 'function' ? values : typeof cb === 'function' ? cb : undefined;
  const p = explained.call(this, config, typeof values === 'function' ? undefined : values);
  if (!done) return p;
  p.then((r) => (done as (e: unknown, r?: unknown) => void)(null, r), (e) => (done as (e: unknown) => void)(e));
  return undefined;
};

const h = createDb(url, { max: 2 });
const prefixes = ['budg', 'hôpi', 'Casa', 'sant', 'مياه', 'الشر', 'Béni', 'écol'];
const typos = ['buget', 'hôitaux', 'Caablanca', 'prcipitations', 'الميانية', 'sécrité routière', 'Maakech'];
try {
  // Warm the cache once, then measure.
  for (const q of prefixes) await Promise.all([suggestDatasets(h, q, 5), suggestKeywords(h, q, 5)]);
  for (const q of prefixes) {
    log.length = 0;
    const t0 = performance.now();
    const [d, k] = [await suggestDatasets(h, q, 5), await suggestKeywords(h, q, 5)];
    console.log(`suggest ${q}: ${(performance.now() - t0).toFixed(1)} ms; ${d.length} datasets, keywords ${k.map((x) => `${x.value}(${x.count})`).join(' ')}`);
    console.log(log.join('\n'));
  }
  for (const q of typos) {
    log.length = 0;
    const t0 = performance.now();
    const exact = await searchDatasets(h, { q, facets: ['organization', 'theme', 'format', 'license', 'keyword'] });
    // As the API's retry does: the vocabulary's correction, else (vocabulary empty) trigram similarity over every title.
    const corrected = await correctQuery(h, q);
    const facets = ['organization', 'theme', 'format', 'license', 'keyword'] as const;
    const fuzzy = corrected === undefined ? await searchDatasets(h, { q, fuzzy: true, facets }) : corrected.changed ? await searchDatasets(h, { q: corrected.q, facets }) : exact;
    console.log(`typo ${q}${corrected ? ` → ${corrected.q}` : ''}: ${(performance.now() - t0).toFixed(1)} ms; exact ${exact.total}, retry ${fuzzy.total}: ${fuzzy.items.slice(0, 2).map((i) => JSON.stringify((i.record as { title?: unknown }).title)).join(' ')}`);
    console.log(log.join('\n'));
  }
} finally {
  await h.close();
}
