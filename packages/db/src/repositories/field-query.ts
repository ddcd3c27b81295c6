import { sql, type SQL } from 'drizzle-orm';

/**
 * A boolean query over a dataset's fields (what the CKAN API's Solr-style `q` and `fq` parse
 * into), compiled here to SQL over `datasets d`. Every value reaches PostgreSQL as a bound
 * parameter; only the fixed column names and operators of this file are written into the text.
 */
export type FieldQuery =
  | { op: 'and' | 'or'; args: FieldQuery[] }
  | { op: 'not'; arg: FieldQuery }
  /** Every dataset (`*:*`) or none (`dataset_type:harvest`: no Hasad dataset is one). */
  | { op: 'all' }
  | { op: 'none' }
  /**
   * Full-text words in the title (search weight A), the keywords (B), the description (C) or
   * any of them, with the search's folding and stemming; `phrase`: the words in that order;
   * `prefix`: the last word may be the beginning of a word (`eau*`).
   */
  | { op: 'text'; field: 'any' | 'title' | 'keywords' | 'description'; value: string; phrase?: boolean; prefix?: boolean }
  /** An exact value of a facet field (a keyword, a theme, a format as faceted, a licence, an organisation slug or id, a dataset id). */
  | { op: 'term'; field: 'organization' | 'theme' | 'keyword' | 'format' | 'license' | 'id'; value: string }
  /** The field has a value (`tags:*`). */
  | { op: 'exists'; field: 'theme' | 'keyword' | 'format' | 'license' | 'modified' }
  /**
   * Instants bounding a date field (ISO 8601, already resolved): `updated` is when Hasad last
   * changed the dataset (CKAN's metadata_modified), `created` when Hasad first had it
   * (metadata_created), `modified` the source's dct:modified.
   */
  | { op: 'range'; field: 'updated' | 'created' | 'modified'; from?: string; to?: string; fromInclusive: boolean; toInclusive: boolean };

const EU_THEME = 'http://publications.europa.eu/resource/authority/data-theme/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WEIGHT = { title: 'a', keywords: 'b', description: 'c' } as const;
const DATE_COLUMN = { updated: sql`d.updated_at`, created: sql`d.created_at`, modified: sql`d.modified_at` } as const;

/** The tsquery of some words, normalised as the search's (Arabic folding; French stems through hasad_fr). */
function tsquery(value: string, phrase: boolean, prefix: boolean): SQL {
  // Letters and digits only: nothing of tsquery's own syntax can come from the value.
  const words = value.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return sql`NULL::tsquery`;
  if (prefix) {
    // to_tsquery with `:*` on the last word (the others whole), joined by & or <-> for a phrase.
    return sql`pg_catalog.to_tsquery('public.hasad_fr'::regconfig,
      (SELECT string_agg(w, ${phrase ? ' <-> ' : ' & '} ORDER BY i) || ':*' FROM pg_catalog.regexp_split_to_table(public.hasad_search_norm(${words.join(' ')}), '[[:space:]]+') WITH ORDINALITY AS t(w, i) WHERE w <> ''))`;
  }
  return phrase
    ? sql`pg_catalog.phraseto_tsquery('public.hasad_fr'::regconfig, public.hasad_search_norm(${words.join(' ')}))`
    : sql`pg_catalog.plainto_tsquery('public.hasad_fr'::regconfig, public.hasad_search_norm(${words.join(' ')}))`;
}

/** SQL condition over `datasets d` for a field query. */
export function fieldQuerySql(q: FieldQuery): SQL {
  switch (q.op) {
    case 'and':
    case 'or':
      if (q.args.length === 0) return q.op === 'and' ? sql`true` : sql`false`;
      return sql`(${sql.join(q.args.map(fieldQuerySql), q.op === 'and' ? sql` AND ` : sql` OR `)})`;
    case 'not':
      // A NULL condition (a missing column value) must count as "does not match" before negation.
      return sql`NOT coalesce(${fieldQuerySql(q.arg)}, false)`;
    case 'all':
      return sql`true`;
    case 'none':
      return sql`false`;
    case 'text': {
      const tsq = tsquery(q.value, q.phrase ?? false, q.prefix ?? false);
      // A value of only stop words or signs gives an empty tsquery, which matches nothing.
      if (q.field === 'any') return sql`coalesce(d.search_vector @@ ${tsq}, false)`;
      // The index finds candidates on the whole vector; ts_filter keeps the field's own words.
      return sql`coalesce(d.search_vector @@ ${tsq} AND pg_catalog.ts_filter(d.search_vector, ${`{${WEIGHT[q.field]}}`}::"char"[]) @@ ${tsq}, false)`;
    }
    case 'term':
      switch (q.field) {
        case 'organization':
          return UUID.test(q.value)
            ? sql`d.organization_id IN (SELECT id FROM organizations WHERE slug = ${q.value} OR id = ${q.value.toLowerCase()}::uuid)`
            : sql`d.organization_id IN (SELECT id FROM organizations WHERE slug = ${q.value})`;
        case 'theme': {
          // A bare code (`ENVI`) also names the EU data theme, as the theme filter.
          const names = /^[A-Za-z]{4}$/.test(q.value) ? [q.value, `${EU_THEME}${q.value.toUpperCase()}`] : [q.value];
          return sql`d.themes && ${sql.param(names)}::text[]`;
        }
        case 'keyword':
          return sql`d.keywords @> ARRAY[${q.value}::text]`;
        case 'format':
          return sql`d.formats @> ARRAY[hasad_format_label(${q.value})]`;
        case 'license':
          return sql`d.license = ${q.value}`;
        case 'id':
          return UUID.test(q.value) ? sql`d.id = ${q.value.toLowerCase()}::uuid` : sql`false`;
      }
      break;
    case 'exists':
      switch (q.field) {
        case 'theme':
          return sql`cardinality(d.themes) > 0`;
        case 'keyword':
          return sql`cardinality(d.keywords) > 0`;
        case 'format':
          return sql`cardinality(d.formats) > 0`;
        case 'license':
          return sql`d.license IS NOT NULL`;
        case 'modified':
          return sql`d.modified_at IS NOT NULL`;
      }
      break;
    case 'range': {
      const col = DATE_COLUMN[q.field];
      const parts: SQL[] = [];
      if (q.from !== undefined) parts.push(sql`${col} ${sql.raw(q.fromInclusive ? '>=' : '>')} ${q.from}::timestamptz`);
      if (q.to !== undefined) parts.push(sql`${col} ${sql.raw(q.toInclusive ? '<=' : '<')} ${q.to}::timestamptz`);
      // [* TO *]: the field has a value.
      if (parts.length === 0) parts.push(sql`${col} IS NOT NULL`);
      return sql`(${sql.join(parts, sql` AND `)})`;
    }
  }
  throw new Error(`unknown field query ${JSON.stringify(q)}`);
}
